import { createLogger } from '../logger.ts';
import type { DocumentStore } from './document-store.ts';
import { DocumentRegistry } from './document-registry.ts';

/** A document registry for unit tests that open rooms without sockets. */
export function testRegistry(options: { documents: DocumentStore; idleUnloadMs: number }): DocumentRegistry {
  return new DocumentRegistry({ documents: options.documents, log: createLogger('silent'), idleUnloadMs: options.idleUnloadMs });
}

/** Stores `update` as the next change of a document (tests that fill a store without a room). */
export async function appendForTest(store: DocumentStore, documentId: string, update: Uint8Array, afterSeq: number): Promise<number> {
  return store.append({
    documentId,
    update,
    afterSeq,
    userId: null,
    at: new Date().toISOString(),
    kind: 'edited',
    summary: '',
    cells: [],
    newClients: [],
  });
}

import { createLogger } from '../logger.ts';
import type { DocumentRepository } from './document.repository.ts';
import { DocumentRegistry } from './document-registry.ts';

/** A document registry for unit tests that open rooms without sockets. */
export function testRegistry(options: { documents: DocumentRepository; idleUnloadMs: number }): DocumentRegistry {
  return new DocumentRegistry({ documents: options.documents, log: createLogger('silent'), idleUnloadMs: options.idleUnloadMs });
}

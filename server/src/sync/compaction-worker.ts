// Runs in a worker thread (see log-compactor.ts): rebuilds a document from what is stored (the
// state blob and the updates up to an id) with a connection of its own and encodes it, so
// decoding and encoding the whole document (hundreds of milliseconds for a plan of 1,000 SKUs)
// never stalls the sockets of the event loop. It only reads: the server's connection writes the
// result, so the two never wait for each other's write lock (SQLite's busy wait backs off in
// steps of up to 100 ms, which a sync server cannot afford).
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import * as Y from 'yjs';

export interface CompactionRequest {
  requestId: number;
  documentId: string;
  throughSeq: number;
}

export type CompactionReply =
  | { requestId: number; type: 'encoded'; state: Uint8Array; updates: number }
  | { requestId: number; type: 'empty' }
  | { requestId: number; type: 'error'; message: string };

const { file } = workerData as { file: string };
const db = new SQLite(file, { readonly: true });

const selectState = db.prepare<[string], { state: Uint8Array }>('select state from document_states where document_id = ?');
const selectUpdates = db.prepare<[string, number], { data: Uint8Array }>(
  'select data from document_updates where document_id = ? and seq <= ? order by seq',
);

// One snapshot for the state and the updates it is combined with.
const read = db.transaction((documentId: string, through: number) => ({
  state: selectState.get(documentId)?.state,
  updates: selectUpdates.all(documentId, through).map((row) => row.data),
}));

function encode({ requestId, documentId, throughSeq }: CompactionRequest): CompactionReply {
  const { state, updates } = read(documentId, throughSeq);
  if (updates.length === 0) return { requestId, type: 'empty' };
  const doc = new Y.Doc();
  try {
    Y.transact(doc, () => {
      if (state) Y.applyUpdate(doc, state);
      for (const update of updates) Y.applyUpdate(doc, update);
    });
    return { requestId, type: 'encoded', state: Y.encodeStateAsUpdate(doc), updates: updates.length };
  } finally {
    doc.destroy();
  }
}

parentPort?.on('message', (message: CompactionRequest | 'stop') => {
  if (message === 'stop') {
    db.close();
    parentPort?.close();
    return;
  }
  let reply: CompactionReply;
  try {
    reply = encode(message);
  } catch (e: unknown) {
    reply = { requestId: message.requestId, type: 'error', message: e instanceof Error ? e.message : String(e) };
  }
  // The encoded state moves to the server's thread without a copy.
  parentPort?.postMessage(reply, reply.type === 'encoded' ? [reply.state.buffer as ArrayBuffer] : []);
});

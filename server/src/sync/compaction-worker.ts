// Runs in a worker thread (see log-compactor.ts): folds a document's update log into its state
// blob with a connection of its own, so decoding and encoding the whole document (hundreds of
// milliseconds for a plan of 1,000 SKUs) never stalls the sockets of the event loop.
import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import * as Y from 'yjs';

export interface CompactionRequest {
  requestId: number;
  documentId: string;
  throughUpdateId: number;
}

export type CompactionReply =
  | { requestId: number; type: 'done'; compacted: number }
  | { requestId: number; type: 'skipped' }
  | { requestId: number; type: 'error'; message: string };

const { file } = workerData as { file: string };
const db = new SQLite(file);
db.pragma('busy_timeout = 5000');

const selectState = db.prepare<[string], { state: Uint8Array }>('select state from document_states where document_id = ?');
const selectUpdates = db.prepare<[string, number], { data: Uint8Array }>(
  'select data from document_updates where document_id = ? and id <= ? order by id',
);
const countUpdates = db.prepare<[string, number], { n: number }>(
  'select count(*) as n from document_updates where document_id = ? and id <= ?',
);
const upsertState = db.prepare(
  'insert into document_states (document_id, state, updated_at) values (?, ?, ?) ' +
    'on conflict (document_id) do update set state = excluded.state, updated_at = excluded.updated_at',
);
const deleteUpdates = db.prepare('delete from document_updates where document_id = ? and id <= ?');

// One snapshot for the state and the updates it is combined with.
const read = db.transaction((documentId: string, through: number) => ({
  state: selectState.get(documentId)?.state,
  updates: selectUpdates.all(documentId, through).map((row) => row.data),
}));

// Written only if the updates read are all still there: another compaction (the server's own, on
// unload) that got there first has deleted some, and its state is at least as new as this one.
const write = db.transaction((documentId: string, through: number, expected: number, state: Uint8Array, at: string) => {
  if (countUpdates.get(documentId, through)!.n !== expected) return false;
  upsertState.run(documentId, state, at);
  deleteUpdates.run(documentId, through);
  return true;
});

function compact({ requestId, documentId, throughUpdateId }: CompactionRequest): CompactionReply {
  const { state, updates } = read(documentId, throughUpdateId);
  // Nothing left up to that id: another compaction folded it already.
  if (updates.length === 0) return { requestId, type: 'skipped' };
  const doc = new Y.Doc();
  try {
    Y.transact(doc, () => {
      if (state) Y.applyUpdate(doc, state);
      for (const update of updates) Y.applyUpdate(doc, update);
    });
    const encoded = Y.encodeStateAsUpdate(doc);
    const written = write.immediate(documentId, throughUpdateId, updates.length, encoded, new Date().toISOString());
    return written ? { requestId, type: 'done', compacted: updates.length } : { requestId, type: 'skipped' };
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
    reply = compact(message);
  } catch (e: unknown) {
    reply = { requestId: message.requestId, type: 'error', message: e instanceof Error ? e.message : String(e) };
  }
  parentPort?.postMessage(reply);
});

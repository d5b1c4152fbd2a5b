// The update guard's cost per update in isolation, for `pnpm bench:sync`: the structs guard
// (judgeUpdate, what the server runs) against the staging-copy guard it replaced (applying the
// update to a second copy of the document, kept as the differential test's oracle), on the same
// document and the same single-cell edits of a sales planner.
// It also times what DESIGN.md §4 adds before any send: committing each accepted update with its
// cell history to SQLite (WAL, a file in a temporary directory, checkpoints left to the server's
// worker as in the server), the part of Accord's fan-out a server that persists later does not pay.
// Usage: node server/src/sync/guard-cost.bench.ts <file holding the encoded document> [updates]
// Prints one JSON line: { structs, staging, commit: {median, p99} } in microseconds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as Y from 'yjs';
import { testDatabase } from '../db/test-database.ts';
import { findSqliteHandle } from '../db/database.ts';
import { DocumentRepository } from './document.repository.ts';
import { judgeUpdate, type Sender } from './update-guard.ts';
import { applyToStaging, newStagingDoc } from './staging-guard.oracle.ts';

const [file, count = '2000'] = process.argv.slice(2);
if (!file) throw new Error('usage: guard-cost.bench.ts <encoded document> [updates]');
const updates = Number(count);
const state = new Uint8Array(fs.readFileSync(file));
const load = () => {
  const doc = newStagingDoc();
  Y.applyUpdate(doc, state);
  return doc;
};
const live = load();
const staging = load();
const client = load();
const keys = [...live.getMap<number>('sales').keys()];
const sender: Sender = { role: 'sales', userId: 'u-sales', stage: 'data-gathering' };
const owners = (id: number) => (id === client.clientID ? 'u-sales' : undefined);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-commit-'));
const db = await testDatabase(path.join(dir, 'accord.db'));
findSqliteHandle(db)!.pragma('wal_autocheckpoint = 0');
const store = new DocumentRepository(db);

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * p) - 1)]!;
const structsUs: number[] = [];
const stagingUs: number[] = [];
const commitUs: number[] = [];
for (let i = 0; i < updates; i++) {
  // The update of the edit's transaction, as the y-websocket client sends it.
  let update: Uint8Array = new Uint8Array();
  const capture = (u: Uint8Array) => (update = u);
  client.once('update', capture);
  client.getMap<number>('sales').set(keys[(i * 7919) % keys.length]!, 1_000 + i);
  // Interleaved, so both see the same machine load.
  let t = performance.now();
  const verdict = judgeUpdate(live, update, sender, owners);
  structsUs.push((performance.now() - t) * 1000);
  t = performance.now();
  const old = applyToStaging(staging, update, sender, owners);
  stagingUs.push((performance.now() - t) * 1000);
  if (verdict.type !== 'accepted' || old.type !== 'accepted') throw new Error(`edit ${i} refused: ${JSON.stringify([verdict, old])}`);
  const key = keys[(i * 7919) % keys.length]!;
  t = performance.now();
  await store.append({
    documentId: 'plan-1',
    update,
    afterSeq: i,
    userId: 'u1',
    at: new Date().toISOString(),
    kind: 'edited',
    summary: '',
    cells: [{ root: 'sales', key, oldValue: live.getMap<number>('sales').get(key) ?? null, newValue: 1_000 + i }],
    newClients: i === 0 ? [client.clientID] : [],
  });
  commitUs.push((performance.now() - t) * 1000);
  Y.applyUpdate(live, update);
}
await db.destroy();
fs.rmSync(dir, { recursive: true, force: true });
const summary = (values: number[]) => ({
  median: Number(percentile(values, 0.5).toFixed(1)),
  p99: Number(percentile(values, 0.99).toFixed(1)),
});
console.log(
  JSON.stringify({
    updates,
    structs: summary(structsUs.slice(100)),
    staging: summary(stagingUs.slice(100)),
    commit: summary(commitUs.slice(100)),
  }),
);

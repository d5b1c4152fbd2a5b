// The update guard's cost per update in isolation, for `pnpm bench:sync`: the structs guard
// (judgeUpdate, what the server runs) against the staging-copy guard it replaced (applying the
// update to a second copy of the document, kept as the differential test's oracle), on the same
// document and the same single-cell edits of a sales planner.
// Usage: node server/src/sync/guard-cost.bench.ts <file holding the encoded document> [updates]
// Prints one JSON line: { structs: {median, p99}, staging: {median, p99} } in microseconds.
import fs from 'node:fs';
import * as Y from 'yjs';
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

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil(values.length * p) - 1)]!;
const structsUs: number[] = [];
const stagingUs: number[] = [];
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
  Y.applyUpdate(live, update);
}
const summary = (values: number[]) => ({
  median: Number(percentile(values, 0.5).toFixed(1)),
  p99: Number(percentile(values, 0.99).toFixed(1)),
});
console.log(JSON.stringify({ updates, structs: summary(structsUs.slice(100)), staging: summary(stagingUs.slice(100)) }));

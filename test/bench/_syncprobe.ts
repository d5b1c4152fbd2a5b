import type * as Y from 'yjs';
import { buildPlan, HORIZON_BUCKETS, HORIZON_START, skuId } from './big-plan.ts';
import { AccordTarget, HocuspocusTarget, YwssTarget, inBatches, type BenchClient, type Target } from './sync/targets.ts';
import { addBuckets } from '@accord/plan-calc';
const SKUS = 5, RATE = 40, SECONDS = Number(process.env.SECONDS ?? 5), ROUNDS = Number(process.env.ROUNDS ?? 3), CLIENTS = Number(process.env.CLIENTS ?? 50);
const KEYS = Array.from({ length: SKUS * HORIZON_BUCKETS }, (_, i) => `${skuId(i % SKUS)}|${addBuckets(HORIZON_START, Math.floor(i / SKUS))}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (v: number[], p: number) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(s.length * p) - 1)]!; };
let nextBase = 1_000_000_000;
async function complete(t: Target, role: 'writer' | 'reader') { const c = t.connect('lat', role); await c.syncedAfter(-1, 60000); while (c.doc.getMap('sales').size < KEYS.length) await sleep(5); return c; }
async function openLoop(sender: BenchClient, receivers: BenchClient[]) {
  const count = RATE * SECONDS, base = nextBase; nextBase += 1_000_000;
  const lat: number[] = []; const scheduled = new Float64Array(count); const firsts: number[] = [];
  const un: (() => void)[] = [];
  const firstSeen = new Uint8Array(count);
  for (const r of receivers) {
    const map = r.doc.getMap<number>('sales'); const seen = new Uint8Array(count);
    const obs = (e: Y.YMapEvent<number>) => { const now = performance.now(); for (const k of e.keysChanged) { const i = (map.get(k) ?? 0) - base; if (i >= 0 && i < count && !seen[i]) { seen[i] = 1; lat.push(now - scheduled[i]!); if (!firstSeen[i]) { firstSeen[i] = 1; firsts.push(now - scheduled[i]!); } } } };
    map.observe(obs); un.push(() => map.unobserve(obs));
  }
  const start = performance.now() + 20; for (let i = 0; i < count; i++) scheduled[i] = start + (i * 1000) / RATE;
  let next = 0;
  while (next < count) { const now = performance.now(); while (next < count && scheduled[next]! <= now) { sender.doc.getMap('sales').set(KEYS[next % KEYS.length]!, base + next); next++; } if (next < count) await sleep(Math.max(0, scheduled[next]! - performance.now())); }
  const deadline = performance.now() + 5000; while (lat.length < count * receivers.length && performance.now() < deadline) await sleep(10);
  un.forEach((f) => f());
  return { p50: pct(lat, 0.5), p99: pct(lat, 0.99), first50: pct(firsts, 0.5), first99: pct(firsts, 0.99), n: lat.length };
}
const only = process.env.ONLY?.split(',');
const all: [string, () => Target][] = [['accord', () => new AccordTarget(3)], ['ywss', () => new YwssTarget()], ['hocus', () => new HocuspocusTarget()]];
const targets = all.filter(([n]) => !only || only.includes(n));
const setups: { name: string; t: Target; sender: BenchClient; receivers: BenchClient[] }[] = [];
for (const [name, make] of targets) {
  const t = make(); await t.start(); if (t instanceof AccordTarget) await t.prepareUsers();
  await t.seedPlans([{ name: 'lat', data: buildPlan(SKUS, 'lat', 7) }]);
  setups.push({ name, t, sender: undefined as any, receivers: [] });
}
// all servers up at once; measure interleaved (idle servers cost nothing)
for (const s of setups) { s.sender = await complete(s.t, 'writer'); await inBatches(Array.from({ length: CLIENTS - 1 }, (_, i) => i), 25, async () => { s.receivers.push(await complete(s.t, 'reader')); }); }
await sleep(1000);
const res: Record<string, any[]> = {};
for (let r = 0; r < ROUNDS; r++) for (const s of setups) { const x = await openLoop(s.sender, s.receivers); (res[s.name] ??= []).push(x); console.log(r, s.name, JSON.stringify(Object.fromEntries(Object.entries(x).map(([k, v]) => [k, Number(v.toFixed(2))])))); await sleep(500); }
for (const [n, xs] of Object.entries(res)) console.log(n, 'median p50', pct(xs.map((x) => x.p50), 0.5).toFixed(2), 'median p99', pct(xs.map((x) => x.p99), 0.5).toFixed(2), 'first p50', pct(xs.map((x) => x.first50), 0.5).toFixed(2));
for (const s of setups) { s.sender.destroy(); s.receivers.forEach((c) => c.destroy()); await s.t.stop(); }
process.exit(0);

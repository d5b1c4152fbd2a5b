// What the sync benchmarks (bench:sync, bench:cluster) measure with, whatever the server: the
// small plan's sales keys, connecting until a client holds a plan, the open-loop fan-out window,
// interleaved fan-out windows over several servers, the rate steps and the cold load.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type * as Y from 'yjs';
import { addBuckets } from '@accord/plan-calc';
import { buildPlan, HORIZON_BUCKETS, HORIZON_START, skuId } from '../big-plan.ts';
import { AccordTarget, inBatches, type BenchClient, type Target } from './targets.ts';

/** Latency and reconnect plans: 5 SKUs × 36 buckets. */
export const SMALL_SKUS = 5;
/** Cold load: 1,000 SKUs × 36 buckets. */
export const BIG_SKUS = 1_000;
/** How long deliveries may still arrive after the last send before they count as missing. */
export const DRAIN_MS = 5_000;
export const P99_LIMIT_MS = 100;
/** Senders stay under Accord's 100 messages/s per socket. */
export const PER_SENDER_RATE = 50;

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const round = (value: number, digits = 1) => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]!;
}
export const median = (values: number[]) => percentile(values, 0.5);
/** A progress line on stderr, tagged with the benchmark's name and the time. */
export const logger = (tag: string) => (message: string) => console.error(`[${tag} ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** The `sales` keys of the small plan, in a fixed order: the cells the senders write. */
export const SALES_KEYS = Array.from(
  { length: SMALL_SKUS * HORIZON_BUCKETS },
  (_, i) => `${skuId(i % SMALL_SKUS)}|${addBuckets(HORIZON_START, Math.floor(i / SMALL_SKUS))}`,
);
export const salesSize = (doc: Y.Doc) => doc.getMap('sales').size;
/** The small plan (every layer filled), as every benchmark seeds it. */
export const smallPlan = (name: string) => ({ name, data: buildPlan(SMALL_SKUS, name, 7) });

/**
 * Each run writes values base + index, so receivers map a value back to its index. A million apart
 * per run, starting at a million: all within a sales cell's bounds (at most 10⁹, CELL_BOUNDS).
 */
let nextBase = 1_000_000;
export function takeBase(): number {
  const base = nextBase;
  nextBase += 1_000_000;
  return base;
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

/**
 * Connects (to instance `instance`, or the next one round-robin) and waits until the client holds
 * the whole plan (`expectedSales` cells in `sales`).
 */
export async function connectComplete(
  target: Target,
  plan: string,
  role: 'writer' | 'reader',
  expectedSales: number,
  timeoutMs = 60_000,
  instance?: number,
) {
  const client = target.connect(plan, role, instance);
  await client.syncedAfter(-1, timeoutMs);
  await waitFor(() => salesSize(client.doc) >= expectedSales, timeoutMs, `${target.name}: ${plan} incomplete`);
  return client;
}

export async function connectMany(target: Target, plan: string, role: 'writer' | 'reader', count: number): Promise<BenchClient[]> {
  const clients: BenchClient[] = [];
  await inBatches(
    Array.from({ length: count }, (_, i) => i),
    25,
    async () => {
      clients.push(await connectComplete(target, plan, role, SALES_KEYS.length));
    },
  );
  return clients;
}

export interface LatencyResult {
  p50: number;
  p99: number;
  /** Median over updates of the first receiver's latency from the actual send (no timer lateness). */
  first: number;
  samples: number;
  missing: number;
}

/**
 * Open loop: `rate` updates/s for `seconds`, the send times fixed in advance and kept even when
 * behind; update i sets a `sales` cell to base + i. Latency = receive time − scheduled send time,
 * over every receiver; deliveries missing after the drain count as infinitely late.
 */
export async function openLoop(senders: BenchClient[], receivers: BenchClient[], rate: number, seconds: number): Promise<LatencyResult> {
  const count = Math.round(rate * seconds);
  const base = takeBase();
  const latencies: number[] = [];
  const scheduled = new Float64Array(count);
  const sentAt = new Float64Array(count);
  const firstAt = new Float64Array(count).fill(Infinity);
  const unobserve: (() => void)[] = [];
  for (const receiver of receivers) {
    const map = receiver.doc.getMap<number>('sales');
    const seen = new Uint8Array(count);
    const observer = (event: Y.YMapEvent<number>) => {
      const now = performance.now();
      for (const key of event.keysChanged) {
        const index = (map.get(key) ?? 0) - base;
        if (index >= 0 && index < count && !seen[index]) {
          seen[index] = 1;
          latencies.push(now - scheduled[index]!);
          if (now < firstAt[index]!) firstAt[index] = now;
        }
      }
    };
    map.observe(observer);
    unobserve.push(() => map.unobserve(observer));
  }
  const start = performance.now() + 20;
  for (let i = 0; i < count; i++) scheduled[i] = start + (i * 1000) / rate;
  let next = 0;
  while (next < count) {
    const now = performance.now();
    while (next < count && scheduled[next]! <= now) {
      sentAt[next] = performance.now();
      senders[next % senders.length]!.doc.getMap('sales').set(SALES_KEYS[next % SALES_KEYS.length]!, base + next);
      next++;
    }
    if (next < count) await sleep(Math.max(0, scheduled[next]! - performance.now()));
  }
  const expected = count * receivers.length;
  const deadline = performance.now() + DRAIN_MS;
  while (latencies.length < expected && performance.now() < deadline) await sleep(10);
  for (const stop of unobserve) stop();
  const missing = expected - latencies.length;
  const all = [...latencies, ...Array<number>(missing).fill(Infinity)];
  const first = median(Array.from(firstAt, (at, i) => at - sentAt[i]!));
  return { p50: percentile(all, 0.5), p99: percentile(all, 0.99), first, samples: latencies.length, missing };
}

/** Starts a server and puts the plans into it (Accord: its bench users first). */
export async function startAndSeed(target: Target, plans: ReturnType<typeof smallPlan>[]): Promise<void> {
  await target.start();
  if (target instanceof AccordTarget) await target.prepareUsers();
  await target.seedPlans(plans);
}

/**
 * Fan-out latency with `clients` per server (one sender, the rest receive), measured with every
 * server up at once and the windows interleaved: round 1 on each server, then round 2, and so on,
 * each round starting with the next server. A server with idle clients costs the others nothing
 * (the clients publish no presence), and a passing disturbance of the shared machine then spreads
 * over all servers instead of deciding one server's only window. The servers must be started and
 * hold the small plan `plan`; they are left running.
 */
export async function fanOutWindows(
  targets: Target[],
  options: { plan: string; clientCounts: number[]; rounds: number; rate: number; seconds: number; log: (message: string) => void },
): Promise<Map<string, Record<number, LatencyResult[]>>> {
  const results = new Map<string, Record<number, LatencyResult[]>>(targets.map((t) => [t.name, {}]));
  for (const clients of options.clientCounts) {
    options.log(`fan-out, ${clients} clients on each server`);
    const sets = new Map<string, { sender: BenchClient; receivers: BenchClient[] }>();
    for (const target of targets) {
      const sender = await connectComplete(target, options.plan, 'writer', SALES_KEYS.length);
      sets.set(target.name, { sender, receivers: await connectMany(target, options.plan, 'reader', clients - 1) });
    }
    // Idle clients must cost the other servers' windows nothing: no presence renewals (BenchClient.hidePresence).
    for (const { sender, receivers } of sets.values()) for (const c of [sender, ...receivers]) c.hidePresence();
    await sleep(1_000);
    for (let window = 0; window < options.rounds; window++) {
      // Each round starts with the next server, so none always runs first after the pause.
      for (const target of rotated(targets, window)) {
        const { sender, receivers } = sets.get(target.name)!;
        const result = await openLoop([sender], receivers, options.rate, options.seconds);
        (results.get(target.name)![clients] ??= []).push(result);
        options.log(
          `  ${target.name}, window ${window + 1}: p50 ${round(result.p50)} ms, p99 ${round(result.p99)} ms, first receiver ${round(result.first, 2)} ms`,
        );
        await sleep(300);
      }
    }
    for (const { sender, receivers } of sets.values()) for (const c of [sender, ...receivers]) c.destroy();
    await sleep(1_000);
  }
  return results;
}

/**
 * Runs this process on the last CPU and the server processes `pids` on the others (every thread,
 * with `taskset`) until the returned function puts them back on all CPUs: clients and server on
 * cores of their own, as on different machines. Left to the scheduler on a 2-core machine, the
 * server's first sends woke the client process onto the server's core, and some servers' fan-outs
 * (not others') got a ~0.6 ms hole after the first few receivers. Does nothing, saying so, with
 * one CPU or no `taskset`.
 */
export function pinCpus(pids: number[], log: (message: string) => void): () => void {
  const cpus = os.availableParallelism();
  const set = (list: string, pid: number) => execFileSync('taskset', ['-a', '-cp', list, String(pid)], { stdio: 'ignore' });
  try {
    if (cpus < 2) throw new Error('one CPU');
    set(String(cpus - 1), process.pid);
    for (const pid of pids) set(cpus === 2 ? '0' : `0-${cpus - 2}`, pid);
  } catch (e: unknown) {
    log(`not pinned to CPUs (${e instanceof Error ? e.message : String(e)}): clients and servers share every core`);
    return () => undefined;
  }
  log(`pinned: this process on CPU ${cpus - 1}, the servers on the others`);
  return () => {
    for (const pid of [process.pid, ...pids]) {
      try {
        set(`0-${cpus - 1}`, pid);
      } catch {
        // a server that has exited meanwhile
      }
    }
  };
}

/** `items` starting at index `by` (modulo its length), wrapping around. */
function rotated<T>(items: T[], by: number): T[] {
  const start = by % items.length;
  return [...items.slice(start), ...items.slice(0, start)];
}

/**
 * Sustained rate: the rate steps up with `readers` receivers, senders at most PER_SENDER_RATE each;
 * the highest step with p99 < P99_LIMIT_MS (stepping stops at the first failure).
 */
export async function rateSteps(
  target: Target,
  options: { plan: string; steps: number[]; seconds: number; readers: number },
): Promise<{ steps: { rate: number; p99: number; missing: number }[]; maxRate: number }> {
  const steps: { rate: number; p99: number; missing: number }[] = [];
  let maxRate = 0;
  const receivers = await connectMany(target, options.plan, 'reader', options.readers);
  const senders: BenchClient[] = [];
  for (const rate of options.steps) {
    while (senders.length < Math.ceil(rate / PER_SENDER_RATE))
      senders.push(await connectComplete(target, options.plan, 'writer', SALES_KEYS.length));
    await sleep(300);
    const result = await openLoop(senders, receivers, rate, options.seconds);
    steps.push({ rate, p99: result.p99, missing: result.missing });
    if (result.p99 < P99_LIMIT_MS) maxRate = rate;
    else break;
  }
  for (const c of [...senders, ...receivers]) c.destroy();
  await sleep(1_000);
  return { steps, maxRate };
}

/** Cold load: restart so nothing is in memory, then time a fresh client until it holds all `salesCells` of `plan`. */
export async function coldLoad(target: Target, plan: string, salesCells: number): Promise<{ loadMs: number; firstSyncMs: number }> {
  await target.stop();
  await target.start();
  await sleep(1_000);
  const t0 = performance.now();
  const client = target.connect(plan, 'reader');
  const firstSync = await client.syncedAfter(-1, 60_000);
  await waitFor(() => salesSize(client.doc) >= salesCells, 60_000, `${target.name}: ${plan} incomplete`);
  const loadMs = performance.now() - t0;
  client.destroy();
  return { loadMs, firstSyncMs: firstSync - t0 };
}

// Cluster benchmark (#19): Accord on PostgreSQL + Redis with 1 and 3 instances, Hocuspocus 4.7 with
// @hocuspocus/extension-redis and 3 instances on the same Redis, and Accord on SQLite as the
// single-instance reference, side by side in one run on loopback, each driven by its own official
// client from this process. Clients connect to the instances directly (no load balancer, for
// every server alike), spread round-robin. Prints a table and `METRIC name value` lines.
// Run: `pnpm bench:cluster` (about 10–15 minutes); needs PostgreSQL on 127.0.0.1:5432 and Redis
// (ACCORD_BENCH_REDIS_URL, default redis://127.0.0.1:6379).
import os from 'node:os';
import { buildPlan, HORIZON_BUCKETS } from './big-plan.ts';
import { AccordTarget, HocuspocusTarget, type BenchClient, type Target } from './sync/targets.ts';
import {
  BIG_SKUS,
  coldLoad,
  connectComplete,
  DRAIN_MS,
  fanOutWindows,
  logger,
  median,
  P99_LIMIT_MS,
  rateSteps,
  round,
  SALES_KEYS,
  sleep,
  smallPlan,
  startAndSeed,
  takeBase,
  waitFor,
  type LatencyResult,
} from './sync/measure.ts';

const REDIS_URL = process.env.ACCORD_BENCH_REDIS_URL || 'redis://127.0.0.1:6379';
const FANOUT_CLIENTS = 50;
const FANOUT_RATE = 40; // updates/s from one sender socket
const FANOUT_SECONDS = 5;
const FANOUT_ROUNDS = 3; // windows per server, interleaved across servers
const RATE_STEPS = [20, 50, 100, 200, 400, 800];
const RATE_SECONDS = 3;
const RATE_READERS = 10;
const COLD_RUNS = 2;
const KILL_WRITES = 300; // edits at KILL_RATE/s; the instance dies a third of the way through
const KILL_RATE = 100;
const TOTAL_TIMEOUT_MS = 30 * 60_000;

const log = logger('cluster-bench');
process.setMaxListeners(400);

interface Results {
  rate: Awaited<ReturnType<typeof rateSteps>>;
  coldLoad: number[];
  /** Edits some reader had received before the kill: how many, and how many a fresh client lacks afterwards. */
  acknowledged: number;
  lostAfterKill: number;
  lostAfterRestart: number;
  notes: string[];
}

/**
 * Lost updates: a writer on the instance that will die writes a cell after cell; readers on every
 * instance receive them. The instance is SIGKILLed with edits in flight and the writer dropped
 * with it (it cannot resend). What any reader had received counts as acknowledged; a fresh
 * client on a surviving instance (after 2 s), and again after every instance was restarted,
 * must hold all of it.
 */
async function killWithEditsInFlight(
  target: Target,
  notes: string[],
): Promise<Pick<Results, 'acknowledged' | 'lostAfterKill' | 'lostAfterRestart'>> {
  const victim = target.instances > 1 ? 1 : 0;
  const survivor = target.instances > 1 ? 0 : undefined;
  const writer = target.connect('kill', 'writer', victim);
  await writer.syncedAfter(-1, 30_000);
  const readers: BenchClient[] = [];
  for (let i = 0; i < target.instances; i++)
    for (let r = 0; r < 2; r++) readers.push(await connectComplete(target, 'kill', 'reader', SALES_KEYS.length, 60_000, i));
  const base = takeBase();
  const keys = Array.from({ length: KILL_WRITES }, (_, i) => SALES_KEYS[i % SALES_KEYS.length]!);
  // Each write goes to its own cell (the keys repeat after 180: the second round writes later values).
  let written = 0;
  const writing = (async () => {
    for (let i = 0; i < KILL_WRITES; i++) {
      writer.doc.getMap('sales').set(keys[i]!, base + i);
      written++;
      await sleep(1000 / KILL_RATE);
    }
  })();
  await waitFor(() => written >= KILL_WRITES / 3, 30_000, 'writes before the kill');
  // Received by some reader before the kill: the highest value per key each reader holds. Those
  // on other instances than the writer's show what had crossed between instances by then.
  const received = new Set<number>();
  const receivedElsewhere = new Set<number>();
  readers.forEach((reader, r) => {
    const map = reader.doc.getMap<number>('sales');
    const elsewhere = Math.floor(r / 2) !== victim;
    for (const key of new Set(keys)) {
      const value = map.get(key);
      if (value === undefined || value < base || value >= base + KILL_WRITES) continue;
      received.add(value - base);
      if (elsewhere) receivedElsewhere.add(value - base);
    }
  });
  await target.killInstance(victim);
  writer.destroy();
  await writing;
  for (const reader of readers) reader.destroy();
  // A value is lost when a fresh client holds an older value of its key (a later write of the same
  // key overwriting it is not a loss).
  const lostIn = (doc: BenchClient['doc']) =>
    [...received].filter((i) => {
      const value = doc.getMap<number>('sales').get(keys[i]!);
      return value === undefined || value < base + i;
    }).length;
  let lostAfterKill = NaN;
  if (survivor !== undefined) {
    await sleep(2_000);
    const fresh = await connectComplete(target, 'kill', 'reader', SALES_KEYS.length, 60_000, survivor);
    lostAfterKill = lostIn(fresh.doc);
    fresh.destroy();
  }
  await target.stop();
  await target.start();
  const fresh = await connectComplete(target, 'kill', 'reader', SALES_KEYS.length);
  const lostAfterRestart = lostIn(fresh.doc);
  fresh.destroy();
  if (received.size === 0) notes.push('no write reached a reader before the kill');
  if (target.instances > 1) notes.push(`${receivedElsewhere.size} of them had reached readers on the other instances`);
  return { acknowledged: received.size, lostAfterKill, lostAfterRestart };
}

async function benchTarget(target: Target): Promise<Results> {
  const notes: string[] = [];
  await target.start();
  log(`${target.name}: rate steps`);
  const rate = await rateSteps(target, { plan: 'lat', steps: RATE_STEPS, seconds: RATE_SECONDS, readers: RATE_READERS });
  log(`${target.name}: cold load`);
  const cold: number[] = [];
  for (let run = 0; run < COLD_RUNS; run++) cold.push((await coldLoad(target, 'big', BIG_SKUS * HORIZON_BUCKETS)).loadMs);
  log(`${target.name}: SIGKILL with edits in flight`);
  const killed = await killWithEditsInFlight(target, notes);
  await target.stop();
  return { rate, coldLoad: cold, ...killed, notes };
}

const targets: Target[] = [
  // 3 viewers (60 sockets) for the 49 readers, 2 more writers for the top rate steps.
  new AccordTarget(3, 2, { name: 'accord-sqlite' }),
  new AccordTarget(3, 2, { name: 'accord-pg-1', store: 'postgres', redisUrl: REDIS_URL }),
  new AccordTarget(3, 2, { name: 'accord-pg-3', store: 'postgres', redisUrl: REDIS_URL, instances: 3 }),
  new HocuspocusTarget({ name: 'hocuspocus-3', instances: 3, redisUrl: REDIS_URL }),
];
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const running = targets.filter((t) => !only || only.split(',').includes(t.name));
const loadAtStart = os.loadavg()[0]!.toFixed(2);
process.on('exit', () => {
  for (const t of running) t.killNow();
});
const watchdog = setTimeout(() => {
  console.error(`cluster benchmark exceeded ${TOTAL_TIMEOUT_MS / 60_000} minutes; stopping`);
  for (const t of running) t.killNow();
  process.exit(1);
}, TOTAL_TIMEOUT_MS);

const results = new Map<string, Results | Error>();
let fanout = new Map<string, Record<number, LatencyResult[]>>();
try {
  for (const target of running) {
    log(`${target.name}: start and seed`);
    await startAndSeed(target, [
      smallPlan('fanout'),
      smallPlan('lat'),
      smallPlan('kill'),
      { name: 'big', data: buildPlan(BIG_SKUS, 'big') },
    ]);
  }
  try {
    fanout = await fanOutWindows(running, {
      plan: 'fanout',
      clientCounts: [FANOUT_CLIENTS],
      rounds: FANOUT_ROUNDS,
      rate: FANOUT_RATE,
      seconds: FANOUT_SECONDS,
      log,
    });
  } catch (e: unknown) {
    log(`fan-out failed: ${e instanceof Error ? e.stack : String(e)}`);
  }
  for (const target of running) await target.stop();
  for (const target of running) {
    try {
      results.set(target.name, await benchTarget(target));
    } catch (e: unknown) {
      log(`${target.name} failed: ${e instanceof Error ? e.stack : String(e)}`);
      results.set(target.name, e instanceof Error ? e : new Error(String(e)));
    } finally {
      await target.kill().catch(() => undefined);
    }
  }
} finally {
  for (const target of running) {
    await target.kill().catch(() => undefined);
    await Promise.resolve(target.cleanup()).catch(() => undefined);
  }
  clearTimeout(watchdog);
}

const ok = (name: string) => {
  const r = results.get(name);
  return r instanceof Error || r === undefined ? undefined : r;
};
const ms = (v: number) => (Number.isFinite(v) ? `${round(v)} ms` : 'timeout');
const fan = (name: string) => {
  const windows = fanout.get(name)?.[FANOUT_CLIENTS];
  if (!windows?.length) return undefined;
  return {
    p50: median(windows.map((w) => w.p50)),
    p99: median(windows.map((w) => w.p99)),
    p99s: windows.map((w) => w.p99),
    first: median(windows.map((w) => w.first)),
    missing: windows.reduce((sum, w) => sum + w.missing, 0),
  };
};
const rows: [string, (name: string, r: Results | undefined) => string][] = [
  ['instances', (name) => String(running.find((t) => t.name === name)!.instances)],
  [
    `fan-out p50 / p99, ${FANOUT_CLIENTS} clients on one plan (${FANOUT_RATE}/s; median of ${FANOUT_ROUNDS} windows)`,
    (name) => {
      const f = fan(name);
      return f
        ? `${ms(f.p50)} / ${ms(f.p99)} (p99s ${f.p99s.map((v) => round(v)).join(', ')})${f.missing ? ` (${f.missing} missing)` : ''}`
        : 'not measured';
    },
  ],
  ['  first receiver (median, from the actual send)', (name) => (fan(name) ? `${round(fan(name)!.first, 2)} ms` : '')],
  [`max sustained rate, p99 < ${P99_LIMIT_MS} ms (${RATE_READERS} readers)`, (_, r) => (r ? `${r.rate.maxRate} updates/s` : '')],
  [
    '  steps (rate: p99 ms)',
    (_, r) =>
      r
        ? r.rate.steps
            .map((s) => `${s.rate}: ${Number.isFinite(s.p99) ? round(s.p99) : `>1% undelivered after ${DRAIN_MS / 1000} s`}`)
            .join(', ')
        : '',
  ],
  [
    `cold load 1,000×36, every instance restarted (median of ${COLD_RUNS})`,
    (_, r) => (r ? `${ms(median(r.coldLoad))} (runs ${r.coldLoad.map((v) => round(v, 0)).join(', ')})` : ''),
  ],
  ['SIGKILL with edits in flight: acknowledged edits', (_, r) => (r ? String(r.acknowledged) : '')],
  [
    '  lost, fresh client on a surviving instance',
    (_, r) => (r ? (Number.isNaN(r.lostAfterKill) ? 'n/a (one instance)' : String(r.lostAfterKill)) : ''),
  ],
  ['  lost, after every instance restarted', (_, r) => (r ? String(r.lostAfterRestart) : '')],
  ['notes', (_, r) => (r ? r.notes.join('; ') : '')],
];
const table: Record<string, Record<string, string>> = {};
for (const [label, cell] of rows) {
  table[label] = {};
  for (const t of running) {
    const r = ok(t.name);
    const failure = results.get(t.name) instanceof Error ? `failed: ${(results.get(t.name) as Error).message.split('\n')[0]}` : '';
    table[label][t.name] = cell(t.name, r) || failure;
  }
}
console.log(
  `Cluster benchmark, loopback, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores; load average at start ${loadAtStart}, at end ${os.loadavg()[0]!.toFixed(2)} (other processes share the machine); clients connect to the instances directly, round-robin; setups:`,
);
for (const t of running) console.log(`  ${t.name}: ${t.setup}`);
console.table(table);

const p99 = (name: string) => fan(name)?.p99 ?? NaN;
const lost = ['accord-pg-1', 'accord-pg-3', 'accord-sqlite'].map(ok).filter((r): r is Results => r !== undefined);
const lostTotal = lost.reduce((sum, r) => sum + r.lostAfterRestart + (Number.isNaN(r.lostAfterKill) ? 0 : r.lostAfterKill), 0);
console.log(`METRIC cluster_p99_ratio ${round(p99('accord-pg-3') / p99('hocuspocus-3'), 3)}`);
console.log(`METRIC cluster_lost_updates ${lost.length ? lostTotal : NaN}`);
console.log(`METRIC cluster_single_overhead ${round(p99('accord-pg-1') / p99('accord-sqlite'), 3)}`);
process.exit(ok('accord-pg-3') ? 0 : 1);

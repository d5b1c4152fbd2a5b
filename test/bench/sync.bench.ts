// Sync benchmark: Accord against @y/websocket-server 0.1.1 (LevelDB) and @hocuspocus/server 4.7
// (SQLite), each a child process on 127.0.0.1 driven by its own official client from this process.
// Fan-out latency runs first, with all three servers up and the windows interleaved; the rest runs
// one server at a time.
// Prints a table and `METRIC name value` lines. Run: `pnpm bench:sync` (about 5–8 minutes).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Doc as YDoc, encodeStateAsUpdate } from 'yjs';
import { writePlanData } from '@accord/plan-model';
import { REPO_ROOT } from '../support/server-process.ts';
import { buildPlan, HORIZON_BUCKETS, HORIZON_START, skuId } from './big-plan.ts';
import { AccordTarget, HocuspocusTarget, rssMiB, YwssTarget, type BenchClient, type Target } from './sync/targets.ts';
import {
  BIG_SKUS,
  SMALL_SKUS,
  connectComplete,
  connectMany,
  DRAIN_MS,
  fanOutWindows,
  logger,
  median,
  P99_LIMIT_MS,
  pinCpus,
  rateSteps,
  round,
  SALES_KEYS,
  salesSize,
  sleep,
  smallPlan,
  startAndSeed,
  takeBase,
  waitFor,
  type LatencyResult,
} from './sync/measure.ts';

const LATENCY_CLIENTS = [2, 10, 50];
const LATENCY_RATE = 40; // updates/s from one sender socket
const LATENCY_SECONDS = 5;
const LATENCY_ROUNDS = 5; // windows per server and client count, interleaved across servers
const RATE_STEPS = [20, 50, 100, 200, 400, 800, 1600];
const RATE_SECONDS = 3;
const RATE_READERS = 10;
const HEAP_PLANS = 10;
const COLD_RUNS = 3;
const RECONNECT_PLANS = 10;
const RECONNECT_PER_PLAN = 50;
const RECONNECT_WRITES = 20;
const RECONNECT_TIMEOUT_MS = 120_000;
const DURABILITY_WRITES = 50;
const TOTAL_TIMEOUT_MS = 15 * 60_000;

// y-websocket adds a process 'exit' listener per provider (removed on destroy); 500 at once is the point here.
process.setMaxListeners(RECONNECT_PLANS * RECONNECT_PER_PLAN + 100);

const log = logger('sync-bench');

interface Results {
  rateSteps: { rate: number; p99: number; missing: number }[];
  maxRate: number;
  rssPerPlan: number;
  rssBigPlan: number;
  rssBigPlanEditing: number;
  coldLoad: number[];
  coldFirstSync: number[];
  reconnectMs: number;
  reconnectAfterReadyMs: number;
  restartMs: number;
  lostReconnect: number;
  lostDurability: number;
  notes: string[];
}

/**
 * Fan-out latency with 2, 10 and 50 clients (one sender, the rest receive), with every server up
 * at once and the windows interleaved (measure.ts, fanOutWindows), this process and the servers on
 * cores of their own (measure.ts, pinCpus).
 */
async function fanOut(targets: Target[]): Promise<Map<string, Record<number, LatencyResult[]>>> {
  for (const target of targets) await startAndSeed(target, [smallPlan('fanout')]);
  const unpin = pinCpus(
    targets.map((t) => t.pid()),
    log,
  );
  let results;
  try {
    results = await fanOutWindows(targets, {
      plan: 'fanout',
      clientCounts: LATENCY_CLIENTS,
      rounds: LATENCY_ROUNDS,
      rate: LATENCY_RATE,
      seconds: LATENCY_SECONDS,
      log,
    });
  } finally {
    unpin();
  }
  for (const target of targets) await target.stop();
  return results;
}

async function benchTarget(target: Target): Promise<Results> {
  const notes: string[] = [];
  log(`${target.name}: start and seed`);
  const reconnectPlans = Array.from({ length: RECONNECT_PLANS }, (_, i) => `r${i}`);
  await startAndSeed(target, [smallPlan('lat'), ...reconnectPlans.map(smallPlan), { name: 'big', data: buildPlan(BIG_SKUS, 'big') }]);
  const bigSales = BIG_SKUS * HORIZON_BUCKETS;

  // Cold load: restart so nothing is in memory, then time a fresh client until it holds the whole plan.
  const coldLoad: number[] = [];
  const coldFirstSync: number[] = [];
  let rssPerPlan = NaN;
  let rssBigPlan = NaN;
  let rssBigPlanEditing = NaN;
  for (let run = 0; run < COLD_RUNS; run++) {
    await target.stop();
    await target.start();
    await sleep(1_000);
    if (run === 0) {
      // RSS per open plan: VmRSS before and after opening HEAP_PLANS small plans (one client each).
      const before = rssMiB(target.pid());
      const clients = await Promise.all(
        reconnectPlans.slice(0, HEAP_PLANS).map((p) => connectComplete(target, p, 'reader', SALES_KEYS.length)),
      );
      await sleep(1_000);
      rssPerPlan = (rssMiB(target.pid()) - before) / HEAP_PLANS;
      for (const c of clients) c.destroy();
      await sleep(500);
    }
    const rssBefore = rssMiB(target.pid());
    const t0 = performance.now();
    const client = target.connect('big', 'reader');
    const firstSync = await client.syncedAfter(-1, 60_000);
    await waitFor(() => salesSize(client.doc) >= bigSales, 60_000, `${target.name}: big plan incomplete`);
    coldLoad.push(performance.now() - t0);
    coldFirstSync.push(firstSync - t0);
    if (run === 0) {
      await sleep(1_000);
      rssBigPlan = rssMiB(target.pid()) - rssBefore;
      // Someone who may edit joins and writes a cell (a server that keeps a copy to judge edits on
      // builds it now), then the memory is read again.
      const editor = await connectComplete(target, 'big', 'writer', bigSales);
      editor.doc.getMap('sales').set(`${skuId(0)}|${HORIZON_START}`, 4242);
      await waitFor(() => client.doc.getMap('sales').get(`${skuId(0)}|${HORIZON_START}`) === 4242, 30_000, 'edit of the big plan');
      await sleep(2_000);
      rssBigPlanEditing = rssMiB(target.pid()) - rssBefore;
      editor.destroy();
    }
    client.destroy();
  }
  if (median(coldFirstSync) < median(coldLoad) * 0.5) notes.push('first sync event arrives before the stored plan (doc loads after sync)');

  // Sustained rate: step the rate up with RATE_READERS receivers (measure.ts, rateSteps).
  log(`${target.name}: rate steps`);
  const { steps: rateStepsDone, maxRate } = await rateSteps(target, {
    plan: 'lat',
    steps: RATE_STEPS,
    seconds: RATE_SECONDS,
    readers: RATE_READERS,
  });

  // Reconnect: 500 clients on 10 plans, writes observed, SIGKILL, restart on the same port.
  log(`${target.name}: reconnect ${RECONNECT_PLANS * RECONNECT_PER_PLAN} clients`);
  const planClients = new Map<string, BenchClient[]>();
  const tConnect = performance.now();
  for (const plan of reconnectPlans) {
    const writer = await connectComplete(target, plan, 'writer', SALES_KEYS.length);
    planClients.set(plan, [writer, ...(await connectMany(target, plan, 'reader', RECONNECT_PER_PLAN - 1))]);
  }
  const everyone = [...planClients.values()].flat();
  notes.push(`${everyone.length} clients connected in ${round((performance.now() - tConnect) / 1000)} s`);
  const base = takeBase();
  for (let i = 0; i < RECONNECT_WRITES; i++) {
    for (const clients of planClients.values()) clients[0]!.doc.getMap('sales').set(SALES_KEYS[i]!, base + i);
    await sleep(1000 / 20);
  }
  // What was observed before the kill: by plan, the writes some reader (not the writer) has.
  const observed = new Map<string, number[]>();
  await waitFor(
    () =>
      [...planClients.values()].every((clients) =>
        clients.slice(1).every((c) => c.doc.getMap('sales').get(SALES_KEYS[RECONNECT_WRITES - 1]!) === base + RECONNECT_WRITES - 1),
      ),
    10_000,
    'writes reach every reader',
  ).catch(() => notes.push('not every reader saw every write before the kill'));
  for (const [plan, clients] of planClients) {
    const seen = new Set<number>();
    for (const c of clients.slice(1)) {
      const map = c.doc.getMap<number>('sales');
      for (let i = 0; i < RECONNECT_WRITES; i++) if (map.get(SALES_KEYS[i]!) === base + i) seen.add(i);
    }
    observed.set(plan, [...seen]);
  }
  const tKill = performance.now();
  await target.kill();
  await target.start();
  const tReady = performance.now();
  let resynced = 0;
  const syncedAt: number[] = [];
  await Promise.all(
    everyone.map((c) =>
      c.syncedAfter(tKill, RECONNECT_TIMEOUT_MS).then(
        (at) => {
          resynced++;
          syncedAt.push(at - tKill);
        },
        () => undefined,
      ),
    ),
  );
  const tAll = performance.now();
  // Where the time goes: when clients synced again, and how many attempts each needed (y-websocket
  // backs off 200, 400, 800, 1,600 ms between attempts, so one refused attempt costs a step).
  const attemptsAfterKill = everyone.map((c) => c.attempts.filter((t) => t > tKill).length);
  if (attemptsAfterKill.some((n) => n > 0)) {
    const byCount = new Map<number, number>();
    for (const n of attemptsAfterKill) byCount.set(n, (byCount.get(n) ?? 0) + 1);
    const sorted = [...syncedAt].sort((a, b) => a - b);
    const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN);
    notes.push(
      `reconnect: listening at ${Math.round(tReady - tKill)} ms; synced after the kill at p10 ${at(0.1)}, p50 ${at(0.5)}, ` +
        `p90 ${at(0.9)}, last ${at(1)} ms; attempts per client: ` +
        [...byCount]
          .sort(([a], [b]) => a - b)
          .map(([n, count]) => `${n}×${count}`)
          .join(', '),
    );
  }
  if (resynced < everyone.length) notes.push(`only ${resynced}/${everyone.length} resynced within ${RECONNECT_TIMEOUT_MS / 1000} s`);
  const reconnectMs = resynced === everyone.length ? tAll - tKill : Infinity;
  // Lost: observed before the kill but missing afterwards everywhere, checked by a fresh client per plan
  // (it sees what the server holds after the old clients resent what it lacked).
  await sleep(1_000);
  let lostReconnect = 0;
  for (const [plan, indices] of observed) {
    const fresh = await connectComplete(target, plan, 'reader', SALES_KEYS.length);
    const map = fresh.doc.getMap<number>('sales');
    for (const i of indices) if (map.get(SALES_KEYS[i]!) !== base + i) lostReconnect++;
    fresh.destroy();
  }
  for (const c of everyone) c.destroy();
  await sleep(1_000);

  // Durability alone: writes observed by a reader, every client gone (nobody can resend), SIGKILL.
  log(`${target.name}: durability`);
  const writer = await connectComplete(target, 'r0', 'writer', SALES_KEYS.length);
  const reader = await connectComplete(target, 'r0', 'reader', SALES_KEYS.length);
  const dBase = takeBase();
  for (let i = 0; i < DURABILITY_WRITES; i++) {
    writer.doc.getMap('sales').set(SALES_KEYS[i]!, dBase + i);
    await sleep(10);
  }
  await waitFor(
    () => reader.doc.getMap('sales').get(SALES_KEYS[DURABILITY_WRITES - 1]!) === dBase + DURABILITY_WRITES - 1,
    10_000,
    'durability writes seen',
  );
  const seenByReader = Array.from({ length: DURABILITY_WRITES }, (_, i) => i).filter(
    (i) => reader.doc.getMap('sales').get(SALES_KEYS[i]!) === dBase + i,
  );
  writer.destroy();
  reader.destroy();
  await target.kill();
  await target.start();
  const after = await connectComplete(target, 'r0', 'reader', SALES_KEYS.length);
  const lostDurability = seenByReader.filter((i) => after.doc.getMap('sales').get(SALES_KEYS[i]!) !== dBase + i).length;
  after.destroy();
  await target.stop();

  return {
    rateSteps: rateStepsDone,
    maxRate,
    rssPerPlan,
    rssBigPlan,
    rssBigPlanEditing,
    coldLoad,
    coldFirstSync,
    reconnectMs,
    reconnectAfterReadyMs: tAll - tReady,
    restartMs: tReady - tKill,
    lostReconnect,
    lostDurability,
    notes,
  };
}

// `--only=<name>` runs one server (for debugging; the METRIC lines then compare against nothing).
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const loadAtStart = os.loadavg()[0]!.toFixed(2);
// ACCORD_BEFORE_ROOT=<a checkout of an earlier commit, dependencies installed> adds that Accord as
// a fourth server, "accord-before", to compare a change with what it replaced in the same run.
const beforeRoot = process.env.ACCORD_BEFORE_ROOT;
const factories: [string, () => Target][] = [
  // 25 viewers for the 500-client reconnect; 2 more writers for the top rate step (32 sender sockets).
  ['accord', () => new AccordTarget(25, 2)],
  ...(beforeRoot
    ? ([['accord-before', () => new AccordTarget(25, 2, { root: beforeRoot, name: 'accord-before' })]] as [string, () => Target][])
    : []),
  ['y-websocket-server', () => new YwssTarget()],
  ['hocuspocus', () => new HocuspocusTarget()],
];
const targets: Target[] = factories.filter(([name]) => !only || name === only).map(([, make]) => make());
const results = new Map<string, Results | Error>();
// Whatever happens, no server outlives the benchmark.
process.on('exit', () => {
  for (const t of targets) t.killNow();
});
const watchdog = setTimeout(() => {
  console.error(`sync benchmark exceeded ${TOTAL_TIMEOUT_MS / 60_000} minutes; stopping`);
  for (const t of targets) void t.kill().catch(() => undefined);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
let fanout = new Map<string, Record<number, LatencyResult[]>>();
try {
  try {
    fanout = await fanOut(targets);
  } catch (e: unknown) {
    log(`fan-out failed: ${e instanceof Error ? e.stack : String(e)}`);
    for (const target of targets) await target.kill().catch(() => undefined);
  }
  for (const target of targets) {
    try {
      results.set(target.name, await benchTarget(target));
    } catch (e: unknown) {
      log(`${target.name} failed: ${e instanceof Error ? e.stack : String(e)}`);
      results.set(target.name, e instanceof Error ? e : new Error(String(e)));
    } finally {
      await target.kill().catch(() => undefined);
      await target.cleanup();
    }
  }
} finally {
  for (const target of targets) await target.kill().catch(() => undefined);
  clearTimeout(watchdog);
}

// Table: rows are metrics, columns are servers.
const ok = (name: string) => {
  const r = results.get(name);
  return r instanceof Error || r === undefined ? undefined : r;
};
const ms = (v: number) => (Number.isFinite(v) ? `${round(v)} ms` : 'timeout');
/** Median p50 and p99 of a server's windows at one client count; undefined if not measured. */
const fan = (name: string, n: number) => {
  const windows = fanout.get(name)?.[n];
  if (!windows?.length) return undefined;
  return {
    p50: median(windows.map((w) => w.p50)),
    p99: median(windows.map((w) => w.p99)),
    p99s: windows.map((w) => w.p99),
    first: median(windows.map((w) => w.first)),
    missing: windows.reduce((sum, w) => sum + w.missing, 0),
  };
};
const fanRows: [string, (name: string) => string][] = LATENCY_CLIENTS.map((n) => [
  `fan-out p50 / p99, ${n} clients (${LATENCY_RATE}/s; median of ${LATENCY_ROUNDS} windows)`,
  (name) => {
    const f = fan(name, n);
    if (!f) return 'not measured';
    return `${ms(f.p50)} / ${ms(f.p99)} (p99s ${f.p99s.map((v) => round(v)).join(', ')}; first receiver ${round(f.first, 2)} ms)${f.missing ? ` (${f.missing} missing)` : ''}`;
  },
]);
const rows: [string, (r: Results) => string][] = [
  [`max sustained rate, p99 < ${P99_LIMIT_MS} ms (${RATE_READERS} readers)`, (r) => `${r.maxRate} updates/s`],
  [
    '  steps (rate: p99)',
    (r) =>
      r.rateSteps
        .map((s) => `${s.rate}: ${Number.isFinite(s.p99) ? round(s.p99) : `>1% undelivered after ${DRAIN_MS / 1000} s`}`)
        .join(', '),
  ],
  [`RSS per open plan (${SMALL_SKUS}×36 plan, ${HEAP_PLANS} plans)`, (r) => `${round(r.rssPerPlan, 2)} MiB`],
  ['RSS growth, 1,000×36 plan loaded', (r) => `${round(r.rssBigPlan)} MiB`],
  ['  and one editor connected (one edit made)', (r) => `${round(r.rssBigPlanEditing)} MiB`],
  [
    `cold load 1,000×36 (median of ${COLD_RUNS})`,
    (r) => `${ms(median(r.coldLoad))} (runs ${r.coldLoad.map((v) => round(v, 0)).join(', ')})`,
  ],
  ['  first sync event', (r) => ms(median(r.coldFirstSync))],
  [`reconnect ${RECONNECT_PLANS * RECONNECT_PER_PLAN} clients / ${RECONNECT_PLANS} plans, kill → all synced`, (r) => ms(r.reconnectMs)],
  ['  of which restart (kill → listening)', (r) => ms(r.restartMs)],
  ['  listening → all synced', (r) => ms(r.reconnectAfterReadyMs)],
  ['lost updates after reconnect (clients resend)', (r) => String(r.lostReconnect)],
  [`lost updates, kill with no client left (${DURABILITY_WRITES} writes)`, (r) => String(r.lostDurability)],
  ['notes', (r) => r.notes.join('; ')],
];
const table: Record<string, Record<string, string>> = {};
for (const [label, cell] of fanRows) {
  table[label] = {};
  for (const t of targets) table[label][t.name] = cell(t.name);
}
for (const [label, cell] of rows) {
  table[label] = {};
  for (const t of targets) {
    const r = ok(t.name);
    table[label][t.name] = r ? cell(r) : `failed: ${(results.get(t.name) as Error | undefined)?.message.split('\n')[0] ?? '?'}`;
  }
}
console.log(
  `Sync benchmark, loopback, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores; load average at start ${loadAtStart}, at end ${os.loadavg()[0]!.toFixed(2)} (other processes share the machine); setups:`,
);
for (const t of targets) console.log(`  ${t.name}: ${t.setup}`);
console.table(table);

// The guard's own cost per update, in isolation (a script of the server package, on the same
// 1,000 × 36 plan): the structs guard against the staging-copy guard it replaced.
type Figure = { median: number; p99: number };
let guard: { structs: Figure; staging: Figure; commit: Figure } | undefined;
if (!only || only === 'accord') {
  const file = path.join(os.tmpdir(), `accord-guard-${process.pid}.bin`);
  const doc = new YDoc();
  writePlanData(doc, buildPlan(BIG_SKUS, 'big'));
  fs.writeFileSync(file, encodeStateAsUpdate(doc));
  try {
    const output = execFileSync(process.execPath, ['server/src/sync/guard-cost.bench.ts', file, '3000'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    guard = JSON.parse(output.trim().split('\n').at(-1)!) as typeof guard;
  } catch (e: unknown) {
    log(`guard cost failed: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    fs.rmSync(file, { force: true });
  }
}
if (guard)
  console.log(
    `Guard per single-cell update on the 1,000×36 plan (3,000 edits, interleaved): structs ${guard.structs.median} µs median / ${guard.structs.p99} µs p99; staging copy ${guard.staging.median} / ${guard.staging.p99} µs`,
  );
if (guard)
  console.log(
    `Commit before send per single-cell update (SQLite WAL, update + cell history, in isolation): ${guard.commit.median} µs median / ${guard.commit.p99} µs p99`,
  );

const accord = ok('accord');
const refs = ['y-websocket-server', 'hocuspocus'].map(ok).filter((r): r is Results => r !== undefined);
const best = (values: number[]) => (values.length ? Math.min(...values) : NaN);
const refP99s = ['y-websocket-server', 'hocuspocus'].flatMap((name) => fan(name, 50)?.p99 ?? []);
const p99Ratio = (fan('accord', 50)?.p99 ?? NaN) / best(refP99s);
const coldRatio = accord ? median(accord.coldLoad) / best(refs.map((r) => median(r.coldLoad))) : NaN;
console.log(`METRIC p99_ratio_50 ${round(p99Ratio, 3)}`);
console.log(`METRIC cold_load_ratio ${round(coldRatio, 3)}`);
const reconnectRatio = accord ? accord.reconnectMs / best(refs.map((r) => r.reconnectMs)) : NaN;
const firstGap =
  (fan('accord', 50)?.first ?? NaN) - best(['y-websocket-server', 'hocuspocus'].flatMap((name) => fan(name, 50)?.first ?? []));
console.log(
  `first receiver at 50 clients: accord ${round(fan('accord', 50)?.first ?? NaN, 2)} ms, ${round(firstGap, 2)} ms behind the best reference`,
);
const before = ok('accord-before');
console.log(`METRIC reconnect_500_ms ${accord ? round(accord.reconnectMs, 0) : NaN}`);
console.log(`METRIC reconnect_500_ratio ${round(reconnectRatio, 3)}`);
console.log(`METRIC rss_big_plan_editing_mib ${accord ? round(accord.rssBigPlanEditing, 1) : NaN}`);
if (before) console.log(`METRIC rss_big_plan_editing_before_mib ${round(before.rssBigPlanEditing, 1)}`);
if (guard) {
  console.log(`METRIC guard_us_median ${guard.structs.median}`);
  console.log(`METRIC guard_us_p99 ${guard.structs.p99}`);
  console.log(`METRIC commit_us_median ${guard.commit.median}`);
}
console.log(`METRIC lost_updates ${accord ? accord.lostReconnect + accord.lostDurability : NaN}`);
process.exit(accord ? 0 : 1);

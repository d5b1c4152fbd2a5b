// Planning-maths benchmark: a plan of 1,000 SKUs × 36 monthly buckets with every layer filled.
// Also the spread maths of a total-row edit over 18 months (18,000 cells; `METRIC spread_calc_ms`,
// target < 20) and the calculator following it. Prints a table and `METRIC name value` lines for
// tracking. Run: `pnpm bench:calc`.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as Y from 'yjs';
import {
  addBuckets,
  layerValue,
  PlanCalculator,
  planSpread,
  seededRandom,
  VALUE_ROOTS,
  type CellChange,
  type PlanData,
  type ValueRoot,
} from '@accord/plan-calc';
import { readPlanData, writePlanData } from '@accord/plan-model';
import { buildPlan, HORIZON_BUCKETS, HORIZON_START } from './big-plan.ts';

const SKUS = 1_000;
const FAMILIES = 25;
const RESOURCES = 12;
// The shared generator's shape at 1,000 SKUs: 25 families, 12 lines, 12 history months.
const HISTORY_BUCKETS = 12;
const FULL_RUNS = 7;
const INCREMENTAL_EDITS = 300;
const SPREAD_RUNS = 7;
const SPREAD_BUCKETS = 18;
const LOAD_RUNS = 5;

// Forced GC without a command-line flag: the flag can be turned on at run time and `gc` read from
// a fresh context (the documented V8 flag, not a Node API).
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const random = seededRandom(20270101);
const int = (max: number) => Math.floor(random() * max);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;
const round = (value: number, digits = 2) => Number(value.toFixed(digits));

function timed<T>(run: () => T): { ms: number; result: T } {
  const start = performance.now();
  const result = run();
  return { ms: performance.now() - start, result };
}

// Single-cell edits weighted like a planning meeting: mostly demand and supply, some finance.
const EDIT_ROOTS: ValueRoot[] = [
  'sales',
  'sales',
  'sales',
  'marketing',
  'consensus',
  'production',
  'production',
  'capacity',
  'prices',
  'budget',
];

function randomEdit(data: PlanData): CellChange {
  const root = EDIT_ROOTS[int(EDIT_ROOTS.length)]!;
  const bucket = addBuckets(HORIZON_START, int(HORIZON_BUCKETS));
  const sku = `SKU-${String(int(SKUS)).padStart(4, '0')}`;
  if (root === 'capacity') return { root, key: `R${int(RESOURCES)}|${bucket}`, value: 1_000 + int(1_500) };
  if (root === 'budget') return { root, key: `F${int(FAMILIES)}|${bucket}`, value: 300_000 + int(200_000) };
  if (root === 'prices') return { root, key: `${sku}|${bucket}`, value: 2 + int(20) };
  const key = `${sku}|${bucket}`;
  return { root, key, value: Math.max(0, Math.round((data.cells[root][key] ?? 1000) * (0.7 + random() * 0.6))) };
}

/** Builds the document through plan-model; while plan-model is being adapted, falls back to writing the maps directly. */
function buildDoc(data: PlanData): { doc: Y.Doc; via: string } {
  const doc = new Y.Doc();
  try {
    writePlanData(doc, data);
    return { doc, via: 'writePlanData' };
  } catch {
    const fallback = new Y.Doc();
    fallback.transact(() => {
      for (const [field, value] of Object.entries(data.meta)) fallback.getMap('meta').set(field, value);
      for (const root of VALUE_ROOTS) for (const [key, value] of Object.entries(data.cells[root])) fallback.getMap(root).set(key, value);
    });
    return { doc: fallback, via: 'direct maps (plan-model not ready)' };
  }
}

const data = buildPlan(SKUS, 'Benchmark plan');
const cellCount = VALUE_ROOTS.reduce((sum, root) => sum + Object.keys(data.cells[root]).length, 0);

// Full recompute: a calculator built from scratch, several runs, the median.
const fullMs: number[] = [];
let calc = new PlanCalculator(data);
for (let run = 0; run < FULL_RUNS; run++) {
  const { ms, result } = timed(() => new PlanCalculator(data));
  fullMs.push(ms);
  calc = result;
}

// Incremental: one random cell per call, timed one by one.
const incrementalMs: number[] = [];
for (let edit = 0; edit < INCREMENTAL_EDITS; edit++) {
  const change = randomEdit(data);
  incrementalMs.push(timed(() => calc.applyCellChanges([change])).ms);
}

// Spreading: the total sales forecast over 18 months (1,000 SKUs × 18 = 18,000 cells) set 5 % higher,
// as the grid does for a total-row edit: read the values in effect, spread, list the cell writes.
// Then the calculator follows the 18,000 writes (what every browser does when the update arrives),
// built as the browser's session builds it (adopting the data read for it).
const spreadMs: number[] = [];
const followMs: number[] = [];
let spreadCells = 0;
{
  const spreadData = buildPlan(SKUS, 'Spread plan');
  const read = (root: ValueRoot, key: string) => spreadData.cells[root][key];
  const rowIds = Object.keys(spreadData.products);
  const buckets = Array.from({ length: SPREAD_BUCKETS }, (_, i) => addBuckets(HORIZON_START, i));
  for (let run = 0; run < SPREAD_RUNS; run++) {
    let before = 0;
    for (const rowId of rowIds) for (const bucket of buckets) before += layerValue(read, 'sales', rowId, bucket);
    // As the grid calls it: the plan has no holds, which the session knows without looking at each cell.
    const source = { read, hasHolds: () => false };
    const { ms, result } = timed(() => planSpread(source, { root: 'sales', rowIds, buckets }, Math.round(before * 1.05), { round: true }));
    if (!result.ok) throw new Error(`spread refused: ${result.problem}`);
    spreadMs.push(ms);
    spreadCells = result.cells;
    // As the browser's session does: a calculator over data read for it alone, which it adopts
    // (writes in place, no copy of a root on its first write). The copy is the bench's, not timed.
    const follower = new PlanCalculator(
      { ...spreadData, cells: { ...spreadData.cells, sales: { ...spreadData.cells.sales } } },
      { adopt: true },
    );
    followMs.push(timed(() => follower.applyCellChanges(result.changes)).ms);
    for (const change of result.changes) spreadData.cells.sales[change.key] = change.value!;
  }
}

// Encoded document size and load time (decode into a fresh doc + read back to plain data).
const { doc, via } = buildDoc(data);
const update = Y.encodeStateAsUpdate(doc);
doc.destroy();
const loadMs: number[] = [];
for (let run = 0; run < LOAD_RUNS; run++) {
  loadMs.push(
    timed(() => {
      const fresh = new Y.Doc();
      Y.applyUpdate(fresh, update);
      try {
        return readPlanData(fresh);
      } catch {
        return VALUE_ROOTS.map((root) => fresh.getMap(root).toJSON());
      }
    }).ms,
  );
}

// Heap with the plan data and one calculator alive, after forced collections.
const heapMb: number[] = [];
for (let run = 0; run < 3; run++) {
  gc();
  heapMb.push(process.memoryUsage().heapUsed / 2 ** 20);
}
const calculatorHeapMb = (() => {
  gc();
  const before = process.memoryUsage().heapUsed;
  const extra = new PlanCalculator(data);
  gc();
  const after = process.memoryUsage().heapUsed;
  return { mb: (after - before) / 2 ** 20, products: extra.products().length };
})();

const metrics = {
  calc_full_ms: round(median(fullMs)),
  calc_incremental_ms: round(median(incrementalMs), 3),
  doc_bytes: update.byteLength,
  doc_load_ms: round(median(loadMs)),
  heap_mb: round(median(heapMb), 1),
  spread_calc_ms: round(median(spreadMs)),
  spread_follow_ms: round(median(followMs)),
};

console.log(
  `plan: ${SKUS} SKUs × ${HORIZON_BUCKETS} monthly buckets (+${HISTORY_BUCKETS} history), ${cellCount.toLocaleString('en')} cells, doc via ${via}`,
);
console.table({
  'full recompute': { median: `${metrics.calc_full_ms} ms`, p95: `${round(percentile(fullMs, 0.95))} ms`, runs: FULL_RUNS },
  'one-cell incremental': {
    median: `${metrics.calc_incremental_ms} ms`,
    p95: `${round(percentile(incrementalMs, 0.95), 3)} ms`,
    runs: INCREMENTAL_EDITS,
  },
  'doc load (applyUpdate + readPlanData)': {
    median: `${metrics.doc_load_ms} ms`,
    p95: `${round(percentile(loadMs, 0.95))} ms`,
    runs: LOAD_RUNS,
  },
  [`spread: total sales × 1.05 over ${SPREAD_BUCKETS} months (${spreadCells.toLocaleString('en')} cells)`]: {
    median: `${metrics.spread_calc_ms} ms`,
    p95: `${round(percentile(spreadMs, 0.95))} ms`,
    runs: SPREAD_RUNS,
  },
  'calculator follows the spread (applyCellChanges)': {
    median: `${metrics.spread_follow_ms} ms`,
    p95: `${round(percentile(followMs, 0.95))} ms`,
    runs: SPREAD_RUNS,
  },
  'encoded doc size': { median: `${(metrics.doc_bytes / 2 ** 20).toFixed(2)} MiB (${metrics.doc_bytes} B)`, p95: '', runs: 1 },
  'heap used (data + calculator)': { median: `${metrics.heap_mb} MB`, p95: '', runs: heapMb.length },
  'one calculator alone': { median: `${round(calculatorHeapMb.mb, 1)} MB`, p95: '', runs: 1 },
});
for (const [name, value] of Object.entries(metrics)) console.log(`METRIC ${name} ${value}`);

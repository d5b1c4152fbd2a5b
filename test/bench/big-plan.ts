// Seeded plain plan data (the `PlanData` shape of @accord/plan-calc) for the benchmarks (calc, sync,
// web): every layer filled, the same numbers on every run.
import { addBuckets, bucketRange, emptyCells, seededRandom, type PlanData } from '@accord/plan-calc';

export const HORIZON_START = '2027-01';
export const HORIZON_BUCKETS = 36;
const HISTORY_BUCKETS = 12;

/** The SKU id of product `p`. */
export const skuId = (p: number) => `SKU-${String(p).padStart(4, '0')}`;

/** A plan of `skus` products × 36 monthly buckets (+12 history) with every layer filled. */
export function buildPlan(skus: number, name: string, seed = 20270101): PlanData {
  const random = seededRandom(seed);
  const int = (max: number) => Math.floor(random() * max);
  const families = Math.max(1, Math.min(25, Math.ceil(skus / 40)));
  const resources = Math.max(1, Math.min(12, Math.ceil(skus / 80)));
  const data: PlanData = {
    meta: {
      name,
      currency: 'EUR',
      bucket: 'month',
      horizonStart: HORIZON_START,
      horizonBuckets: HORIZON_BUCKETS,
      historyBuckets: HISTORY_BUCKETS,
      cycleStage: 'data-gathering',
      schemaVersion: 2,
    },
    families: {},
    products: {},
    resources: {},
    cells: emptyCells(),
  };
  for (let f = 0; f < families; f++) data.families[`F${f}`] = { id: `F${f}`, name: `Family ${f}`, order: f };
  for (let r = 0; r < resources; r++) data.resources[`R${r}`] = { id: `R${r}`, name: `Line ${r}`, order: r };
  const horizon = bucketRange(HORIZON_START, HORIZON_BUCKETS);
  const history = bucketRange(addBuckets(HORIZON_START, -HISTORY_BUCKETS), HISTORY_BUCKETS);
  const { cells } = data;
  for (let p = 0; p < skus; p++) {
    const id = skuId(p);
    data.products[id] = {
      id,
      name: `Product ${p}`,
      familyId: `F${p % families}`,
      unit: 'cases',
      resourceId: `R${p % resources}`,
      hoursPerUnit: 0.002 + random() * 0.01,
      leadTimeDays: 7 + int(30),
      safetyStockDays: 10 + int(30),
      order: p,
    };
    const level = 200 + int(2000);
    cells.inventory[id] = level * 2;
    cells.prices[id] = 2 + int(20);
    cells.costs[id] = 1 + int(10);
    for (const bucket of history) {
      const key = `${id}|${bucket}`;
      cells.actuals[key] = Math.round(level * (0.8 + random() * 0.4));
      cells.actualProduction[key] = Math.round(level * (0.8 + random() * 0.4));
      cells.actualInventory[key] = Math.round(level * (1.5 + random()));
      cells.statistical[key] = Math.round(level * (0.9 + random() * 0.2));
    }
    for (const bucket of horizon) {
      const key = `${id}|${bucket}`;
      cells.statistical[key] = Math.round(level * (0.9 + random() * 0.2));
      cells.sales[key] = Math.round(level * (0.85 + random() * 0.3));
      cells.marketing[key] = int(100);
      if (random() < 0.3) cells.consensus[key] = Math.round(level * (0.9 + random() * 0.2));
      cells.production[key] = Math.round(level * (0.9 + random() * 0.25));
      if (random() < 0.1) cells.prices[key] = 2 + int(20);
      if (random() < 0.1) cells.costs[key] = 1 + int(10);
    }
  }
  for (let r = 0; r < resources; r++) for (const bucket of horizon) cells.capacity[`R${r}|${bucket}`] = 1_400 + int(800);
  for (let f = 0; f < families; f++) for (const bucket of horizon) cells.budget[`F${f}|${bucket}`] = 300_000 + int(200_000);
  return data;
}

/** The last cell written by `writePlanData` is not knowable in general; this one is always present. */
export const sentinelKey = (skus: number) => `${skuId(skus - 1)}|${addBuckets(HORIZON_START, HORIZON_BUCKETS - 1)}`;

import { addBuckets, bucketRange, type BucketSize } from './buckets.ts';
import { emptyCells, type PlanData, type Product } from './plan-data.ts';

export { seededRandom } from './random.ts';

/** An integer in [0, max). */
export function randomInt(random: () => number, max: number): number {
  return Math.floor(random() * max);
}

/** Picks one item of a non-empty list. */
export function pick<T>(random: () => number, items: readonly T[]): T {
  return items[randomInt(random, items.length)]!;
}

export interface RandomPlanOptions {
  products?: number;
  families?: number;
  resources?: number;
  horizonBuckets?: number;
  bucket?: BucketSize;
  /** Probability that each optional cell is filled. */
  density?: number;
}

/** A random plan with every layer partly filled, some retired entities and some per-bucket overrides. */
export function randomPlan(random: () => number, options: RandomPlanOptions = {}): PlanData {
  const { products = 6, families = 3, resources = 2, horizonBuckets = 8, bucket = 'month', density = 0.6 } = options;
  const horizonStart = bucket === 'month' ? '2027-01' : '2026-W50';
  const data: PlanData = {
    meta: {
      name: 'random',
      currency: 'EUR',
      bucket,
      horizonStart,
      horizonBuckets,
      historyBuckets: 2,
      cycleStage: 'demand-review',
      schemaVersion: 2,
    },
    families: {},
    products: {},
    resources: {},
    cells: emptyCells(),
  };
  for (let f = 0; f < families; f++) data.families[`f${f}`] = { id: `f${f}`, name: `Family ${f}`, order: randomInt(random, 3) };
  for (let r = 0; r < resources; r++) data.resources[`r${r}`] = { id: `r${r}`, name: `Line ${r}`, order: r };
  if (random() < 0.3) data.resources.r0!.retired = true;
  for (let p = 0; p < products; p++) {
    const product: Product = {
      id: `p${p}`,
      name: `Product ${p}`,
      familyId: `f${randomInt(random, families + 1)}`, // sometimes a family that does not exist
      unit: 'cases',
      resourceId: `r${randomInt(random, resources)}`,
      hoursPerUnit: pick(random, [0, 0.01, 0.05, 0.1, 0.25]),
      leadTimeDays: randomInt(random, 30),
      safetyStockDays: randomInt(random, 40),
      order: randomInt(random, 4),
    };
    if (random() < 0.1) product.retired = true;
    data.products[product.id] = product;
  }
  const buckets = bucketRange(addBuckets(horizonStart, -2), horizonBuckets + 3);
  const maybe = (root: keyof PlanData['cells'], key: string, max: number, min = 0) => {
    if (random() < density) data.cells[root][key] = min + randomInt(random, max - min);
  };
  for (const id of Object.keys(data.products)) {
    maybe('inventory', id, 800);
    maybe('prices', id, 20, 1);
    maybe('costs', id, 15, 1);
    for (const b of buckets) {
      const key = `${id}|${b}`;
      maybe('statistical', key, 400);
      if (random() < 0.4) maybe('sales', key, 400);
      if (random() < 0.3) maybe('marketing', key, 80, -40);
      if (random() < 0.15) maybe('consensus', key, 400);
      maybe('production', key, 450);
      if (random() < 0.1) maybe('prices', key, 25, 1);
      if (random() < 0.1) maybe('costs', key, 20, 1);
      if (random() < 0.3) maybe('actuals', key, 400);
      if (random() < 0.3) maybe('actualProduction', key, 400);
      if (random() < 0.3) maybe('actualInventory', key, 400);
    }
  }
  for (const id of Object.keys(data.resources)) for (const b of buckets) maybe('capacity', `${id}|${b}`, 60);
  for (const id of Object.keys(data.families)) for (const b of buckets) maybe('budget', `${id}|${b}`, 20000);
  return data;
}

/** A deep copy of plain JSON-like data. */
export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

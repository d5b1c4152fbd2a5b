import type { Bucket, BucketSize } from './buckets.ts';

/** The stages of the monthly S&OP cycle (DESIGN.md §1), in order; `locked` once consensus is agreed. */
export const CYCLE_STAGES = ['data-gathering', 'demand-review', 'supply-review', 'pre-sop', 'executive', 'locked'] as const;
export type CycleStage = (typeof CYCLE_STAGES)[number];

/** Plan-level settings (root `meta`). */
export interface PlanMeta {
  name: string;
  currency: string;
  /** Bucket size of the whole plan: every cell key and `horizonStart` use it. */
  bucket: BucketSize;
  /** First bucket of the planning horizon; buckets before it are history. */
  horizonStart: Bucket;
  horizonBuckets: number;
  historyBuckets: number;
  cycleStage: CycleStage;
  schemaVersion: number;
}

/** A product family, the first level of roll-up; a retired family retires its products. */
export interface Family {
  id: string;
  name: string;
  order: number;
  retired?: boolean;
}

/** A SKU; a retired one keeps its history but leaves the horizon maths and roll-ups. */
export interface Product {
  id: string;
  name: string;
  familyId: string;
  /** Unit of measure of every quantity of this product, e.g. `units`, `cases`, `kg`. */
  unit: string;
  /** The production resource that makes it. */
  resourceId: string;
  hoursPerUnit: number;
  leadTimeDays: number;
  /** Safety-stock target as days of cover; a bucket below it is a breach. */
  safetyStockDays: number;
  order: number;
  retired?: boolean;
}

/** A production resource (line, cell, plant) with capacity in hours; a retired one leaves the load tables. */
export interface Resource {
  id: string;
  name: string;
  order: number;
  retired?: boolean;
}

/**
 * Document roots that hold numeric cells, keyed `rowId|bucket` unless said: demand (`sales`
 * absolute sales forecast, `marketing` additive uplift in units), supply (`production`,
 * `capacity` hours keyed `resourceId|bucket`, `inventory` opening stock keyed `productId`),
 * finance (`prices` and `costs` per unit keyed `productId`, overridden per bucket by
 * `productId|bucket`; `budget` revenue keyed `familyId|bucket`), `consensus` demand, and the
 * server-written `actuals` (sales), `actualProduction`, `actualInventory` (closing stock) and
 * `statistical` baseline.
 */
export const VALUE_ROOTS = [
  'sales',
  'marketing',
  'production',
  'capacity',
  'inventory',
  'prices',
  'costs',
  'budget',
  'consensus',
  'actuals',
  'actualProduction',
  'actualInventory',
  'statistical',
] as const;
export type ValueRoot = (typeof VALUE_ROOTS)[number];

/** Numeric cells of one value root, keyed by `rowId|bucket` or by `rowId`. */
export type Cells = Record<string, number>;

/** An empty cells record for every value root. */
export function emptyCells(): Record<ValueRoot, Cells> {
  return Object.fromEntries(VALUE_ROOTS.map((root) => [root, {}])) as unknown as Record<ValueRoot, Cells>;
}

/** The whole plan as plain data: what plan-calc computes on, what snapshots and tests hold. */
export interface PlanData {
  meta: PlanMeta;
  families: Record<string, Family>;
  products: Record<string, Product>;
  resources: Record<string, Resource>;
  cells: Record<ValueRoot, Cells>;
}

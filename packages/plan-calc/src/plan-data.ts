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
 * `productId|bucket`; `budget` revenue keyed `familyId|bucket`), `consensus` demand, the
 * server-written `actuals` (sales), `actualProduction`, `actualInventory` (closing stock) and
 * `statistical` baseline, and the hold flags of the spreadable layers ({@link HOLD_ROOT_OF}).
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
  'salesHolds',
  'marketingHolds',
  'consensusHolds',
  'productionHolds',
  'capacityHolds',
  'priceHolds',
  'costHolds',
  'budgetHolds',
] as const;
export type ValueRoot = (typeof VALUE_ROOTS)[number];

/**
 * Holds: cells a spread leaves alone (what planning suites call locking a cell). Each layer a
 * planner can spread into has its own hold root in the layer's section, so whoever may write the
 * layer may hold it and nobody else. A hold cell is the flag 1 keyed like the layer's cells
 * (`rowId|bucket` holds one cell) or by the row alone (`rowId` holds every bucket of the row);
 * releasing deletes it.
 */
export const HOLD_ROOT_OF = {
  sales: 'salesHolds',
  marketing: 'marketingHolds',
  consensus: 'consensusHolds',
  production: 'productionHolds',
  capacity: 'capacityHolds',
  prices: 'priceHolds',
  costs: 'costHolds',
  budget: 'budgetHolds',
} as const satisfies Partial<Record<ValueRoot, ValueRoot>>;
/** A layer whose cells can be held (and spread into). */
export type HoldableRoot = keyof typeof HOLD_ROOT_OF;
/** A root holding hold flags. */
export type HoldRoot = (typeof HOLD_ROOT_OF)[HoldableRoot];

/** The holdable layers, in display order. */
export const HOLDABLE_ROOTS = Object.keys(HOLD_ROOT_OF) as HoldableRoot[];
/** The hold roots (flags, not plan figures). */
export const HOLD_ROOTS: readonly HoldRoot[] = Object.values(HOLD_ROOT_OF);

/** Whether a value root holds hold flags rather than plan figures. */
export function isHoldRoot(root: string): root is HoldRoot {
  return (HOLD_ROOTS as readonly string[]).includes(root);
}

/** Whether the layer's cells can be held. */
export function isHoldableRoot(root: string): root is HoldableRoot {
  return Object.hasOwn(HOLD_ROOT_OF, root);
}

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

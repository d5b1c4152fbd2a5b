import type { Month } from './months.ts';

/** Plan-level settings (root `meta`). */
export interface PlanMeta {
  name: string;
  currency: string;
  /** Bucket size of the horizon; only months for now. */
  bucket: 'month';
  /** First month of the planning horizon; months before it are history. */
  horizonStart: Month;
  horizonMonths: number;
  historyMonths: number;
  schemaVersion: number;
}

/** A product family, the first level of roll-up. */
export interface Family {
  id: string;
  name: string;
  order: number;
}

/** A SKU. */
export interface Product {
  id: string;
  name: string;
  familyId: string;
  /** Unit of measure of every quantity of this product, e.g. `units`, `cases`, `kg`. */
  unit: string;
  /** The production resource that makes it. */
  resourceId: string;
  hoursPerUnit: number;
  order: number;
}

/** A production resource (line, cell, plant) with capacity in hours. */
export interface Resource {
  id: string;
  name: string;
  order: number;
}

/**
 * Document roots that hold numeric cells, by section: demand (`sales` absolute sales forecast,
 * `marketing` uplift), supply (`production`, `capacity` hours, `inventory` opening stock keyed by
 * product), finance (`prices`, `costs` per product, `budget`), `consensus` overrides, and the
 * server-written `actuals` and `statistical` baseline.
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
  'statistical',
] as const;
export type ValueRoot = (typeof VALUE_ROOTS)[number];

/** An empty cells record for every value root. */
export function emptyCells(): Record<ValueRoot, Cells> {
  return Object.fromEntries(VALUE_ROOTS.map((root) => [root, {}])) as unknown as Record<ValueRoot, Cells>;
}

/** Numeric cells of one value root, keyed by `rowId|YYYY-MM` or by `rowId`. */
export type Cells = Record<string, number>;

/** The whole plan as plain data: what plan-calc computes on, what snapshots and tests hold. */
export interface PlanData {
  meta: PlanMeta;
  families: Record<string, Family>;
  products: Record<string, Product>;
  resources: Record<string, Resource>;
  cells: Record<ValueRoot, Cells>;
}

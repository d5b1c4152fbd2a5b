import type { Bucket, Quarter } from './buckets.ts';
import { utilisation } from './capacity-load.ts';
import { budgetGapUnits, marginPct } from './finance.ts';
import { daysOfCover } from './inventory-projection.ts';
import type { DemandLayer } from './projection.ts';

/**
 * Per-bucket series that roll up by plain addition (stocks, flows, money, and the cover
 * denominator), and the demand layers in effect, which the grid's family and total rows show:
 * `salesForecast` is the sales forecast, else the statistical baseline it leaves in effect;
 * `statisticalForecast` and `marketingUplift` are the stored cells (0 when empty).
 */
export const SUMMED_FIELDS = [
  'demand',
  'production',
  'constrainedProduction',
  'servedDemand',
  'unmetDemand',
  'projectedInventory',
  'constrainedInventory',
  'forwardDailyDemand',
  'revenue',
  'costOfGoods',
  'grossMargin',
  'unmetRevenue',
  'salesForecast',
  'statisticalForecast',
  'marketingUplift',
] as const;
export type SummedField = (typeof SUMMED_FIELDS)[number];

/** Series that roll up, one number per horizon bucket each. */
export type SummedSeries = Record<SummedField, number[]>;

/** The computed plan of one SKU over the horizon; every array has one entry per horizon bucket. */
export interface ProductPlan extends SummedSeries {
  productId: string;
  familyId: string;
  resourceId: string;
  openingInventory: number;
  demandLayer: DemandLayer[];
  /** Projected closing stock / forward daily demand; null when no demand lies ahead. */
  daysOfCover: (number | null)[];
  safetyStockBreach: boolean[];
  /** Projected (unconstrained) closing inventory below 0. */
  stockOut: boolean[];
  price: number[];
  unitCost: number[];
  marginPct: (number | null)[];
}

/** A roll-up of products (a family, or the whole plan): sums, counts, budget and recomputed ratios. */
export interface GroupPlan extends SummedSeries {
  id: string;
  openingInventory: number;
  /** How many SKUs stock out in the bucket. */
  stockOuts: number[];
  /** How many SKUs are below their safety stock in the bucket. */
  safetyStockBreaches: number[];
  /** Budgeted revenue in currency; an absent budget cell counts as 0. */
  budget: number[];
  /** Revenue − budget, in currency (positive = above budget). */
  budgetGap: number[];
  budgetGapUnits: (number | null)[];
  daysOfCover: (number | null)[];
  marginPct: (number | null)[];
}

/** Capacity load of one resource per bucket. */
export interface ResourcePlan {
  resourceId: string;
  /** Σ production × hoursPerUnit over the resource's active products. */
  loadHours: number[];
  /** The capacity cell; null when none is planned (then the resource is never overloaded). */
  capacityHours: (number | null)[];
  utilisation: (number | null)[];
  overloaded: boolean[];
  /** Factor applied to its products' production: 1, or capacity / load when overloaded. */
  scale: number[];
  constrainedLoadHours: number[];
}

/** Figures of a product or group over a run of buckets (a quarter, the horizon). */
export interface PeriodSummary {
  from: Bucket;
  to: Bucket;
  /** Flows summed over the period. */
  demand: number;
  production: number;
  constrainedProduction: number;
  servedDemand: number;
  unmetDemand: number;
  revenue: number;
  costOfGoods: number;
  grossMargin: number;
  unmetRevenue: number;
  salesForecast: number;
  statisticalForecast: number;
  marketingUplift: number;
  /** Stocks at the end of the period. */
  projectedInventory: number;
  constrainedInventory: number;
  forwardDailyDemand: number;
  /** Ratios recomputed from the period's numerators and denominators. */
  daysOfCover: number | null;
  marginPct: number | null;
  /** Buckets (product) or SKU-buckets (group) stocked out, or below safety stock, in the period. */
  stockOuts: number;
  safetyStockBreaches: number;
  /** Null for a product, which has no budget. */
  budget: number | null;
  budgetGap: number | null;
  budgetGapUnits: number | null;
}

/** Capacity figures of a resource over a run of buckets. */
export interface ResourcePeriodSummary {
  from: Bucket;
  to: Bucket;
  loadHours: number;
  /** Σ of the planned capacity cells; null when the period has none. */
  capacityHours: number | null;
  /** Σ load / Σ capacity, never an average of bucket utilisations. */
  utilisation: number | null;
  constrainedLoadHours: number;
  overloadedBuckets: number;
}

/** A contiguous run of horizon buckets in one quarter, by index into the horizon. */
export interface QuarterSpan {
  quarter: Quarter;
  from: number;
  to: number;
}

function sumRange(values: readonly number[], from: number, to: number): number {
  let sum = 0;
  for (let i = from; i <= to; i++) sum += values[i]!;
  return sum;
}

function countRange(values: readonly (boolean | number)[], from: number, to: number): number {
  let count = 0;
  for (let i = from; i <= to; i++) count += Number(values[i]);
  return count;
}

/**
 * Summarises a product or group over horizon buckets `from`..`to` (indices, inclusive): flows
 * summed, stocks taken at the end, ratios recomputed from the summed parts.
 */
export function summarisePeriod(plan: ProductPlan | GroupPlan, buckets: readonly Bucket[], from: number, to: number): PeriodSummary {
  const flow = (field: SummedField) => sumRange(plan[field], from, to);
  const revenue = flow('revenue');
  const grossMargin = flow('grossMargin');
  const demand = flow('demand');
  const projectedInventory = plan.projectedInventory[to]!;
  const forwardDailyDemand = plan.forwardDailyDemand[to]!;
  const isGroup = 'budget' in plan;
  const budget = isGroup ? sumRange(plan.budget, from, to) : null;
  const budgetGap = budget === null ? null : revenue - budget;
  return {
    from: buckets[from]!,
    to: buckets[to]!,
    demand,
    production: flow('production'),
    constrainedProduction: flow('constrainedProduction'),
    servedDemand: flow('servedDemand'),
    unmetDemand: flow('unmetDemand'),
    revenue,
    costOfGoods: flow('costOfGoods'),
    grossMargin,
    unmetRevenue: flow('unmetRevenue'),
    salesForecast: flow('salesForecast'),
    statisticalForecast: flow('statisticalForecast'),
    marketingUplift: flow('marketingUplift'),
    projectedInventory,
    constrainedInventory: plan.constrainedInventory[to]!,
    forwardDailyDemand,
    daysOfCover: daysOfCover(projectedInventory, forwardDailyDemand),
    marginPct: marginPct(grossMargin, revenue),
    stockOuts: countRange(isGroup ? plan.stockOuts : plan.stockOut, from, to),
    safetyStockBreaches: countRange(isGroup ? plan.safetyStockBreaches : plan.safetyStockBreach, from, to),
    budget,
    budgetGap,
    budgetGapUnits: budgetGap === null ? null : budgetGapUnits(budgetGap, demand, revenue),
  };
}

/** Summarises a resource over horizon buckets `from`..`to` (indices, inclusive). */
export function summariseResourcePeriod(plan: ResourcePlan, buckets: readonly Bucket[], from: number, to: number): ResourcePeriodSummary {
  const loadHours = sumRange(plan.loadHours, from, to);
  let capacityHours: number | null = null;
  for (let i = from; i <= to; i++) {
    const capacity = plan.capacityHours[i];
    if (capacity !== null && capacity !== undefined) capacityHours = (capacityHours ?? 0) + capacity;
  }
  return {
    from: buckets[from]!,
    to: buckets[to]!,
    loadHours,
    capacityHours,
    utilisation: utilisation(loadHours, capacityHours),
    constrainedLoadHours: sumRange(plan.constrainedLoadHours, from, to),
    overloadedBuckets: countRange(plan.overloaded, from, to),
  };
}

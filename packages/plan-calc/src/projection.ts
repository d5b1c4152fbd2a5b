import { addBuckets, bucketRange, type Bucket } from './buckets.ts';
import { unitPrice } from './finance.ts';
import { cellKey } from './keys.ts';
import type { Cells, PlanData, ValueRoot } from './plan-data.ts';

/** The layer a demand figure came from. */
export type DemandLayer = 'consensus' | 'sales' | 'statistical' | 'none';

/**
 * Resolves demand from the values of its layers (undefined = empty cell); the one place the
 * precedence rule lives: a consensus override wins outright; otherwise the sales forecast (an
 * absolute quantity typed by sales) replaces the statistical baseline, and the marketing uplift
 * is added on top. With no layer at all the demand is the uplift (0 without one), layer `none`.
 */
export function resolveDemand(
  consensus: number | undefined,
  sales: number | undefined,
  statistical: number | undefined,
  marketing: number | undefined,
): { value: number; layer: DemandLayer } {
  if (consensus !== undefined) return { value: consensus, layer: 'consensus' };
  const uplift = marketing ?? 0;
  if (sales !== undefined) return { value: sales + uplift, layer: 'sales' };
  if (statistical !== undefined) return { value: statistical + uplift, layer: 'statistical' };
  return { value: uplift, layer: 'none' };
}

/**
 * Layered demand of one product in one bucket, by the precedence rule of {@link resolveDemand}.
 * @example layeredDemand(data.cells, 'P01', '2027-01') // { value: 1250, layer: 'sales' }
 */
export function layeredDemand(cells: Record<ValueRoot, Cells>, productId: string, bucket: Bucket): { value: number; layer: DemandLayer } {
  const key = cellKey(productId, bucket);
  return resolveDemand(cells.consensus[key], cells.sales[key], cells.statistical[key], cells.marketing[key]);
}

/** Every layer of one demand cell and which one won, for a cell's lineage panel. */
export interface DemandLineage {
  value: number;
  layer: DemandLayer;
  consensus: number | undefined;
  sales: number | undefined;
  statistical: number | undefined;
  marketing: number | undefined;
  /** Whether the marketing uplift is part of `value` (it is not under a consensus override). */
  upliftApplied: boolean;
}

/** The demand of one product and bucket with all its layers, so the UI can say where a number came from. */
export function demandLineage(cells: Record<ValueRoot, Cells>, productId: string, bucket: Bucket): DemandLineage {
  const key = cellKey(productId, bucket);
  const layers = {
    consensus: cells.consensus[key],
    sales: cells.sales[key],
    statistical: cells.statistical[key],
    marketing: cells.marketing[key],
  };
  const { value, layer } = resolveDemand(layers.consensus, layers.sales, layers.statistical, layers.marketing);
  return { value, layer, ...layers, upliftApplied: layer !== 'consensus' && layers.marketing !== undefined };
}

/**
 * Opening stock of a product at the start of the horizon: the `inventory` cell, else the actual
 * closing stock of the last history bucket (`actualInventory`), else 0.
 */
export function openingStock(cells: Record<ValueRoot, Cells>, productId: string, horizonStart: Bucket): number {
  return cells.inventory[productId] ?? cells.actualInventory[cellKey(productId, addBuckets(horizonStart, -1))] ?? 0;
}

/** Per-bucket figures of one product over the horizon, ignoring capacity (see PlanCalculator for the full plan). */
export interface ProductProjection {
  productId: string;
  buckets: Bucket[];
  demand: number[];
  demandLayer: DemandLayer[];
  production: number[];
  /** Closing inventory of each bucket: previous closing (opening stock first) + production − demand. */
  projectedInventory: number[];
  /** Demand × price of the bucket. */
  revenue: number[];
}

/**
 * Projects one product over the plan horizon on its own, without capacity constraints.
 * @example projectProduct(data, 'P01').projectedInventory
 */
export function projectProduct(data: PlanData, productId: string): ProductProjection {
  const buckets = bucketRange(data.meta.horizonStart, data.meta.horizonBuckets);
  const { cells } = data;
  let stock = openingStock(cells, productId, data.meta.horizonStart);
  const projection: ProductProjection = {
    productId,
    buckets,
    demand: [],
    demandLayer: [],
    production: [],
    projectedInventory: [],
    revenue: [],
  };
  for (const bucket of buckets) {
    const demand = layeredDemand(cells, productId, bucket);
    const production = cells.production[cellKey(productId, bucket)] ?? 0;
    stock = stock + production - demand.value;
    projection.demand.push(demand.value);
    projection.demandLayer.push(demand.layer);
    projection.production.push(production);
    projection.projectedInventory.push(stock);
    projection.revenue.push(demand.value * unitPrice(cells, productId, bucket));
  }
  return projection;
}

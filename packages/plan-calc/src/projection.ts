import { cellKey } from './keys.ts';
import { monthRange, type Month } from './months.ts';
import type { Cells, PlanData, ValueRoot } from './plan-data.ts';

/** The layer a demand figure came from. */
export type DemandLayer = 'consensus' | 'sales' | 'statistical' | 'none';

/**
 * Layered demand of one product in one month. The precedence rule, defined here once:
 * a consensus override wins outright; otherwise the sales forecast (an absolute quantity typed
 * by sales) replaces the statistical baseline, and the marketing uplift is added on top.
 * With no layer at all the demand is 0 and the layer `none`.
 */
export function layeredDemand(cells: Record<ValueRoot, Cells>, productId: string, month: Month): { value: number; layer: DemandLayer } {
  const key = cellKey(productId, month);
  const consensus = cells.consensus[key];
  if (consensus !== undefined) return { value: consensus, layer: 'consensus' };
  const sales = cells.sales[key];
  const statistical = cells.statistical[key];
  const uplift = cells.marketing[key] ?? 0;
  if (sales !== undefined) return { value: sales + uplift, layer: 'sales' };
  if (statistical !== undefined) return { value: statistical + uplift, layer: 'statistical' };
  return { value: uplift, layer: 'none' };
}

/** Per-month figures of one product over the horizon. */
export interface ProductProjection {
  productId: string;
  months: Month[];
  demand: number[];
  demandLayer: DemandLayer[];
  production: number[];
  /** Closing inventory of each month: previous closing (opening stock first) + production − demand. */
  projectedInventory: number[];
  /** Demand × price. */
  revenue: number[];
}

/** Projects one product over the plan horizon. Opening stock is `inventory[productId]`. */
export function projectProduct(data: PlanData, productId: string): ProductProjection {
  const months = monthRange(data.meta.horizonStart, data.meta.horizonMonths);
  const { cells } = data;
  const price = cells.prices[productId] ?? 0;
  let stock = cells.inventory[productId] ?? 0;
  const projection: ProductProjection = {
    productId,
    months,
    demand: [],
    demandLayer: [],
    production: [],
    projectedInventory: [],
    revenue: [],
  };
  for (const month of months) {
    const demand = layeredDemand(cells, productId, month);
    const production = cells.production[cellKey(productId, month)] ?? 0;
    stock = stock + production - demand.value;
    projection.demand.push(demand.value);
    projection.demandLayer.push(demand.layer);
    projection.production.push(production);
    projection.projectedInventory.push(stock);
    projection.revenue.push(demand.value * price);
  }
  return projection;
}

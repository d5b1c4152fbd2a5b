import type { Bucket } from './buckets.ts';
import type { Cells, ValueRoot } from './plan-data.ts';

/**
 * Price per unit of a product in a bucket: the `productId|bucket` cell overrides the
 * `productId` cell; with neither the price is 0 (an unpriced product earns nothing).
 */
export function unitPrice(cells: Record<ValueRoot, Cells>, productId: string, bucket: Bucket): number {
  return cells.prices[`${productId}|${bucket}`] ?? cells.prices[productId] ?? 0;
}

/** Cost per unit of a product in a bucket, with the same override rule as {@link unitPrice}. */
export function unitCost(cells: Record<ValueRoot, Cells>, productId: string, bucket: Bucket): number {
  return cells.costs[`${productId}|${bucket}`] ?? cells.costs[productId] ?? 0;
}

/** Gross margin as a fraction of revenue; null when there is no revenue to divide by. */
export function marginPct(grossMargin: number, revenue: number): number | null {
  return revenue === 0 ? null : grossMargin / revenue;
}

/**
 * The budget gap expressed in units: the currency gap divided by the average price realised
 * (revenue / demand); null when there is no demand or no revenue to price it with.
 */
export function budgetGapUnits(budgetGap: number, demand: number, revenue: number): number | null {
  return demand === 0 || revenue === 0 ? null : (budgetGap * demand) / revenue;
}

/** How many following buckets the days-of-cover rule averages demand over. */
export const COVER_WINDOW_BUCKETS = 3;

/**
 * Average daily demand looking forward from bucket `index`: Σ demand / Σ days over the next
 * {@link COVER_WINDOW_BUCKETS} buckets (fewer near the horizon end); the last bucket of the
 * horizon, having none after it, uses its own demand.
 */
export function forwardDailyDemand(demand: readonly number[], daysPerBucket: readonly number[], index: number): number {
  const last = demand.length - 1;
  if (index >= last) return demand[last]! / daysPerBucket[last]!;
  const end = Math.min(index + COVER_WINDOW_BUCKETS, last);
  let units = 0;
  let days = 0;
  for (let i = index + 1; i <= end; i++) {
    units += demand[i]!;
    days += daysPerBucket[i]!;
  }
  return units / days;
}

/**
 * Days the closing stock lasts at the forward daily demand: max(closing, 0) / daily demand;
 * null (infinite cover) when there is no positive demand ahead.
 * @example daysOfCover(300, 10) === 30
 */
export function daysOfCover(closingInventory: number, dailyDemand: number): number | null {
  return dailyDemand > 0 ? Math.max(closingInventory, 0) / dailyDemand : null;
}

/** Whether the cover falls below the safety-stock target; infinite cover never breaches. */
export function isSafetyStockBreach(cover: number | null, safetyStockDays: number): boolean {
  return cover !== null && cover < safetyStockDays;
}

/**
 * Stock served from what is available: the demand, capped at the available stock (never below 0);
 * unmet demand is lost, not carried forward as a backorder.
 */
export function servedDemand(demand: number, availableStock: number): number {
  return Math.min(demand, Math.max(availableStock, 0));
}

// Errors are actual − forecast throughout, so a positive bias means the forecast was too low.

/** Symmetric MAPE in percent as scored by M4: 200/h · Σ |y − ŷ| / (|y| + |ŷ|); a step where both are 0 counts as 0. */
export function smape(actual: readonly number[], forecast: readonly number[]): number {
  const h = checkedLength(actual, forecast);
  let sum = 0;
  for (let i = 0; i < h; i++) {
    const y = actual[i] ?? 0;
    const f = forecast[i] ?? 0;
    const denominator = Math.abs(y) + Math.abs(f);
    if (denominator > 0) sum += Math.abs(y - f) / denominator;
  }
  return (200 / h) * sum;
}

/**
 * Mean absolute scaled error: the forecast's MAE divided by the in-sample MAE of the seasonal naive method
 * with lag m, (1/(n−m)) Σ_{t>m} |y_t − y_{t−m}| (Hyndman & Koehler 2006; M4 uses m = 1 for weekly data).
 * NaN when the history is not longer than m or the scale is 0.
 */
export function mase(actual: readonly number[], forecast: readonly number[], history: readonly number[], seasonLength = 1): number {
  const h = checkedLength(actual, forecast);
  const m = Math.max(1, Math.floor(seasonLength));
  if (history.length <= m) return NaN;
  let scale = 0;
  for (let t = m; t < history.length; t++) scale += Math.abs((history[t] ?? 0) - (history[t - m] ?? 0));
  scale /= history.length - m;
  if (scale === 0) return NaN;
  let error = 0;
  for (let i = 0; i < h; i++) error += Math.abs((actual[i] ?? 0) - (forecast[i] ?? 0));
  return error / h / scale;
}

/** Mean absolute percentage error in percent over the steps whose actual is not 0 (NaN when every actual is 0). */
export function mape(actual: readonly number[], forecast: readonly number[]): number {
  const h = checkedLength(actual, forecast);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < h; i++) {
    const y = actual[i] ?? 0;
    if (y === 0) continue;
    sum += Math.abs((y - (forecast[i] ?? 0)) / y);
    count++;
  }
  return count === 0 ? NaN : (100 * sum) / count;
}

/** Weighted MAPE in percent: 100 · Σ |y − ŷ| / Σ |y|, robust to zero actuals (NaN when every actual is 0). */
export function wmape(actual: readonly number[], forecast: readonly number[]): number {
  const h = checkedLength(actual, forecast);
  let error = 0;
  let total = 0;
  for (let i = 0; i < h; i++) {
    error += Math.abs((actual[i] ?? 0) - (forecast[i] ?? 0));
    total += Math.abs(actual[i] ?? 0);
  }
  return total === 0 ? NaN : (100 * error) / total;
}

/** Mean error, actual − forecast: positive when the forecast runs low. */
export function bias(actual: readonly number[], forecast: readonly number[]): number {
  const h = checkedLength(actual, forecast);
  let sum = 0;
  for (let i = 0; i < h; i++) sum += (actual[i] ?? 0) - (forecast[i] ?? 0);
  return sum / h;
}

/**
 * Tracking signal: the running sum of errors (actual − forecast) divided by the mean absolute deviation;
 * beyond about ±4 the forecast is commonly taken to be biased. 0 when every error is 0.
 */
export function trackingSignal(actual: readonly number[], forecast: readonly number[]): number {
  const h = checkedLength(actual, forecast);
  let sum = 0;
  let absolute = 0;
  for (let i = 0; i < h; i++) {
    const error = (actual[i] ?? 0) - (forecast[i] ?? 0);
    sum += error;
    absolute += Math.abs(error);
  }
  return absolute === 0 ? 0 : sum / (absolute / h);
}

/** Mean absolute and root mean squared error over the pairs where both values are finite. */
export function errorSummary(actual: readonly number[], predicted: readonly number[]): { mae: number; rmse: number } {
  let absolute = 0;
  let squared = 0;
  let count = 0;
  for (let i = 0; i < actual.length; i++) {
    const y = actual[i];
    const f = predicted[i];
    if (y === undefined || f === undefined || !Number.isFinite(y) || !Number.isFinite(f)) continue;
    absolute += Math.abs(y - f);
    squared += (y - f) ** 2;
    count++;
  }
  return count === 0 ? { mae: NaN, rmse: NaN } : { mae: absolute / count, rmse: Math.sqrt(squared / count) };
}

function checkedLength(actual: readonly number[], forecast: readonly number[]): number {
  if (actual.length !== forecast.length || actual.length === 0) {
    throw new RangeError(`Accuracy needs equally long, non-empty series (got ${actual.length} actuals and ${forecast.length} forecasts).`);
  }
  return actual.length;
}

import type { FittedModel, MethodName } from './model.ts';

/**
 * Naive (lag 1) or seasonal naive (lag m) forecasts: each step repeats the value one lag earlier. Fitted values
 * of the first lag observations are NaN; standard errors follow the random walk, σ·√(⌊(h − 1)/lag⌋ + 1), with σ²
 * the mean squared lag difference. A lag longer than the series falls back to lag 1.
 */
export function fitNaive(
  series: readonly number[],
  horizon: number,
  lag = 1,
  method: MethodName = lag > 1 ? 'seasonal-naive' : 'naive',
): FittedModel {
  const n = series.length;
  const usedLag = lag >= 1 && lag < n ? Math.floor(lag) : 1;
  const fitted = series.map((_, t) => (t >= usedLag ? (series[t - usedLag] ?? NaN) : NaN));
  let squared = 0;
  for (let t = usedLag; t < n; t++) squared += ((series[t] ?? 0) - (series[t - usedLag] ?? 0)) ** 2;
  const sigma = n > usedLag ? Math.sqrt(squared / (n - usedLag)) : 0;
  const forecast: number[] = [];
  const standardErrors: number[] = [];
  for (let h = 1; h <= horizon; h++) {
    forecast.push(series[n - usedLag + ((h - 1) % usedLag)] ?? NaN);
    standardErrors.push(sigma * Math.sqrt(Math.floor((h - 1) / usedLag) + 1));
  }
  return {
    method,
    label: usedLag > 1 ? `Seasonal naive (lag ${usedLag})` : 'Naive',
    parameters: { lag: usedLag },
    fitted,
    forecast,
    standardErrors,
    seasonallyAdjusted: false,
  };
}

import { autocorrelation } from './statistics.ts';

/** How a seasonal pattern combines with the level: added to it or multiplying it. */
export type SeasonalForm = 'additive' | 'multiplicative';

// One-sided 90% critical value of the standard normal, the level of the M4 benchmarks' seasonality test.
const Z_90 = 1.645;

/**
 * The M4 benchmarks' seasonality test: the autocorrelation at lag m is significant at 90% against
 * Bartlett's standard error √((1 + 2 Σ_{k<m} r_k²) / n). Needs at least three seasons of data.
 */
export function isSeasonal(series: readonly number[], seasonLength: number): boolean {
  const n = series.length;
  if (seasonLength <= 1 || n < 3 * seasonLength) return false;
  // The M4 reference code adds r₁ unsquared; Bartlett's formula squares every term, as here.
  let sumSquares = 0;
  for (let k = 1; k < seasonLength; k++) sumSquares += autocorrelation(series, k) ** 2;
  const limit = Z_90 * Math.sqrt((1 + 2 * sumSquares) / n);
  return Math.abs(autocorrelation(series, seasonLength)) > limit;
}

/**
 * Centred moving average of order m (a 2×m average when m is even), NaN where the window does not fit;
 * the trend-cycle estimate of classical decomposition.
 */
export function centredMovingAverage(series: readonly number[], seasonLength: number): number[] {
  const n = series.length;
  const half = Math.floor(seasonLength / 2);
  const result = new Array<number>(n).fill(NaN);
  const even = seasonLength % 2 === 0;
  for (let t = half; t < n - half; t++) {
    let sum = 0;
    for (let k = -half; k <= half; k++) {
      const weight = even && Math.abs(k) === half ? 0.5 : 1;
      sum += weight * (series[t + k] ?? 0);
    }
    result[t] = sum / seasonLength;
  }
  return result;
}

/**
 * Seasonal indices of classical decomposition, one per position in the season (index 0 belongs to
 * the series' first observation): averages of the detrended ratios (or differences), normalised to
 * mean 1 (or sum 0). Undefined when there are fewer than two seasons of data, or when a
 * multiplicative decomposition meets a non-positive value.
 */
export function seasonalIndices(series: readonly number[], seasonLength: number, form: SeasonalForm): number[] | undefined {
  const n = series.length;
  if (seasonLength <= 1 || n < 2 * seasonLength) return undefined;
  if (form === 'multiplicative' && series.some((value) => value <= 0)) return undefined;
  const trend = centredMovingAverage(series, seasonLength);
  const sums = new Array<number>(seasonLength).fill(0);
  const counts = new Array<number>(seasonLength).fill(0);
  for (let t = 0; t < n; t++) {
    const level = trend[t] ?? NaN;
    if (Number.isNaN(level)) continue;
    const value = series[t] ?? 0;
    const position = t % seasonLength;
    sums[position] = (sums[position] ?? 0) + (form === 'multiplicative' ? value / level : value - level);
    counts[position] = (counts[position] ?? 0) + 1;
  }
  const raw = sums.map((sum, i) => sum / (counts[i] ?? 1));
  const average = raw.reduce((a, b) => a + b, 0) / seasonLength;
  return raw.map((index) => (form === 'multiplicative' ? index / average : index - average));
}

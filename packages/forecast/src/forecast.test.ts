import { describe, expect, it } from 'vitest';
import { forecast } from './forecast.ts';
import { methodNames } from './model.ts';

let seed = 3;
/** Seeded uniform noise in [−0.5, 0.5). */
const noise = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5;
const monthly = Array.from({ length: 60 }, (_, t) => 500 + 3 * t + 80 * Math.sin((2 * Math.PI * t) / 12) + 30 * noise());

describe('forecast', () => {
  it('matches a hand computation of the naive method, its interval and its hold-out error', () => {
    // Series 1…20: naive forecasts 20; σ² = mean squared difference = 1, so the 95% bounds are 20 ± 1.96·√h.
    // Hold-out: fit on 1…18, forecast 18, 18 against 19, 20 → MAE 1.5, sMAPE 100·(1/37 + 2/38).
    const series = Array.from({ length: 20 }, (_, t) => t + 1);
    const result = forecast(series, { horizon: 2, seasonLength: 1, method: 'naive' });
    expect(result.forecast).toEqual([20, 20]);
    const interval95 = result.intervals.find((interval) => interval.level === 95)!;
    expect(interval95.upper[1]).toBeCloseTo(20 + 1.959964 * Math.SQRT2, 4);
    expect(result.inSampleError).toEqual({ mae: 1, rmse: 1 });
    expect(result.holdOutError?.mae).toBe(1.5);
    expect(result.holdOutError?.smape).toBeCloseTo(100 * (1 / 37 + 2 / 38), 10);
  });

  it('widens every interval with the horizon, the 95% beyond the 80%', () => {
    for (const method of ['ses', 'holt', 'damped', 'theta', 'comb', 'ets', 'auto', 'holt-winters-multiplicative'] as const) {
      const result = forecast(monthly, { horizon: 6, seasonLength: 12, method });
      const [eighty, ninetyFive] = result.intervals;
      const width = (i: number, interval = ninetyFive!): number => interval.upper[i]! - interval.lower[i]!;
      for (let i = 1; i < 6; i++) expect(width(i), `${method} step ${i + 1}`).toBeGreaterThan(width(i - 1));
      for (let i = 0; i < 6; i++) expect(width(i)).toBeGreaterThan(width(i, eighty));
    }
  });

  it('routes intermittent demand to SBA and smooth demand to the mean of ETS, damped trend and Theta', () => {
    const sparse = [0, 0, 5, 0, 0, 0, 3, 0, 0, 6, 0, 0, 0, 4, 0, 0, 5, 0, 0, 0, 2, 0, 0, 4];
    const intermittent = forecast(sparse, { horizon: 3, seasonLength: 1 });
    expect(intermittent.demandClass).toBe('intermittent');
    expect(intermittent.method).toBe('sba');
    const smooth = forecast(monthly, { horizon: 3, seasonLength: 12 });
    expect(smooth.demandClass).toBe('smooth');
    expect(smooth.method).toBe('ets-damped-theta');
    expect(smooth.members).toEqual(['ets', 'damped', 'theta']);
  });

  it('reports a hold-out error only for series long enough for one, over a season at most', () => {
    expect(forecast(monthly, { horizon: 12, seasonLength: 12 }).holdOutError?.horizon).toBe(12);
    // An 18-month horizon is scored on the last 12 months: 24 months of history leave 12 to fit.
    const twoYears = forecast(monthly.slice(0, 24), { horizon: 18, seasonLength: 12 });
    expect(twoYears.holdOutError?.horizon).toBe(12);
    expect(twoYears.holdOutError?.wmape).toBeGreaterThan(0);
    expect(forecast([5, 6, 7, 8, 9, 10, 11, 12, 13, 14], { horizon: 3, seasonLength: 1 }).holdOutError).toBeUndefined();
  });

  it('runs every method on seasonal, short and constant series without NaN forecasts', () => {
    for (const series of [monthly, [7], [3, 5], new Array<number>(30).fill(4)]) {
      for (const method of methodNames) {
        const result = forecast(series, { horizon: 4, seasonLength: 12, method });
        expect(result.forecast.every(Number.isFinite), `${method} on ${series.length} points`).toBe(true);
      }
    }
  });

  it('never forecasts below zero for non-negative data', () => {
    const falling = Array.from({ length: 30 }, (_, t) => Math.max(0, 300 - 12 * t));
    const result = forecast(falling, { horizon: 10, seasonLength: 1, method: 'holt' });
    expect(Math.min(...result.forecast, ...result.intervals.flatMap((interval) => interval.lower))).toBeGreaterThanOrEqual(0);
  });

  it('rejects an empty series, non-finite values and a bad horizon', () => {
    expect(() => forecast([], { horizon: 1, seasonLength: 1 })).toThrow('empty');
    expect(() => forecast([1, NaN], { horizon: 1, seasonLength: 1 })).toThrow('Value 2');
    expect(() => forecast([1, 2], { horizon: 0, seasonLength: 1 })).toThrow('horizon');
    expect(() => forecast([1, 2], { horizon: 1, seasonLength: 1, levels: [100] })).toThrow('levels');
  });
});

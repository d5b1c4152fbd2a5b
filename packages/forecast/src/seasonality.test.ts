import { describe, expect, it } from 'vitest';
import { centredMovingAverage, isSeasonal, seasonalIndices } from './seasonality.ts';

describe('seasonality', () => {
  it('finds a yearly pattern in monthly data and none in seeded noise', () => {
    const seasonal = Array.from({ length: 48 }, (_, t) => 100 + 20 * Math.sin((2 * Math.PI * t) / 12));
    expect(isSeasonal(seasonal, 12)).toBe(true);
    let seed = 11;
    const noise = Array.from({ length: 48 }, () => (seed = (seed * 48271) % 2147483647) / 2147483647);
    expect(isSeasonal(noise, 12)).toBe(false);
  });

  it('needs three seasons and m > 1', () => {
    const seasonal = Array.from({ length: 35 }, (_, t) => 100 + 20 * Math.sin((2 * Math.PI * t) / 12));
    expect(isSeasonal(seasonal, 12)).toBe(false);
    expect(isSeasonal(seasonal, 1)).toBe(false);
  });

  it('uses a 2×4 moving average for quarterly data', () => {
    // At t = 2: (0.5·1 + 2 + 3 + 4 + 0.5·5) / 4 = 3.
    expect(centredMovingAverage([1, 2, 3, 4, 5, 6], 4)).toEqual([NaN, NaN, 3, 4, NaN, NaN]);
  });

  it('recovers exact multiplicative indices of a flat series', () => {
    const pattern = [0.8, 1.2, 1.1, 0.9];
    const series = Array.from({ length: 16 }, (_, t) => 50 * (pattern[t % 4] ?? 1));
    seasonalIndices(series, 4, 'multiplicative')!.forEach((index, i) => expect(index).toBeCloseTo(pattern[i] ?? 0, 10));
    expect(seasonalIndices([1, -1, 1, -1, 1, -1, 1, -1], 4, 'multiplicative')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { classifyDemand } from './demand-class.ts';

/** A series with `demands` periods of demand alternating between two sizes, padded with zeros to `length`. */
function series(length: number, demands: number, low: number, high: number): number[] {
  const values = Array.from({ length: demands }, (_, i) => (i % 2 === 0 ? low : high));
  return [...values, ...new Array<number>(length - demands).fill(0)];
}

describe('classifyDemand', () => {
  // 66 periods with 50 demands: ADI = 66/50 = 1.32 exactly; 65 periods: 1.3.
  // Sizes 3 and 17: mean 10, variance 49, CV² = 0.49 exactly; sizes 4 and 16: variance 36, CV² = 0.36.
  it('puts a series exactly at both thresholds in the lumpy class', () => {
    const profile = classifyDemand(series(66, 50, 3, 17));
    expect(profile.adi).toBe(1.32);
    expect(profile.cv2).toBe(0.49);
    expect(profile.demandClass).toBe('lumpy');
  });

  it('calls ADI just below 1.32 with CV² at 0.49 erratic', () => {
    expect(classifyDemand(series(65, 50, 3, 17)).demandClass).toBe('erratic');
  });

  it('calls ADI at 1.32 with CV² below 0.49 intermittent', () => {
    expect(classifyDemand(series(66, 50, 4, 16)).demandClass).toBe('intermittent');
  });

  it('calls frequent, steady demand smooth', () => {
    const profile = classifyDemand(series(65, 50, 4, 16));
    expect(profile.cv2).toBeCloseTo(0.36, 12);
    expect(profile.demandClass).toBe('smooth');
  });

  it('treats a series without demand as intermittent with an infinite ADI', () => {
    expect(classifyDemand([0, 0, 0])).toEqual({ demandClass: 'intermittent', adi: Infinity, cv2: 0, nonZeroPeriods: 0 });
  });
});

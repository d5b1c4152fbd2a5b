import { describe, expect, it } from 'vitest';
import {
  capacityUtilisation,
  daysOfCover,
  fillRate,
  forecastValueAdded,
  inventoryTurns,
  layerAccuracy,
  naiveScale,
  scheduleAdherence,
} from './kpi.ts';

describe('layerAccuracy', () => {
  it('pools errors over product × bucket pairs', () => {
    // Errors (actual − forecast): +20, −10, 0, +10; |e| = 20, 10, 0, 10 → Σ 40 over Σ actual 400.
    const points = [
      { actual: 100, forecast: 80, scale: 10 },
      { actual: 100, forecast: 110, scale: 10 },
      { actual: 50, forecast: 50, scale: 5 },
      { actual: 150, forecast: 140, scale: null },
    ];
    const a = layerAccuracy(points);
    expect(a.points).toBe(4);
    expect(a.wmape).toBeCloseTo(10, 10);
    // MAPE: (20 % + 10 % + 0 % + 6.667 %) / 4.
    expect(a.mape).toBeCloseTo((20 + 10 + 0 + 100 / 15) / 4, 10);
    // sMAPE: 200/4 · (20/180 + 10/210 + 0 + 10/290).
    expect(a.smape).toBeCloseTo(50 * (20 / 180 + 10 / 210 + 10 / 290), 10);
    // MASE over the points with a scale: (20 + 10 + 0) / (10 + 10 + 5).
    expect(a.mase).toBeCloseTo(30 / 25, 10);
    // Bias: mean error 20/4 = 5; tracking signal: Σe 20 over MAD 10 = 2.
    expect(a.bias).toBeCloseTo(5, 10);
    expect(a.trackingSignal).toBeCloseTo(2, 10);
  });

  it('answers null rather than NaN where a measure is undefined', () => {
    expect(layerAccuracy([])).toEqual({ points: 0, mape: null, wmape: null, smape: null, mase: null, bias: null, trackingSignal: null });
    const zero = layerAccuracy([{ actual: 0, forecast: 5, scale: null }]);
    expect(zero.mape).toBeNull();
    expect(zero.wmape).toBeNull();
    expect(zero.mase).toBeNull();
    expect(zero.smape).toBe(200);
  });
});

describe('naiveScale', () => {
  it('uses lag 1 for a history shorter than a season and the seasonal lag for a longer one', () => {
    expect(naiveScale([10, 12, 11], 12)).toBeCloseTo(1.5, 10);
    const history = [...Array.from({ length: 12 }, (_, i) => 100 + i), ...Array.from({ length: 12 }, (_, i) => 104 + i)];
    expect(naiveScale(history, 12)).toBeCloseTo(4, 10);
    expect(naiveScale([5], 12)).toBeNull();
    expect(naiveScale([5, 5, 5], 1)).toBeNull();
  });
});

describe('operational KPIs', () => {
  it('computes forecast value added in WMAPE points', () => {
    expect(forecastValueAdded(20, 15)).toBe(5);
    expect(forecastValueAdded(10, 12)).toBe(-2);
    expect(forecastValueAdded(null, 12)).toBeNull();
  });

  it('computes fill rate from sales served out of opening stock and production', () => {
    expect(
      fillRate([
        { sales: 100, available: 80 },
        { sales: 50, available: 60 },
      ]),
    ).toBeCloseTo(130 / 150, 10);
    expect(fillRate([{ sales: 0, available: 10 }])).toBeNull();
  });

  it('annualises inventory turns and computes days of cover', () => {
    // 200 sold in 2 months over a mean stock of 100 → 2 turns in 2 months → 12 a year.
    expect(
      inventoryTurns(
        [
          { sales: 100, closing: 50 },
          { sales: 100, closing: 150 },
        ],
        12,
      ),
    ).toBeCloseTo(12, 10);
    expect(inventoryTurns([{ sales: 100, closing: 0 }], 12)).toBeNull();
    // 310 sold in 31 days = 10 a day; 100 in stock = 10 days.
    expect(daysOfCover([{ sales: 310, closing: 100, days: 31 }])).toBeCloseTo(10, 10);
    expect(
      daysOfCover([
        { sales: 300, closing: 100, days: 30 },
        { sales: 310, closing: 200, days: 31 },
      ]),
    ).toBeCloseTo(150 / (610 / 61), 10);
  });

  it('computes utilisation and schedule adherence', () => {
    expect(capacityUtilisation(90, 120)).toBeCloseTo(0.75, 10);
    expect(capacityUtilisation(5, 0)).toBeNull();
    expect(
      scheduleAdherence([
        { actual: 90, planned: 100 },
        { actual: 110, planned: 100 },
      ]),
    ).toBeCloseTo(0.9, 10);
    expect(scheduleAdherence([{ actual: 500, planned: 100 }])).toBe(0);
    expect(scheduleAdherence([])).toBeNull();
  });
});

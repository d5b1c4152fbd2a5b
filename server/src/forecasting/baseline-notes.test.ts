import { describe, expect, it } from 'vitest';
import type { BaselineSeasonFit } from '@accord/protocol';
import { fitNote, forecastShape, trendOf } from './baseline-notes.ts';

const season = (fields: Partial<BaselineSeasonFit>): BaselineSeasonFit => ({
  seasonLength: 12,
  source: 'pooled',
  reason: 'pooled',
  ownWeight: 0.2,
  indices: null,
  pooled: { from: 'family', familyId: 'sparkling', name: 'Sparkling Water', members: 8, fStatistic: 40.3, pValue: 1e-6 },
  holdOut: null,
  ...fields,
});

describe('baseline notes', () => {
  it('tells a seasonal forecast from a trend and a flat line', () => {
    const months = Array.from({ length: 18 }, (_, h) => h);
    expect(forecastShape(months.map((h) => 3000 * (1 + 0.4 * Math.sin((2 * Math.PI * h) / 12))))).toBe('seasonal');
    expect(forecastShape(months.map((h) => 3000 + 30 * h))).toBe('trend');
    // SPA-001 after the flat-lining run of the issue: 3,194 → 3,215 over 18 months.
    expect(forecastShape(months.map((h) => 3194 + (21 * h) / 17))).toBe('flat');
    expect(forecastShape([])).toBeNull();
    expect(forecastShape([null, null])).toBeNull();
  });

  it('measures the trend without the season, per year, and sees it flatten', () => {
    // Level 1,000 growing 10 a month, with indices 0.5 / 1.5 alternating: deseasonalised +11 % over 11 months.
    const indices = [0.5, 1.5, 0.5, 1.5];
    const forecast = Array.from({ length: 12 }, (_, h) => (1000 + 10 * h) * (indices[h % 4] ?? 1));
    const linear = trendOf(forecast, indices, 0, 12);
    expect(linear.perYear).toBeCloseTo(0.12, 6);
    expect(linear.flattening).toBe(false);
    const damped = Array.from({ length: 12 }, (_, h) => 1000 + 100 * (1 - 0.8 ** (h + 1)));
    expect(trendOf(damped, null, 0, 12).flattening).toBe(true);
  });

  it('writes the planner note with the family, the trend and the error over the last season', () => {
    expect(
      fitNote({
        season: season({ ownWeight: 0.43 }),
        demandClass: 'smooth',
        trend: { perYear: 0.031, flattening: true },
        historyBuckets: 24,
        periodsWithDemand: 24,
        bucket: 'month',
        holdOut: { periods: 12, wmape: 8.42 },
      }),
    ).toBe(
      'Seasonal profile from the Sparkling Water family, 43 % from its own 24 months; trend +3.1 % a year, damped; error over the last 12 months 8.4 %.',
    );
    expect(
      fitNote({
        season: season({ source: 'none', reason: 'intermittent', ownWeight: null, pooled: null }),
        demandClass: 'lumpy',
        trend: { perYear: 0, flattening: false },
        historyBuckets: 24,
        periodsWithDemand: 9,
        bucket: 'month',
        holdOut: null,
      }),
    ).toBe('Intermittent demand (sales in 9 of 24 months): an average rate, no season; too little history to test it on its last months.');
    expect(
      fitNote({
        season: season({ source: 'own', reason: 'own-better-on-hold-out', holdOut: { periods: 12, ownMae: 80, pooledMae: 120 } }),
        demandClass: 'smooth',
        trend: { perYear: -0.004, flattening: false },
        historyBuckets: 48,
        periodsWithDemand: 48,
        bucket: 'month',
        holdOut: { periods: 12, wmape: 5 },
      }),
    ).toBe(
      "Its own seasonal profile (it forecast the last 12 months better than the Sparkling Water family's); no trend; error over the last 12 months 5.0 %.",
    );
  });
});

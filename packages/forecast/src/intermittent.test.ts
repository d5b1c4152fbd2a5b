import { describe, expect, it } from 'vitest';
import { fitIntermittent } from './intermittent.ts';

// Demand [0, 4, 0, 0, 2, 0] with α = β = 0.5. The first demand (4) is in period 2, so z₀ = 4 and p₀ = 2.
const series = [0, 4, 0, 0, 2, 0];
const parameters = { alpha: 0.5, beta: 0.5 };

describe('Croston, SBA and TSB', () => {
  it('Croston updates size and interval only when demand occurs', () => {
    // Periods 3–5 are forecast z/p = 4/2 = 2. Period 5 has demand 2 after an interval of 3:
    // z = 4 + 0.5·(2 − 4) = 3, p = 2 + 0.5·(3 − 2) = 2.5, so period 6 and beyond get 3/2.5 = 1.2.
    const model = fitIntermittent(series, 'croston', 3, parameters);
    expect(model.fitted).toEqual([NaN, NaN, 2, 2, 2, 1.2]);
    expect(model.forecast).toEqual([1.2, 1.2, 1.2]);
  });

  it('SBA deflates the Croston rate by 1 − α/2', () => {
    // (1 − 0.25) · 1.2 = 0.9.
    const model = fitIntermittent(series, 'sba', 2, parameters);
    expect(model.forecast[0]).toBeCloseTo(0.9, 12);
  });

  it('TSB decays the demand probability in every period without demand', () => {
    // z = 4, π = 1/2. Period 3: ŷ = 2, π = 0.25. Period 4: ŷ = 1, π = 0.125.
    // Period 5: ŷ = 0.5, demand 2 → π = 0.125 + 0.5·0.875 = 0.5625, z = 3. Period 6: ŷ = 1.6875, π = 0.28125.
    // Forecast 0.28125 · 3 = 0.84375.
    const model = fitIntermittent(series, 'tsb', 2, parameters);
    expect(model.fitted).toEqual([NaN, NaN, 2, 1, 0.5, 1.6875]);
    expect(model.forecast).toEqual([0.84375, 0.84375]);
  });

  it('forecasts zero with zero spread when there was never any demand', () => {
    const model = fitIntermittent([0, 0, 0], 'sba', 2);
    expect(model.forecast).toEqual([0, 0]);
    expect(model.standardErrors).toEqual([0, 0]);
  });

  it('widens the standard error with the horizon', () => {
    const errors = fitIntermittent([0, 3, 0, 0, 5, 0, 1, 0, 0, 4], 'croston', 4).standardErrors;
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeGreaterThan(errors[i - 1] ?? Infinity);
  });
});

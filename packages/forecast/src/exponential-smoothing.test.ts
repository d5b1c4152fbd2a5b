import { describe, expect, it } from 'vitest';
import { aicc, etsStandardErrors, fitEts, forecastEts, selectEts, type EtsSpec } from './exponential-smoothing.ts';
import { fitMethod } from './methods.ts';

const SES: EtsSpec = { trend: 'none', season: 'none', seasonLength: 1 };

describe('simple exponential smoothing', () => {
  it('matches a hand computation with alpha 0.5 on [10, 12, 11]', () => {
    // ℓ₀ = 10. t=1: ŷ = 10, e = 0, ℓ = 10. t=2: ŷ = 10, e = 2, ℓ = 10 + 0.5·2 = 11. t=3: ŷ = 11, e = 0, ℓ = 11.
    // SSE = 4; parameters α and ℓ₀ so σ² = 4 / (3 − 2) = 4; se₁ = 2, se₂ = 2·√(1 + 0.5²) = √5.
    const fit = fitEts([10, 12, 11], SES, {
      parameters: { alpha: 0.5, beta: 0, gamma: 0, phi: 1 },
      initial: { level: 10, trend: 0, seasonal: [] },
    });
    expect(fit?.run.fitted).toEqual([10, 10, 11]);
    expect(fit?.run.final.level).toBe(11);
    expect(fit?.run.sse).toBe(4);
    expect(forecastEts(fit!, 2)).toEqual([11, 11]);
    const [se1, se2] = etsStandardErrors(fit!, 2);
    expect(se1).toBeCloseTo(2, 12);
    expect(se2).toBeCloseTo(Math.sqrt(5), 12);
  });

  it('fits alpha near 1 on a random walk and near 0 on noise around a constant', () => {
    const walk = [5, 9, 4, 12, 20, 14, 25, 31, 24, 36, 41, 33, 47, 52, 45];
    expect(fitEts(walk, SES)!.parameters.alpha).toBeGreaterThan(0.7);
    const noise = [50, 52, 48, 51, 49, 50, 53, 47, 50, 51, 49, 50, 52, 48, 50, 51];
    expect(fitEts(noise, SES)!.parameters.alpha).toBeLessThan(0.2);
  });
});

describe('trend models', () => {
  it('matches a hand computation of Holt with alpha 0.5, beta 0.25', () => {
    // ℓ₀ = 8, b₀ = 2. t=1: ŷ = 10, e = 0 → ℓ = 10, b = 2. t=2: ŷ = 12, e = 1 → ℓ = 12.5, b = 2.25.
    // t=3: ŷ = 14.75, e = −0.75 → ℓ = 14.375, b = 2.0625. Forecasts 16.4375 and 18.5.
    const fit = fitEts(
      [10, 13, 14],
      { trend: 'additive', season: 'none', seasonLength: 1 },
      { parameters: { alpha: 0.5, beta: 0.25, gamma: 0, phi: 1 }, initial: { level: 8, trend: 2, seasonal: [] } },
    )!;
    expect(fit.run.fitted).toEqual([10, 12, 14.75]);
    expect(forecastEts(fit, 2)).toEqual([16.4375, 18.5]);
  });

  it('matches a hand computation of the damped trend with phi 0.8', () => {
    // ℓ₀ = 10, b₀ = 1: ŷ = 10 + 0.8 = 10.8, e = −0.8 → ℓ = 10.4, b = 0.8 − 0.1·0.8 = 0.72.
    // ŷ(1) = 10.4 + 0.8·0.72 = 10.976; ŷ(2) = 10.4 + (0.8 + 0.64)·0.72 = 11.4368.
    const fit = fitEts(
      [10],
      { trend: 'damped', season: 'none', seasonLength: 1 },
      { parameters: { alpha: 0.5, beta: 0.1, gamma: 0, phi: 0.8 }, initial: { level: 10, trend: 1, seasonal: [] } },
    )!;
    const [h1, h2] = forecastEts(fit, 2);
    expect(h1).toBeCloseTo(10.976, 12);
    expect(h2).toBeCloseTo(11.4368, 12);
  });
});

describe('Holt-Winters', () => {
  const months = 72;
  const horizon = 12;
  const additivePattern = [0, 8, 14, 16, 14, 8, 0, -8, -14, -16, -14, -8];

  it('recovers a clean additive seasonal series with a trend', () => {
    const truth = (t: number): number => 200 + 1.5 * t + (additivePattern[t % 12] ?? 0);
    const series = Array.from({ length: months }, (_, t) => truth(t));
    const model = fitMethod('holt-winters-additive', series, horizon, 12);
    expect(model.label).toBe('ETS(A,A,A)');
    model.forecast.forEach((value, i) => expect(Math.abs(value - truth(months + i))).toBeLessThan(0.01 * truth(months + i)));
  });

  it('recovers a clean multiplicative seasonal series with a trend', () => {
    const truth = (t: number): number => (100 + t) * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 12));
    const series = Array.from({ length: months }, (_, t) => truth(t));
    const model = fitMethod('holt-winters-multiplicative', series, horizon, 12);
    expect(model.label).toBe('ETS(A,A,M)');
    model.forecast.forEach((value, i) => expect(Math.abs(value - truth(months + i))).toBeLessThan(0.02 * truth(months + i)));
  });

  it('is what the AICc selects for a noisy seasonal series', () => {
    // Seeded noise so the selection is repeatable.
    let seed = 7;
    const noise = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647 - 0.5;
    const series = Array.from({ length: months }, (_, t) => 300 + (additivePattern[t % 12] ?? 0) * 3 + 4 * noise());
    const fit = selectEts(series, 12, true)!;
    expect(fit.spec.season).not.toBe('none');
  });
});

describe('aicc', () => {
  it('matches the closed form for a hand-picked case', () => {
    // n = 10, SSE = 10, 2 parameters + σ → k = 3: −2 log L = 10·(ln 2π + 1), AIC = that + 6, correction 2·3·4/6 = 4.
    expect(aicc(10, 10, 2)).toBeCloseTo(10 * (Math.log(2 * Math.PI) + 1) + 6 + 4, 10);
    expect(aicc(10, 4, 2)).toBe(Infinity);
  });
});

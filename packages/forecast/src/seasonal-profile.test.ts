import { describe, expect, it } from 'vitest';
import { forecast } from './forecast.ts';
import { forecastGroup } from './group.ts';
import { estimateProfile, pooledProfile, shrinkProfile, type ProfileEstimate } from './seasonal-profile.ts';
import { fTestPValue } from './statistics.ts';

/** Seeded standard normal draws (Park–Miller uniforms, Box–Muller). */
function normals(seed: number): () => number {
  let state = seed;
  const uniform = () => (state = (state * 48271) % 2147483647) / 2147483647;
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

// A summer-peaking profile (mean 1) like a beverage family's: low in winter, high in June–August.
const PROFILE = [0.6, 0.65, 0.8, 0.95, 1.15, 1.35, 1.45, 1.35, 1.1, 0.95, 0.85, 0.8];

/** A member: level × (1 + yearly growth) × profile × (1 + cv·noise), `months` long, starting in January. */
function member(draw: () => number, level: number, growthPerYear: number, cv: number, months = 24, profile = PROFILE): number[] {
  return Array.from({ length: months }, (_, t) => level * (1 + (growthPerYear * t) / 12) * (profile[t % 12] ?? 1) * (1 + cv * draw()));
}

const distance = (a: readonly number[], b: readonly number[]): number => Math.max(...a.map((value, i) => Math.abs(value - (b[i] ?? 0))));
const meanDistance = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((sum, value, i) => sum + Math.abs(value - (b[i] ?? 0)), 0) / a.length;

describe('seasonal profiles', () => {
  it('computes F-test p-values like the tables: F(11, 12) = 2.72 is the 5 % point, 4.22 the 1 % point', () => {
    expect(fTestPValue(2.72, 11, 12)).toBeCloseTo(0.05, 3);
    expect(fTestPValue(4.22, 11, 12)).toBeCloseTo(0.01, 3);
    expect(fTestPValue(0, 11, 12)).toBe(1);
  });

  it('shrinks own indices towards 1, or towards a target, by the James–Stein weight', () => {
    // m = 4, so p − 2 = 1; each index is the mean of two ratios with variance 0.02: v = 0.01.
    const estimate: ProfileEstimate = {
      seasonLength: 4,
      indices: [1.2, 0.8, 1.1, 0.9],
      counts: [2, 2, 2, 2],
      irregularVariance: 0.02,
      degreesOfFreedom: 4,
    };
    // Σ (S − 1)² = 0.1 → w = 1 − 0.01 / 0.1 = 0.9.
    const towardsFlat = shrinkProfile(estimate);
    expect(towardsFlat.ownWeight).toBeCloseTo(0.9, 12);
    towardsFlat.indices.forEach((index, i) => expect(index).toBeCloseTo([1.18, 0.82, 1.09, 0.91][i]!, 12));
    // Σ (S − T)² = 0.02 → w = 0.5: half-way to the target.
    const towardsTarget = shrinkProfile(estimate, [1.1, 0.9, 1.1, 0.9]);
    expect(towardsTarget.ownWeight).toBeCloseTo(0.5, 12);
    towardsTarget.indices.forEach((index, i) => expect(index).toBeCloseTo([1.15, 0.85, 1.1, 0.9][i]!, 12));
    // Noise larger than the pattern: the positive part keeps the weight at 0.
    expect(shrinkProfile({ ...estimate, irregularVariance: 1 }).ownWeight).toBe(0);
  });

  it('estimates a profile from two years with a trend (ratio to trend), by calendar position', () => {
    const series = Array.from({ length: 24 }, (_, t) => (500 + 10 * t) * (PROFILE[t % 12] ?? 1));
    const fromJanuary = estimateProfile(series, 12, 0)!;
    expect(distance(fromJanuary.indices, PROFILE)).toBeLessThan(0.02);
    // The same data starting in July: index p still belongs to calendar month p + 1.
    const fromJuly = estimateProfile([...series.slice(6), ...series.slice(0, 6).map((value) => value * 1.24)], 12, 6)!;
    expect(distance(fromJuly.indices, PROFILE)).toBeLessThan(0.03);
    expect(estimateProfile(series.slice(0, 23), 12)).toBeUndefined();
  });

  it('recovers a known profile from noisy members better than any member alone', () => {
    const draw = normals(17);
    const members = Array.from({ length: 8 }, (_, i) => member(draw, 400 + 300 * i, -0.05 + 0.03 * i, 0.15));
    const pooled = pooledProfile(
      members.map((values) => ({ values, start: 0 })),
      { seasonLength: 12 },
    )!;
    expect(pooled.significant).toBe(true);
    expect(pooled.members).toBe(8);
    expect(pooled.pValue).toBeLessThan(1e-4);
    // Mean absolute error of the indices: 0.046 pooled, 0.065–0.108 for the members on their own.
    const pooledError = meanDistance(pooled.indices, PROFILE);
    expect(pooledError).toBeLessThan(0.06);
    const ownErrors = members.map((values) => meanDistance(estimateProfile(values, 12)!.indices, PROFILE));
    expect(pooledError).toBeLessThan(Math.min(...ownErrors));
  });

  it('lets short members of a seasonal family borrow its profile, and forecasts closer to the truth', () => {
    const draw = normals(5);
    const histories = Array.from({ length: 6 }, (_, i) => member(draw, 1000 + 200 * i, 0.04, 0.25, 42));
    const { results } = forecastGroup(
      histories.map((values) => ({ values: values.slice(0, 24), start: 0, group: 'sparkling' })),
      { horizon: 18, seasonLength: 12 },
    );
    let pooledError = 0;
    let ownError = 0;
    results.forEach((result, i) => {
      expect(result.pooled?.from).toBe('group');
      expect(result.season.source).toBe('pooled');
      expect(result.season.reason).toBe('pooled');
      const actual = histories[i]!.slice(24);
      const own = forecast(histories[i]!.slice(0, 24), { horizon: 18, seasonLength: 12 }).forecast;
      actual.forEach((value, h) => {
        pooledError += Math.abs(value - (result.forecast[h] ?? 0));
        ownError += Math.abs(value - (own[h] ?? 0));
      });
      // Still seasonal: the July forecast is well above the January one.
      expect(result.forecast[6]! / result.forecast[0]!).toBeGreaterThan(1.6);
    });
    expect(pooledError).toBeLessThan(ownError);
  });

  it('falls back when the family is not seasonal: no profile is borrowed, from it or from other families', () => {
    const draw = normals(23);
    const flat = Array.from({ length: 6 }, (_, i) => member(draw, 800 + 100 * i, 0, 0.2, 24, new Array<number>(12).fill(1)));
    const seasonal = Array.from({ length: 6 }, (_, i) => member(draw, 800 + 100 * i, 0, 0.1));
    const { results, profiles } = forecastGroup(
      [
        ...flat.map((values) => ({ values, start: 0, group: 'still' })),
        ...seasonal.map((values) => ({ values, start: 0, group: 'sparkling' })),
      ],
      { horizon: 12, seasonLength: 12 },
    );
    expect(profiles.groups.get('still')?.significant).toBe(false);
    expect(profiles.groups.get('sparkling')?.significant).toBe(true);
    expect(profiles.all?.significant).toBe(true);
    for (const result of results.slice(0, 6)) {
      expect(result.pooled).toBeNull();
      expect(result.season.source).not.toBe('pooled');
    }
    for (const result of results.slice(6)) expect(result.season.source).toBe('pooled');
  });

  it('offers the whole set’s profile to a member whose family is too small to tell', () => {
    const draw = normals(29);
    const family = Array.from({ length: 5 }, (_, i) => member(draw, 900 + 100 * i, 0.02, 0.1));
    const { results } = forecastGroup(
      [
        ...family.map((values) => ({ values, start: 0, group: 'sparkling' })),
        { values: member(draw, 300, 0, 0.3, 10), start: 14, group: 'new' },
      ],
      { horizon: 12, seasonLength: 12 },
    );
    const newcomer = results[5]!;
    expect(newcomer.pooled?.from).toBe('all');
    // Ten months of its own: the pooled profile as it is, lined up with its calendar (it starts in March).
    expect(newcomer.season.reason).toBe('pooled-short');
    expect(newcomer.season.ownWeight).toBe(0);
    expect(newcomer.forecast.length).toBe(12);
  });

  it('does not give intermittent series a profile, nor let them shape the family’s', () => {
    const draw = normals(31);
    const smooth = Array.from({ length: 5 }, (_, i) => member(draw, 900 + 100 * i, 0, 0.1));
    const sparse = Array.from({ length: 24 }, (_, t) => (t % 3 === 0 ? Math.round(40 * (PROFILE[t % 12] ?? 1)) : 0));
    const { results, profiles } = forecastGroup(
      [...smooth, sparse].map((values) => ({ values, start: 0, group: 'gifts' })),
      { horizon: 12, seasonLength: 12 },
    );
    expect(profiles.groups.get('gifts')?.members).toBe(5);
    const intermittent = results[5]!;
    expect(intermittent.demandClass).toBe('intermittent');
    expect(intermittent.method).toBe('sba');
    expect(intermittent.season).toMatchObject({ source: 'none', reason: 'intermittent', indices: null });
  });

  it('keeps a member’s own profile when it forecast its last season better than the family’s', () => {
    const draw = normals(37);
    const winter = PROFILE.map((_, p) => PROFILE[(p + 6) % 12] ?? 1);
    const family = Array.from({ length: 6 }, (_, i) => member(draw, 1000 + 100 * i, 0, 0.1, 48));
    const different = member(draw, 1000, 0, 0.03, 48, winter);
    const { results } = forecastGroup(
      [...family, different].map((values) => ({ values, start: 0, group: 'mixed' })),
      { horizon: 12, seasonLength: 12 },
    );
    const own = results[6]!;
    expect(own.pooled?.from).toBe('group');
    expect(own.season.reason).toBe('own-better-on-hold-out');
    expect(own.season.holdOut!.ownMae).toBeLessThan(own.season.holdOut!.pooledMae);
    // It peaks in January, as its own history does, not in July like the family.
    expect(own.forecast[0]!).toBeGreaterThan(own.forecast[6]!);
  });

  it('keeps a two-year seasonal series seasonal on its own (it used to be forecast flat)', () => {
    const draw = normals(41);
    const series = member(draw, 3000, 0.04, 0.08);
    const result = forecast(series, { horizon: 18, seasonLength: 12 });
    expect(result.season.source).toBe('own');
    expect(result.season.ownWeight).toBeGreaterThan(0.8);
    expect(result.seasonallyAdjusted).toBe(true);
    expect(result.forecast[6]! / result.forecast[0]!).toBeGreaterThan(1.8);
    // Noise alone: the estimate shrinks to nothing and the forecast has no season.
    const noise = member(draw, 3000, 0, 0.1, 24, new Array<number>(12).fill(1));
    expect(forecast(noise, { horizon: 12, seasonLength: 12 }).season).toMatchObject({ source: 'none', reason: 'not-seasonal' });
  });
});

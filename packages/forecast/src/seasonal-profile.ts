import { ADI_THRESHOLD } from './demand-class.ts';
import { centredMovingAverage, isSeasonal, seasonalIndices } from './seasonality.ts';
import { fTestPValue, linearTrend } from './statistics.ts';

// Seasonal profiles for short histories. Two ideas from the literature, combined:
// - Shrinkage (Miller & Williams 2003, IJF 19:669–684): a series' own seasonal indices are noisy estimates;
//   the James–Stein estimator pulls them towards a target by an amount set by their estimated variance, so a
//   weak or noisy pattern is damped and a clear one kept, with no yes/no test.
// - Group seasonal indices (Dalhart 1974; Withycombe 1989, IJF 5:547–552; Chen & Boylan 2007, JORS 58:1660–1671):
//   the profile of a group's aggregate, where the members' noise cancels, is a better estimate for each member
//   than its own when the members share their seasonality. Chen & Boylan (2008, IJF 24:525–534) found
//   shrinking the individual indices towards the group's the most robust way to use it.
// A member with a significant group profile shrinks its own indices towards the group's; otherwise towards
// 1 (no season). Indices are multiplicative and kept by season position (0 = the calendar's first position).

/** Where a forecast's seasonal profile comes from. */
export type SeasonSource = 'own' | 'pooled' | 'none';

/** Why a series got the profile it has, for explanations. */
export const seasonReasons = [
  /** The season length is 1. */
  'no-season',
  /** Intermittent or lumpy demand: forecast as a rate, with no seasonal profile. */
  'intermittent',
  /** The method takes no profile: it models the season itself (Holt-Winters, seasonal naive, Naive2) or has none. */
  'not-used',
  /** The series has negative values, so a multiplicative profile does not apply. */
  'negative-values',
  /** Fewer than two seasons of history and no pooled profile to borrow. */
  'too-short',
  /** Two seasons or more, but the own seasonal estimate shrank to nothing: no seasonal pattern beyond noise. */
  'not-seasonal',
  /** The series' own profile (two seasons or more, no pooled profile to borrow). */
  'own',
  /** Fewer than two seasons: the pooled profile as it is. */
  'pooled-short',
  /** Two seasons but fewer than three: the own estimate shrunk towards the pooled profile. */
  'pooled',
  /** Three seasons or more: the own profile forecast the hold-out better than the pooled one. */
  'own-better-on-hold-out',
  /** Three seasons or more: the pooled profile forecast the hold-out at least as well as the own one. */
  'pooled-better-on-hold-out',
] as const;
export type SeasonReason = (typeof seasonReasons)[number];

/** The seasonal profile a forecast uses, and why. */
export interface SeasonChoice {
  seasonLength: number;
  source: SeasonSource;
  reason: SeasonReason;
  /**
   * Share of the series' own estimate in the indices (the James–Stein weight, 0..1); the rest is the target's
   * (the pooled profile, or 1 when there is none). Null when no own estimate was possible.
   */
  ownWeight: number | null;
  /** The multiplicative indices used, by season position (mean 1), or null when there is no profile. */
  indices: number[] | null;
  /** Mean absolute hold-out error with the own and with the pooled profile, when the two were compared. */
  holdOut?: { periods: number; ownMae: number; pooledMae: number };
}

/** A series' seasonal ratios (observation ÷ trend estimate) and what they estimate. */
export interface ProfileEstimate {
  seasonLength: number;
  /** Mean ratio per season position, normalised to mean 1. */
  indices: number[];
  /** Ratios per season position. */
  counts: number[];
  /** Variance of one ratio around its position's mean (the irregular component). */
  irregularVariance: number;
  /** Degrees of freedom left for that variance. */
  degreesOfFreedom: number;
}

/** Per-observation trend estimate and ratio (NaN where the moving average has no value). */
interface Detrended {
  trend: number[];
  ratios: number[];
  /** Parameters the trend estimate used up: 2 for a fitted line, 0 for the moving average. */
  trendParameters: number;
}

const mod = (value: number, m: number): number => ((value % m) + m) % m;

/**
 * Divides a non-negative series by an estimate of its trend. With three seasons or more, the centred moving
 * average of classical decomposition (as in M4); with two, the ratio-to-trend method (a least-squares line
 * through the series, fitted again once to the series divided by the first pass's indices), because the
 * moving average would leave only one ratio per position and no way to tell season from noise.
 * Undefined with fewer than two seasons, negative values or a trend estimate that is not positive.
 */
export function detrend(series: readonly number[], seasonLength: number): Detrended | undefined {
  const n = series.length;
  const m = seasonLength;
  if (m <= 1 || n < 2 * m || series.some((value) => value < 0)) return undefined;
  if (n >= 3 * m) {
    const trend = centredMovingAverage(series, m);
    if (trend.some((level) => level <= 0)) return undefined;
    return { trend, ratios: series.map((value, t) => value / (trend[t] ?? NaN)), trendParameters: 0 };
  }
  let line = linearTrend(series);
  const firstPass = positionMeans(
    series.map((value, t) => value / (line.intercept + line.slope * (t + 1))),
    m,
    0,
  );
  line = linearTrend(series.map((value, t) => value / (firstPass.means[t % m] || 1)));
  const trend = series.map((_, t) => line.intercept + line.slope * (t + 1));
  if (trend.some((level) => !(level > 0))) return undefined;
  return { trend, ratios: series.map((value, t) => value / (trend[t] ?? NaN)), trendParameters: 2 };
}

/** Means of finite values by season position (value t belongs to position (start + t) mod m), and counts. */
function positionMeans(values: readonly number[], m: number, start: number): { means: number[]; counts: number[] } {
  const sums = new Array<number>(m).fill(0);
  const counts = new Array<number>(m).fill(0);
  values.forEach((value, t) => {
    if (!Number.isFinite(value)) return;
    const p = mod(start + t, m);
    sums[p] = (sums[p] ?? 0) + value;
    counts[p] = (counts[p] ?? 0) + 1;
  });
  return { means: sums.map((sum, p) => sum / (counts[p] || 1)), counts };
}

/** Mean-1 indices, the within-position variance of the ratios and its degrees of freedom. */
function summarise(ratios: readonly number[], m: number, start: number, trendParameters: number): ProfileEstimate | undefined {
  const { means, counts } = positionMeans(ratios, m, start);
  if (counts.some((count) => count === 0)) return undefined;
  let squares = 0;
  let observations = 0;
  ratios.forEach((ratio, t) => {
    if (!Number.isFinite(ratio)) return;
    squares += (ratio - (means[mod(start + t, m)] ?? 0)) ** 2;
    observations++;
  });
  const degreesOfFreedom = observations - m - trendParameters;
  const average = means.reduce((a, b) => a + b, 0) / m;
  if (degreesOfFreedom <= 0 || !(average > 0)) return undefined;
  return {
    seasonLength: m,
    indices: means.map((value) => value / average),
    counts,
    irregularVariance: squares / degreesOfFreedom,
    degreesOfFreedom,
  };
}

/**
 * A series' own seasonal indices before any shrinkage: its ratios to trend averaged by season position.
 * `seasonPosition` is the position of the first value (e.g. its month of the year − 1). Undefined with fewer
 * than two seasons, negative values, or a trend estimate that is not positive.
 */
export function estimateProfile(series: readonly number[], seasonLength: number, seasonPosition = 0): ProfileEstimate | undefined {
  const detrended = detrend(series, seasonLength);
  if (!detrended) return undefined;
  return summarise(detrended.ratios, seasonLength, seasonPosition, detrended.trendParameters);
}

/**
 * The James–Stein estimate of a profile: the own indices S pulled towards a target T (a pooled profile, or
 * 1 everywhere) with weight w = max(0, 1 − (p − 2)·v / Σ (S − T)²), where v is the mean variance of an own
 * index (irregular variance ÷ ratios per position) and p = m − 1 the free indices (they sum to m).
 * Miller & Williams (2003) shrink classical seasonal factors this way. With m < 4 the estimator does not
 * apply (p − 2 ≤ 0) and the own indices are kept (w = 1).
 */
export function shrinkProfile(estimate: ProfileEstimate, target?: readonly number[]): { indices: number[]; ownWeight: number } {
  const m = estimate.seasonLength;
  const goal = (p: number): number => target?.[p] ?? 1;
  let distance = 0;
  let variance = 0;
  estimate.indices.forEach((index, p) => {
    distance += (index - goal(p)) ** 2;
    variance += estimate.irregularVariance / (estimate.counts[p] || 1);
  });
  variance /= m;
  const freeIndices = m - 1;
  let ownWeight = 1;
  if (freeIndices > 2) ownWeight = distance > 0 ? Math.max(0, 1 - ((freeIndices - 2) * variance) / distance) : 0;
  return { indices: estimate.indices.map((index, p) => goal(p) + ownWeight * (index - goal(p))), ownWeight };
}

/** One member of a group for {@link pooledProfile}. */
export interface PooledMember {
  values: readonly number[];
  /** Index of `values[0]` on the group's common time axis (members may start at different times). */
  start: number;
}

/** A group's seasonal profile, estimated on its aggregate, with the test that says whether it is real. */
export interface PooledProfile {
  seasonLength: number;
  /** Multiplicative indices by season position, mean 1. */
  indices: number[];
  /** Members whose history entered the estimate (two seasons or more, non-negative, not intermittent). */
  members: number;
  /** Periods of the common axis with an aggregate ratio. */
  periods: number;
  /** F statistic of the test for stable seasonality (one-way analysis of variance of the ratios by position). */
  fStatistic: number;
  degreesOfFreedom: [number, number];
  pValue: number;
  /** Whether the p-value is below the level asked for. */
  significant: boolean;
}

/**
 * The level of the stable-seasonality F test for a pooled profile: the conventional 5 %. The errors are not
 * symmetric: a group profile wrongly taken for real is the aggregate's noise, smaller than any member's own, so
 * members shrinking towards it lose little; a real one missed leaves short members with their own noisy
 * estimates. (X-11's stricter 0.1 % for "stable seasonality present" missed about a third of the seasonal
 * families of the family benchmark; see the README.)
 */
export const POOLED_PROFILE_LEVEL = 0.05;

/**
 * The group seasonal indices of Withycombe (1989) in ratio form: for each period t of the common axis, the
 * aggregate ratio Σ members' values ÷ Σ members' trend estimates (so larger members weigh more, as in the
 * aggregate series); the indices are the mean aggregate ratio per season position, normalised to mean 1.
 * Significance is the F test for stable seasonality on those ratios (X-11's table D8 test), at {@link POOLED_PROFILE_LEVEL}.
 * Members with fewer than two seasons, negative values or intermittent demand (ADI ≥ 1.32) are left out.
 * `seasonPosition` is the season position of axis index 0. Undefined when fewer than two members qualify
 * or the ratios cannot support the test.
 * @example pooledProfile(family.map((sku) => ({ values: sku.history, start: 0 })), { seasonLength: 12 })?.significant
 */
export function pooledProfile(
  members: readonly PooledMember[],
  options: { seasonLength: number; seasonPosition?: number; level?: number },
): PooledProfile | undefined {
  const m = options.seasonLength;
  const level = options.level ?? POOLED_PROFILE_LEVEL;
  if (m <= 1) return undefined;
  const values = new Map<number, number>();
  const trends = new Map<number, number>();
  let used = 0;
  let trendParameters = 0;
  for (const member of members) {
    const nonZero = member.values.filter((value) => value > 0).length;
    if (nonZero === 0 || member.values.length / nonZero >= ADI_THRESHOLD) continue;
    const detrended = detrend(member.values, m);
    if (!detrended) continue;
    used++;
    trendParameters = Math.max(trendParameters, detrended.trendParameters);
    detrended.trend.forEach((level, t) => {
      if (!Number.isFinite(level)) return;
      const at = member.start + t;
      values.set(at, (values.get(at) ?? 0) + (member.values[t] ?? 0));
      trends.set(at, (trends.get(at) ?? 0) + level);
    });
  }
  if (used < 2) return undefined;
  const axis = [...values.keys()].sort((a, b) => a - b);
  const first = axis[0] ?? 0;
  const ratios = new Array<number>((axis[axis.length - 1] ?? 0) - first + 1).fill(NaN);
  for (const at of axis) ratios[at - first] = (values.get(at) ?? 0) / (trends.get(at) ?? NaN);
  const start = (options.seasonPosition ?? 0) + first;
  const estimate = summarise(ratios, m, start, trendParameters);
  if (!estimate) return undefined;
  // One-way analysis of variance of the aggregate ratios by season position.
  const { means } = positionMeans(ratios, m, start);
  const finite = ratios.filter(Number.isFinite);
  const grand = finite.reduce((a, b) => a + b, 0) / finite.length;
  let between = 0;
  means.forEach((mean, p) => (between += (estimate.counts[p] ?? 0) * (mean - grand) ** 2));
  const d1 = m - 1;
  const d2 = estimate.degreesOfFreedom;
  const fStatistic = estimate.irregularVariance > 0 ? between / d1 / estimate.irregularVariance : Infinity;
  const pValue = Number.isFinite(fStatistic) ? fTestPValue(fStatistic, d1, d2) : 0;
  return {
    seasonLength: m,
    indices: estimate.indices,
    members: used,
    periods: axis.length,
    fStatistic,
    degreesOfFreedom: [d1, d2],
    pValue,
    significant: pValue < level,
  };
}

/** What {@link chooseOwnOrPooled} needs to know beyond the series. */
export interface ProfileContext {
  seasonLength: number;
  /** Season position of the series' first value. */
  seasonPosition: number;
  /** A significant pooled profile to borrow from (by season position), if any. */
  pooled?: readonly number[] | undefined;
  /** Intermittent or lumpy demand gets no profile. */
  intermittent: boolean;
}

/**
 * The profile of a series when no hold-out comparison is needed: none for m = 1, intermittent demand or
 * negative values; the pooled profile shrunk towards by the own estimate when one is given (as it is with
 * fewer than two seasons); otherwise the own estimate shrunk towards 1, or none when that shrinks to nothing.
 * For m < 4 the own profile follows the classical test (three seasons, 90 % autocorrelation test), since
 * the shrinkage estimator needs m ≥ 4.
 */
export function seasonProfile(series: readonly number[], context: ProfileContext, source: 'own' | 'pooled' = 'own'): SeasonChoice {
  const m = context.seasonLength;
  const none = (reason: SeasonReason, ownWeight: number | null = null): SeasonChoice => ({
    seasonLength: m,
    source: 'none',
    reason,
    ownWeight,
    indices: null,
  });
  if (m <= 1) return none('no-season');
  if (context.intermittent) return none('intermittent');
  if (series.some((value) => value < 0)) return none('negative-values');
  const estimate = estimateProfile(series, m, context.seasonPosition);
  if (source === 'pooled' && context.pooled) {
    const pooled = [...context.pooled];
    if (!estimate) return { seasonLength: m, source: 'pooled', reason: 'pooled-short', ownWeight: 0, indices: pooled };
    const shrunk = shrinkProfile(estimate, pooled);
    return { seasonLength: m, source: 'pooled', reason: 'pooled', ownWeight: shrunk.ownWeight, indices: shrunk.indices };
  }
  if (!estimate) return none('too-short');
  if (m < 4) {
    if (!isSeasonal(series, m)) return none('not-seasonal');
    const classical = seasonalIndices(series, m, 'multiplicative');
    if (!classical) return none('not-seasonal');
    const byPosition = classical.map((_, p) => classical[mod(p - context.seasonPosition, m)] ?? 1);
    return { seasonLength: m, source: 'own', reason: 'own', ownWeight: 1, indices: byPosition };
  }
  const shrunk = shrinkProfile(estimate);
  if (shrunk.ownWeight === 0) return none('not-seasonal', 0);
  return { seasonLength: m, source: 'own', reason: 'own', ownWeight: shrunk.ownWeight, indices: shrunk.indices };
}

/** The indices of a profile (by season position) lined up with a series' observations t = 0, 1, … */
export function indicesBySeries(indices: readonly number[], seasonPosition: number, length: number): number[] {
  const m = indices.length;
  return Array.from({ length }, (_, t) => indices[mod(seasonPosition + t, m)] ?? 1);
}

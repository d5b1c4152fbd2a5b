import { errorSummary, mase, smape, wmape } from './accuracy.ts';
import { classifyDemand, type DemandClass } from './demand-class.ts';
import { fitMethod, type FitHints, type SeasonalAdjustment } from './methods.ts';
import type { FittedModel, MethodName } from './model.ts';
import { indicesBySeries, seasonProfile, type ProfileContext, type SeasonChoice } from './seasonal-profile.ts';
import { isSeasonal } from './seasonality.ts';
import { normalQuantile } from './statistics.ts';

/** What to forecast and how. */
export interface ForecastOptions {
  /** Number of periods to forecast, a positive integer. */
  horizon: number;
  /** Periods per seasonal cycle (12 for monthly data, 1 for none). */
  seasonLength: number;
  /** A method, or `auto` (the default) to choose one by the series' demand class. */
  method?: MethodName | 'auto';
  /** Prediction interval coverages in percent; defaults to 80 and 95. */
  levels?: number[];
  /**
   * Season position of the first value (e.g. its month of the year − 1 for monthly data); default 0. It lines the
   * series up with `pooledProfile` and says which position the reported indices belong to.
   */
  seasonPosition?: number;
  /**
   * A seasonal profile to borrow, by season position (one multiplicative index per position, mean 1): the
   * significant `pooledProfile` of the series' family, say. See `forecastGroup`, which finds it.
   */
  pooledProfile?: readonly number[];
  /** The same profile estimated without the group's last hold-out periods, for an honest hold-out error. */
  pooledProfileForHoldOut?: readonly number[];
}

/** A central prediction interval at one coverage level. */
export interface PredictionInterval {
  /** Coverage in percent, e.g. 95. */
  level: number;
  lower: number[];
  upper: number[];
}

/** Mean absolute and root mean squared error of one-step fitted values. */
export interface ErrorSummary {
  mae: number;
  rmse: number;
}

/** Accuracy of the method refitted without the last `horizon` observations and scored on them. */
export interface HoldOutError extends ErrorSummary {
  /** Observations held out: a season (at most the forecast horizon), or the horizon when m = 1. */
  horizon: number;
  /** sMAPE in percent. */
  smape: number;
  /** MASE scaled by the seasonal naive error (lag m, or 1 when m = 1) of the shortened series. */
  mase: number;
  /** WMAPE in percent: Σ |error| ÷ Σ |actual| over the held-out periods. */
  wmape: number;
}

/** A forecast of one series with everything needed to judge it. */
export interface ForecastResult {
  /** The method that produced the forecast (never `auto`). */
  method: MethodName;
  /** Readable model description, e.g. `ETS(A,Ad,N)`. */
  label: string;
  parameters: Record<string, number>;
  /** Methods combined, for combinations. */
  members?: MethodName[];
  seasonallyAdjusted: boolean;
  demandClass: DemandClass;
  /** The seasonal profile used (own, pooled or none), why, and its indices. */
  season: SeasonChoice;
  forecast: number[];
  intervals: PredictionInterval[];
  /** One-step fitted values (NaN where a method has none yet). */
  fitted: number[];
  inSampleError: ErrorSummary;
  /** Present when the series has at least max(k, 8) observations before its last k (k: see HoldOutError). */
  holdOutError?: HoldOutError;
}

/** Interval coverages reported when none are asked for. */
export const DEFAULT_LEVELS = [80, 95] as const;

// Shortest training part for a hold-out score: a quarter of a year of weeks would be too little to fit a trend.
const MIN_HOLD_OUT_TRAINING = 8;

/**
 * Methods that work on data adjusted by the seasonal profile (own or pooled). Naive2 keeps the M4 benchmark's
 * classical decomposition (it is the yardstick), Holt-Winters and seasonal naive model the season themselves,
 * the intermittent methods have none.
 */
const PROFILE_METHODS: ReadonlySet<MethodName> = new Set<MethodName>([
  'ses',
  'holt',
  'damped',
  'ets',
  'theta',
  'comb',
  'ets-damped',
  'ets-damped-theta',
]);

/** Resolved options and facts about the series that every fit of it shares. */
interface SeriesContext {
  method: MethodName;
  seasonLength: number;
  seasonPosition: number;
  profile: ProfileContext;
  pooledForHoldOut: readonly number[] | undefined;
  nonNegative: boolean;
}

/**
 * Forecasts a series `horizon` steps ahead with the chosen method (by default chosen automatically from the
 * demand class), with prediction intervals, in-sample and hold-out errors, and the seasonal profile it used.
 * Non-negative series get non-negative forecasts and bounds, since demand cannot fall below zero. Throws a
 * RangeError on invalid input.
 * @example forecast([112, 118, 132, 129, 121, 135], { horizon: 3, seasonLength: 1 }).forecast
 */
export function forecast(series: readonly number[], options: ForecastOptions): ForecastResult {
  const { horizon, seasonLength } = options;
  if (series.length === 0) throw new RangeError('The series is empty.');
  const bad = series.findIndex((value) => !Number.isFinite(value));
  if (bad >= 0) throw new RangeError(`Value ${bad + 1} of the series is not a finite number.`);
  if (!Number.isInteger(horizon) || horizon < 1) throw new RangeError(`The horizon must be a positive integer (got ${horizon}).`);
  if (!Number.isInteger(seasonLength) || seasonLength < 1)
    throw new RangeError(`The season length must be a positive integer (got ${seasonLength}).`);
  const levels = options.levels ?? [...DEFAULT_LEVELS];
  for (const level of levels) {
    if (!(level > 0 && level < 100)) throw new RangeError(`Interval levels are percentages between 0 and 100 (got ${level}).`);
  }
  const seasonPosition = options.seasonPosition ?? 0;
  if (!Number.isInteger(seasonPosition) || seasonPosition < 0)
    throw new RangeError(`The season position must be a whole number from 0 (got ${seasonPosition}).`);
  checkProfile(options.pooledProfile, seasonLength, 'pooled profile');
  checkProfile(options.pooledProfileForHoldOut, seasonLength, 'pooled hold-out profile');
  const requested = options.method ?? 'auto';
  const { demandClass } = classifyDemand(series);
  const nonNegative = series.every((value) => value >= 0);
  const method = requested === 'auto' ? chooseMethod(demandClass) : requested;
  const context: SeriesContext = {
    method,
    seasonLength,
    seasonPosition,
    profile: {
      seasonLength,
      seasonPosition,
      pooled: seasonLength > 1 ? options.pooledProfile : undefined,
      intermittent: demandClass === 'intermittent' || demandClass === 'lumpy',
    },
    pooledForHoldOut: options.pooledProfileForHoldOut ?? options.pooledProfile,
    nonNegative,
  };

  const n = series.length;
  const m = seasonLength;
  const holdOutPeriods = m > 1 ? Math.min(horizon, m) : horizon;
  const canHoldOut = n - holdOutPeriods >= Math.max(holdOutPeriods, MIN_HOLD_OUT_TRAINING);
  let season: SeasonChoice;
  let holdOut: HoldOutError | undefined;
  if (!PROFILE_METHODS.has(method)) {
    season = {
      seasonLength: m,
      source: 'none',
      reason: context.profile.intermittent ? 'intermittent' : 'not-used',
      ownWeight: null,
      indices: null,
    };
  } else if (context.profile.pooled && n >= 3 * m && canHoldOut && nonNegative && !context.profile.intermittent) {
    // Three seasons of its own: keep the own profile where it forecasts the last season better than the pooled one.
    const own = holdOutError(series, holdOutPeriods, context, 'own');
    const pooled = holdOutError(series, holdOutPeriods, context, 'pooled');
    const ownBetter = own.mae < pooled.mae;
    holdOut = ownBetter ? own : pooled;
    season = {
      ...seasonProfile(series, context.profile, ownBetter ? 'own' : 'pooled'),
      holdOut: { periods: holdOutPeriods, ownMae: own.mae, pooledMae: pooled.mae },
    };
    if (season.source !== 'none') season.reason = ownBetter ? 'own-better-on-hold-out' : 'pooled-better-on-hold-out';
  } else {
    season = seasonProfile(series, context.profile, context.profile.pooled ? 'pooled' : 'own');
  }
  const model = fitWithProfile(series, horizon, context, season);
  if (!holdOut && canHoldOut) holdOut = holdOutError(series, holdOutPeriods, context, season.source, model);

  const floor = (values: number[]): number[] => (nonNegative ? values.map((value) => Math.max(0, value)) : values);
  const intervals = levels.map((level) => {
    const z = normalQuantile(0.5 + level / 200);
    return {
      level,
      lower: floor(model.forecast.map((value, i) => value - z * (model.standardErrors[i] ?? 0))),
      upper: floor(model.forecast.map((value, i) => value + z * (model.standardErrors[i] ?? 0))),
    };
  });
  const result: ForecastResult = {
    method: model.method,
    label: model.label,
    parameters: model.parameters,
    seasonallyAdjusted: model.seasonallyAdjusted,
    demandClass,
    season,
    forecast: floor(model.forecast),
    intervals,
    fitted: model.fitted,
    inSampleError: errorSummary(series, model.fitted),
  };
  if (model.members) result.members = model.members;
  if (holdOut) result.holdOutError = holdOut;
  return result;
}

/**
 * The `auto` routing: intermittent and lumpy demand go to SBA, the method Syntetos, Boylan & Croston (2005)
 * found best in both regions with ADI ≥ 1.32; smooth and erratic demand to `ets-damped-theta`, the mean of the
 * AICc-selected ETS model, damped trend and Theta, which scored best over the validation splits of the M3
 * monthly and M4 weekly training data together (see the README).
 */
export function chooseMethod(demandClass: DemandClass): MethodName {
  return demandClass === 'intermittent' || demandClass === 'lumpy' ? 'sba' : 'ets-damped-theta';
}

function checkProfile(profile: readonly number[] | undefined, seasonLength: number, what: string): void {
  if (profile === undefined) return;
  if (profile.length !== seasonLength) throw new RangeError(`The ${what} needs ${seasonLength} indices (got ${profile.length}).`);
  if (!profile.every((index) => Number.isFinite(index) && index > 0))
    throw new RangeError(`The ${what} holds an index that is not a positive number.`);
}

/** The series divided by a profile's indices (by season position). */
function adjustmentOf(series: readonly number[], indices: readonly number[], seasonPosition: number): SeasonalAdjustment {
  const bySeries = indicesBySeries(indices, seasonPosition, indices.length);
  return {
    seasonLength: indices.length,
    indices: bySeries,
    adjusted: series.map((value, t) => value / (bySeries[t % indices.length] ?? 1)),
  };
}

/**
 * Fits the context's method with a seasonal profile: methods that take one work on the data it adjusts; `ets`
 * models the season itself only when the profile is the series' own and the series passes the classical
 * seasonality test (three seasons). `like` pins the ETS structure of an earlier fit (hold-out refits).
 */
function fitWithProfile(
  series: readonly number[],
  horizon: number,
  context: SeriesContext,
  season: SeasonChoice,
  like?: FittedModel,
): FittedModel {
  const { method, seasonLength } = context;
  const hints: FitHints = {};
  if (like?.etsSpec) hints.etsSpec = like.etsSpec;
  if (PROFILE_METHODS.has(method)) {
    hints.adjustment = season.indices ? adjustmentOf(series, season.indices, context.seasonPosition) : undefined;
    hints.etsOwnSeason = season.source === 'own' && isSeasonal(series, seasonLength);
  }
  return fitMethod(method, series, horizon, seasonLength, hints);
}

/**
 * Refits on all but the last `periods` observations and scores the forecast of them. The profile comes from
 * the same source, estimated again on the shortened series (the pooled one from the group's shortened
 * history when given); `like` pins an automatically selected ETS structure rather than select it again.
 */
function holdOutError(
  series: readonly number[],
  periods: number,
  context: SeriesContext,
  source: SeasonChoice['source'],
  like?: FittedModel,
): HoldOutError {
  const trainingLength = series.length - periods;
  const training = series.slice(0, trainingLength);
  const actual = series.slice(trainingLength);
  const m = context.seasonLength;
  const season: SeasonChoice =
    source === 'none'
      ? { seasonLength: m, source: 'none', reason: 'not-seasonal', ownWeight: null, indices: null }
      : seasonProfile(training, { ...context.profile, pooled: context.pooledForHoldOut }, source);
  const model = fitWithProfile(training, periods, context, season, like);
  const predicted = context.nonNegative ? model.forecast.map((value) => Math.max(0, value)) : model.forecast;
  const lag = trainingLength > m ? m : 1;
  return {
    horizon: periods,
    ...errorSummary(actual, predicted),
    smape: smape(actual, predicted),
    mase: mase(actual, predicted, training, lag),
    wmape: wmape(actual, predicted),
  };
}

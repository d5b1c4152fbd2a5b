import { errorSummary, mase, smape } from './accuracy.ts';
import { classifyDemand, type DemandClass } from './demand-class.ts';
import { fitMethod, seasonalAdjustment, type FitHints } from './methods.ts';
import type { FittedModel, MethodName } from './model.ts';
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
  horizon: number;
  /** sMAPE in percent. */
  smape: number;
  /** MASE scaled by the seasonal naive error (lag m, or 1 when m = 1) of the shortened series. */
  mase: number;
}

/** A forecast of one series with everything needed to judge it. */
export interface ForecastResult {
  /** The method that produced the forecast (never `auto`). */
  method: MethodName;
  /** Readable model description, e.g. `ETS(A,Ad,N)`. */
  label: string;
  parameters: Record<string, number>;
  /** Methods combined, for `comb`. */
  members?: MethodName[];
  seasonallyAdjusted: boolean;
  demandClass: DemandClass;
  forecast: number[];
  intervals: PredictionInterval[];
  /** One-step fitted values (NaN where a method has none yet). */
  fitted: number[];
  inSampleError: ErrorSummary;
  /** Present when the series has at least max(h, 8) observations before its last h. */
  holdOutError?: HoldOutError;
}

/** Interval coverages reported when none are asked for. */
export const DEFAULT_LEVELS = [80, 95] as const;

// Shortest training part for a hold-out score: a quarter of a year of weeks would be too little to fit a trend.
const MIN_HOLD_OUT_TRAINING = 8;

/**
 * Forecasts a series `horizon` steps ahead with the chosen method (by default chosen automatically from the
 * demand class), with prediction intervals, in-sample and hold-out errors. Non-negative series get
 * non-negative forecasts and bounds, since demand cannot fall below zero. Throws a RangeError on invalid input.
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
  const requested = options.method ?? 'auto';
  const { demandClass } = classifyDemand(series);
  const nonNegative = series.every((value) => value >= 0);

  const method = requested === 'auto' ? chooseMethod(demandClass) : requested;
  const model = fitMethod(method, series, horizon, seasonLength);
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
    forecast: floor(model.forecast),
    intervals,
    fitted: model.fitted,
    inSampleError: errorSummary(series, model.fitted),
  };
  if (model.members) result.members = model.members;
  const holdOut = holdOutError(series, horizon, seasonLength, model, nonNegative);
  if (holdOut) result.holdOutError = holdOut;
  return result;
}

/**
 * The `auto` routing: intermittent and lumpy demand go to SBA, the method Syntetos, Boylan & Croston (2005)
 * found best in both regions with ADI ≥ 1.32; smooth and erratic demand to `ets-damped`, the mean of the
 * AICc-selected ETS model and damped trend, which scored best on the M4 weekly validation split (see the README).
 */
export function chooseMethod(demandClass: DemandClass): MethodName {
  return demandClass === 'intermittent' || demandClass === 'lumpy' ? 'sba' : 'ets-damped';
}

/**
 * Refits the fitted model's method on all but the last h observations and scores it on them; an automatically
 * selected ETS structure is kept rather than selected again. Undefined for short series.
 */
function holdOutError(
  series: readonly number[],
  horizon: number,
  seasonLength: number,
  fitted: FittedModel,
  nonNegative: boolean,
): HoldOutError | undefined {
  const trainingLength = series.length - horizon;
  if (trainingLength < Math.max(horizon, MIN_HOLD_OUT_TRAINING)) return undefined;
  const training = series.slice(0, trainingLength);
  const actual = series.slice(trainingLength);
  const hints: FitHints = { adjustment: seasonalAdjustment(training, seasonLength) };
  if (fitted.etsSpec) hints.etsSpec = fitted.etsSpec;
  const model = fitMethod(fitted.method, training, horizon, seasonLength, hints);
  const predicted = nonNegative ? model.forecast.map((value) => Math.max(0, value)) : model.forecast;
  const lag = trainingLength > seasonLength ? seasonLength : 1;
  return { horizon, ...errorSummary(actual, predicted), smape: smape(actual, predicted), mase: mase(actual, predicted, training, lag) };
}

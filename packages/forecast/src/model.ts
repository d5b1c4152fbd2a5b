import type { EtsSpec } from './exponential-smoothing.ts';

/** Every forecasting method the package offers, by the name the API and the CLI accept. */
export const methodNames = [
  'naive',
  'seasonal-naive',
  'naive2',
  'ses',
  'holt',
  'damped',
  'holt-winters-additive',
  'holt-winters-multiplicative',
  'ets',
  'theta',
  'comb',
  'ets-damped',
  'ets-damped-theta',
  'croston',
  'sba',
  'tsb',
] as const;

/** Name of one forecasting method. */
export type MethodName = (typeof methodNames)[number];

/** Whether a string names a method (or `auto`), for validating input from outside. */
export function isMethodName(name: string): name is MethodName | 'auto' {
  return name === 'auto' || (methodNames as readonly string[]).includes(name);
}

/** A method fitted to one series: its one-step fitted values, point forecasts and their standard errors, on the series' own scale. */
export interface FittedModel {
  method: MethodName;
  /** Readable model description, e.g. `ETS(A,Ad,N)` or `Theta`. */
  label: string;
  parameters: Record<string, number>;
  /** One-step-ahead fitted value of each observation. */
  fitted: number[];
  forecast: number[];
  /** Standard error of each step's forecast error, used for prediction intervals. */
  standardErrors: number[];
  /** True when the model was fitted to seasonally adjusted data and the seasonal indices put back. */
  seasonallyAdjusted: boolean;
  /** Methods whose forecasts were combined, for `comb`. */
  members?: MethodName[];
  /** The exponential smoothing structure behind the forecast, so a hold-out refit can reuse it rather than select again. */
  etsSpec?: EtsSpec;
}

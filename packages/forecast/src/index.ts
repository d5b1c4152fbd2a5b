// Public entry of @accord/forecast: pure statistical forecasting and forecast-accuracy KPIs, no I/O and no dependencies.
export { forecast, chooseMethod, DEFAULT_LEVELS } from './forecast.ts';
export type { ForecastOptions, ForecastResult, PredictionInterval, ErrorSummary, HoldOutError } from './forecast.ts';
export { methodNames, isMethodName } from './model.ts';
export type { MethodName, FittedModel } from './model.ts';
export { classifyDemand, demandClasses, ADI_THRESHOLD, CV2_THRESHOLD } from './demand-class.ts';
export type { DemandClass, DemandProfile } from './demand-class.ts';
export { smape, mase, mape, wmape, bias, trackingSignal, errorSummary } from './accuracy.ts';
export { fitMethod, seasonalAdjustment, combine, COMB_MEMBERS, COMB_RULE } from './methods.ts';
export type { SeasonalAdjustment, CombinationRule } from './methods.ts';
export { isSeasonal, seasonalIndices, centredMovingAverage } from './seasonality.ts';
export { nelderMead } from './optimise.ts';
export type { NelderMeadOptions, Minimum } from './optimise.ts';
export type { EtsSpec, TrendForm, SeasonForm } from './exponential-smoothing.ts';

import { etsStandardErrors, fitEts, forecastEts } from './exponential-smoothing.ts';
import type { FittedModel } from './model.ts';
import { linearTrend } from './statistics.ts';

/**
 * The standard Theta method of Assimakopoulos & Nikolopoulos (2000) in the form shown by Hyndman & Billah (2003):
 * SES plus a drift of half the slope b of a straight line through the data,
 * ŷ_{n+h} = ℓ_n + (b/2)·((h − 1) + (1 − (1 − α)^n)/α), with the SES prediction intervals (as forecast::thetaf).
 * Seasonal adjustment, when wanted, is the caller's job.
 */
export function fitTheta(series: readonly number[], horizon: number): FittedModel {
  const ses = fitEts(series, { trend: 'none', season: 'none', seasonLength: 1 });
  if (!ses) throw new RangeError('Theta needs at least one observation.');
  // α is floored as in forecast::thetaf so the drift term stays finite.
  const alpha = Math.max(1e-10, ses.parameters.alpha);
  const halfSlope = linearTrend(series).slope / 2;
  const n = series.length;
  const drift = (observed: number): number => (1 - (1 - alpha) ** observed) / alpha;
  const sesForecast = forecastEts(ses, horizon);
  return {
    method: 'theta',
    label: 'Theta',
    parameters: { alpha, initialLevel: ses.initial.level, drift: halfSlope },
    // The one-step forecast of observation t has seen t observations.
    fitted: ses.run.fitted.map((value, t) => value + halfSlope * drift(t)),
    forecast: sesForecast.map((value, i) => value + halfSlope * (i + drift(n))),
    standardErrors: etsStandardErrors(ses, horizon),
    seasonallyAdjusted: false,
  };
}

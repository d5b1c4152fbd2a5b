// Pure KPI maths for the S&OP review (DESIGN.md §7): forecast accuracy pooled over product × bucket
// pairs, forecast value added, and operational measures. Nothing here knows Yjs, I/O or the clock,
// so it can move into @accord/forecast as it stands.
import { bias, mape, smape, trackingSignal, wmape } from '@accord/forecast';
import type { LayerAccuracy } from '@accord/protocol';

/** One forecast scored against its actual; `scale` is the product's naive in-sample MAE (for MASE). */
export interface ScoredPoint {
  actual: number;
  forecast: number;
  scale: number | null;
}

const finite = (value: number): number | null => (Number.isFinite(value) ? value : null);

/**
 * Accuracy of a set of forecasts pooled over all their points (product × bucket pairs). Errors are
 * actual − forecast (positive bias = forecast too low), as in @accord/forecast. MAPE skips zero
 * actuals; WMAPE = Σ|e| / Σ|actual|; MASE = Σ|e| / Σ scale over the points with a scale, which for
 * one product is its mean absolute error over its naive in-sample MAE. Null where undefined.
 * @example layerAccuracy([{ actual: 100, forecast: 90, scale: 10 }]).wmape === 10
 */
export function layerAccuracy(points: readonly ScoredPoint[]): LayerAccuracy {
  if (points.length === 0) return { points: 0, mape: null, wmape: null, smape: null, mase: null, bias: null, trackingSignal: null };
  const actual = points.map((p) => p.actual);
  const forecast = points.map((p) => p.forecast);
  let scaledError = 0;
  let scale = 0;
  for (const p of points) {
    if (p.scale === null || !(p.scale > 0)) continue;
    scaledError += Math.abs(p.actual - p.forecast);
    scale += p.scale;
  }
  return {
    points: points.length,
    mape: finite(mape(actual, forecast)),
    wmape: finite(wmape(actual, forecast)),
    smape: finite(smape(actual, forecast)),
    mase: scale > 0 ? scaledError / scale : null,
    bias: finite(bias(actual, forecast)),
    trackingSignal: finite(trackingSignal(actual, forecast)),
  };
}

/**
 * The in-sample mean absolute error of the naive forecast, MASE's scale (Hyndman & Koehler 2006):
 * seasonal naive with lag `seasonLength` when the history is longer than one season, else lag 1.
 * Null when the history is too short or flat.
 * @example naiveScale([10, 12, 11], 12) === 1.5
 */
export function naiveScale(history: readonly number[], seasonLength: number): number | null {
  const lag = history.length > seasonLength ? seasonLength : 1;
  if (history.length <= lag) return null;
  let sum = 0;
  for (let t = lag; t < history.length; t++) sum += Math.abs(history[t]! - history[t - lag]!);
  const scale = sum / (history.length - lag);
  return scale > 0 ? scale : null;
}

/**
 * Forecast value added of a layer over the one beneath it, in WMAPE points: positive when the
 * layer's forecasts were closer to the actuals than the layer below on the same points.
 * @example forecastValueAdded(20, 15) === 5
 */
export function forecastValueAdded(lowerWmape: number | null, upperWmape: number | null): number | null {
  return lowerWmape === null || upperWmape === null ? null : lowerWmape - upperWmape;
}

/**
 * Fill rate (service level) pooled over product × bucket pairs: Σ min(sales, available) / Σ sales,
 * where available = opening stock + actual production of the bucket. Null without sales.
 * @example fillRate([{ sales: 100, available: 80 }, { sales: 50, available: 60 }]) === 130 / 150
 */
export function fillRate(pairs: readonly { sales: number; available: number }[]): number | null {
  let served = 0;
  let demanded = 0;
  for (const { sales, available } of pairs) {
    served += Math.min(sales, Math.max(0, available));
    demanded += sales;
  }
  return demanded > 0 ? served / demanded : null;
}

/**
 * Inventory turns per year: sales over the buckets divided by the mean closing stock, annualised
 * by `bucketsPerYear / buckets`. Null without stock.
 * @example inventoryTurns([{ sales: 100, closing: 50 }, { sales: 100, closing: 150 }], 12) === 12
 */
export function inventoryTurns(buckets: readonly { sales: number; closing: number }[], bucketsPerYear: number): number | null {
  if (buckets.length === 0) return null;
  const sales = buckets.reduce((sum, b) => sum + b.sales, 0);
  const meanStock = buckets.reduce((sum, b) => sum + b.closing, 0) / buckets.length;
  return meanStock > 0 ? (sales / meanStock) * (bucketsPerYear / buckets.length) : null;
}

/**
 * Days of cover: mean closing stock over mean daily sales of the same buckets. Null without sales.
 * @example daysOfCover([{ sales: 310, closing: 100, days: 31 }]) === 10
 */
export function daysOfCover(buckets: readonly { sales: number; closing: number; days: number }[]): number | null {
  if (buckets.length === 0) return null;
  const sales = buckets.reduce((sum, b) => sum + b.sales, 0);
  const days = buckets.reduce((sum, b) => sum + b.days, 0);
  const meanStock = buckets.reduce((sum, b) => sum + b.closing, 0) / buckets.length;
  return sales > 0 ? meanStock / (sales / days) : null;
}

/** Capacity utilisation: hours used (actual production × hours per unit) over capacity hours. */
export function capacityUtilisation(hoursUsed: number, capacityHours: number): number | null {
  return capacityHours > 0 ? hoursUsed / capacityHours : null;
}

/**
 * Schedule adherence: 1 − Σ |actual − planned| / Σ planned production, floored at 0 (1 = made
 * exactly what was planned). Null when nothing was planned.
 * @example scheduleAdherence([{ actual: 90, planned: 100 }, { actual: 110, planned: 100 }]) === 0.9
 */
export function scheduleAdherence(pairs: readonly { actual: number; planned: number }[]): number | null {
  let deviation = 0;
  let planned = 0;
  for (const p of pairs) {
    deviation += Math.abs(p.actual - p.planned);
    planned += p.planned;
  }
  return planned > 0 ? Math.max(0, 1 - deviation / planned) : null;
}

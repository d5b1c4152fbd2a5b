import type { FittedModel } from './model.ts';

/** The intermittent-demand methods: Croston (1972), its bias correction by Syntetos & Boylan (2005), and Teunter, Syntetos & Babai (2011). */
export type IntermittentMethod = 'croston' | 'sba' | 'tsb';

/** Smoothing constants: `alpha` for demand sizes (and Croston's intervals), `beta` for TSB's demand probability. */
export interface IntermittentParameters {
  alpha: number;
  beta: number;
}

// 0.1 sits in the 0.05–0.2 range recommended for intermittent demand (Croston 1972; Syntetos & Boylan 2005);
// fitting the constants by in-sample MSE is known to work poorly on sparse data (Kourentzes 2014), so they are fixed.
/** Default smoothing constants of the intermittent methods. */
export const DEFAULT_INTERMITTENT_PARAMETERS: IntermittentParameters = { alpha: 0.1, beta: 0.1 };

/**
 * Fits Croston, SBA or TSB. Each starts from the first demand (size z₀ = that demand, interval p₀ = its
 * position counted from 1) and updates only after it, so fitted values before it are NaN. Croston forecasts
 * z/p, SBA (1 − α/2)·z/p, TSB the demand probability (updated every period) times z. Standard errors use the
 * one-step residual spread widened like SES, σ·√(1 + (h − 1)α²), an approximation documented in the README.
 */
export function fitIntermittent(
  series: readonly number[],
  method: IntermittentMethod,
  horizon: number,
  parameters: IntermittentParameters = DEFAULT_INTERMITTENT_PARAMETERS,
): FittedModel {
  const { alpha, beta } = parameters;
  const fitted = new Array<number>(series.length).fill(NaN);
  const first = series.findIndex((value) => value > 0);
  const label = method === 'croston' ? 'Croston' : method === 'sba' ? 'SBA' : 'TSB';
  const reported: Record<string, number> = method === 'tsb' ? { alpha, beta } : { alpha };
  if (first < 0) {
    return {
      method,
      label,
      parameters: reported,
      fitted,
      forecast: zeros(horizon),
      standardErrors: zeros(horizon),
      seasonallyAdjusted: false,
    };
  }
  let size = series[first] ?? 0;
  let interval = first + 1;
  let probability = 1 / interval;
  let sincePrevious = 1;
  const estimate = (): number => {
    if (method === 'tsb') return probability * size;
    const rate = size / interval;
    return method === 'sba' ? (1 - alpha / 2) * rate : rate;
  };
  for (let t = first + 1; t < series.length; t++) {
    fitted[t] = estimate();
    const y = series[t] ?? 0;
    if (method === 'tsb') probability += beta * ((y > 0 ? 1 : 0) - probability);
    if (y > 0) {
      size += alpha * (y - size);
      interval += alpha * (sincePrevious - interval);
      sincePrevious = 1;
    } else {
      sincePrevious++;
    }
  }
  const point = estimate();
  let squared = 0;
  let count = 0;
  for (let t = first + 1; t < series.length; t++) {
    squared += ((series[t] ?? 0) - (fitted[t] ?? 0)) ** 2;
    count++;
  }
  const sigma = count > 0 ? Math.sqrt(squared / count) : 0;
  const standardErrors = Array.from({ length: horizon }, (_, i) => sigma * Math.sqrt(1 + i * alpha * alpha));
  return {
    method,
    label,
    parameters: reported,
    fitted,
    forecast: new Array<number>(horizon).fill(point),
    standardErrors,
    seasonallyAdjusted: false,
  };
}

function zeros(length: number): number[] {
  return new Array<number>(length).fill(0);
}

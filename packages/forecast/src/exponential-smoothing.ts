import type { FittedModel, MethodName } from './model.ts';
import { fromInterval, nelderMead, toInterval } from './optimise.ts';
import { seasonalIndices } from './seasonality.ts';
import { linearTrend } from './statistics.ts';

/** Trend component of an exponential smoothing model: none, additive (Holt) or damped additive. */
export type TrendForm = 'none' | 'additive' | 'damped';

/** Seasonal component of an exponential smoothing model. */
export type SeasonForm = 'none' | 'additive' | 'multiplicative';

/** Structure of an additive-error exponential smoothing model, ETS(A, trend, season) in Hyndman et al.'s taxonomy. */
export interface EtsSpec {
  trend: TrendForm;
  season: SeasonForm;
  seasonLength: number;
}

/** Smoothing parameters; `beta`, `gamma` and `phi` are ignored by models without the component (phi is 1 for an undamped trend). */
export interface SmoothingParameters {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

/** Level, trend and seasonal states; `seasonal[i]` belongs to observations t with t mod m = i. */
export interface EtsState {
  level: number;
  trend: number;
  seasonal: number[];
}

/** One pass of the smoothing recursions over a series. */
export interface EtsRun {
  sse: number;
  fitted: number[];
  final: EtsState;
}

/** An exponential smoothing model fitted to a series, with its information criterion. */
export interface EtsFit {
  spec: EtsSpec;
  parameters: SmoothingParameters;
  initial: EtsState;
  run: EtsRun;
  n: number;
  /** Number of estimated quantities counted by the AICc: smoothing parameters, initial states and the error variance. */
  parameterCount: number;
  aicc: number;
  /** Residual variance, SSE / (n − parameters). */
  variance: number;
}

/**
 * Runs the error-correction recursions of ETS(A,·,·) (Hyndman, Koehler, Ord & Snyder 2008, table 2.3),
 * returning the sum of squared one-step errors, the fitted values and the final state; an infeasible
 * multiplicative state (a non-positive level or seasonal index) gives an SSE of +∞.
 */
export function runEts(
  series: readonly number[],
  spec: EtsSpec,
  parameters: SmoothingParameters,
  initial: EtsState,
  keepFitted = true,
): EtsRun {
  const seasonal = initial.seasonal.slice();
  const fitted: number[] | undefined = keepFitted ? new Array<number>(series.length) : undefined;
  const final = { level: initial.level, trend: initial.trend };
  const { alpha, beta, gamma, phi } = parameters;
  const sse = recurse(series, spec, alpha, beta, gamma, phi, seasonal, fitted, final);
  return { sse, fitted: fitted ?? [], final: { level: final.level, trend: final.trend, seasonal } };
}

/**
 * The recursions themselves, allocation-free for the optimiser: `state` holds the initial level and trend on
 * entry and the final ones on exit, `seasonal` is updated in place, `fitted` is filled when given.
 */
function recurse(
  series: readonly number[],
  spec: EtsSpec,
  alpha: number,
  beta: number,
  gamma: number,
  dampingPhi: number,
  seasonal: number[] | Float64Array,
  fitted: number[] | undefined,
  state: { level: number; trend: number },
): number {
  const hasTrend = spec.trend !== 'none';
  const phi = spec.trend === 'damped' ? dampingPhi : 1;
  const m = spec.season === 'none' ? 1 : spec.seasonLength;
  const multiplicative = spec.season === 'multiplicative';
  const additive = spec.season === 'additive';
  let level = state.level;
  let trend = hasTrend ? state.trend : 0;
  let sse = 0;
  let position = 0;
  for (let t = 0; t < series.length; t++) {
    const y = series[t] ?? 0;
    const dampedTrend = hasTrend ? phi * trend : 0;
    const base = level + dampedTrend;
    let prediction: number;
    if (multiplicative) {
      const season = seasonal[position] ?? 1;
      if (base <= 0 || season <= 0) return Infinity;
      prediction = base * season;
      const error = y - prediction;
      level = base + (alpha * error) / season;
      trend = dampedTrend + (beta * error) / season;
      seasonal[position] = season + (gamma * error) / base;
      sse += error * error;
    } else if (additive) {
      const season = seasonal[position] ?? 0;
      prediction = base + season;
      const error = y - prediction;
      level = base + alpha * error;
      trend = dampedTrend + beta * error;
      seasonal[position] = season + gamma * error;
      sse += error * error;
    } else {
      prediction = base;
      const error = y - prediction;
      level = base + alpha * error;
      trend = dampedTrend + beta * error;
      sse += error * error;
    }
    if (fitted) fitted[t] = prediction;
    if (++position === m) position = 0;
  }
  state.level = level;
  state.trend = trend;
  return Number.isFinite(sse) ? sse : Infinity;
}

/** Point forecasts 1…h steps after the end of a fitted model's data. */
export function forecastEts(fit: EtsFit, horizon: number): number[] {
  const { spec, parameters } = fit;
  const { level, trend, seasonal } = fit.run.final;
  const phi = spec.trend === 'damped' ? parameters.phi : 1;
  const result: number[] = [];
  let trendSum = 0;
  let phiPower = 1;
  for (let h = 1; h <= horizon; h++) {
    phiPower *= phi;
    trendSum += phiPower;
    const base = level + (spec.trend === 'none' ? 0 : trendSum * trend);
    const season = spec.season === 'none' ? 0 : (seasonal[(fit.n + h - 1) % spec.seasonLength] ?? 0);
    result.push(spec.season === 'multiplicative' ? base * season : base + season);
  }
  return result;
}

/**
 * Standard errors of the 1…h-step forecasts: σ² (1 + Σ_{j<h} c_j²) with c_j = α + β Σ_{i≤j} φ^i + γ·[j mod m = 0]
 * (Hyndman et al. 2008, table 6.1, class 1). For a multiplicative season the additive formula is scaled by the
 * step's seasonal index relative to the level, an approximation documented in the README.
 */
export function etsStandardErrors(fit: EtsFit, horizon: number): number[] {
  const { spec, parameters } = fit;
  const phi = spec.trend === 'damped' ? parameters.phi : 1;
  const beta = spec.trend === 'none' ? 0 : parameters.beta;
  const gamma = spec.season === 'none' ? 0 : parameters.gamma;
  const result: number[] = [];
  let sumSquares = 0;
  let trendSum = 0;
  let phiPower = 1;
  for (let h = 1; h <= horizon; h++) {
    if (h > 1) {
      const j = h - 1;
      phiPower *= phi;
      trendSum += phiPower;
      const seasonalTerm = spec.season !== 'none' && j % spec.seasonLength === 0 ? gamma : 0;
      const c = parameters.alpha + beta * trendSum + seasonalTerm;
      sumSquares += c * c;
    }
    let se = Math.sqrt(fit.variance * (1 + sumSquares));
    if (spec.season === 'multiplicative') se *= fit.run.final.seasonal[(fit.n + h - 1) % spec.seasonLength] ?? 1;
    result.push(se);
  }
  return result;
}

/**
 * Heuristic initial states (Hyndman et al. 2008, §2.6.1): seasonal indices from a classical decomposition of the
 * first years (at least two, at most four), then level and trend from a straight line through the first ten
 * seasonally adjusted observations. Undefined when a seasonal model has fewer than two seasons of data.
 */
export function initialStates(series: readonly number[], spec: EtsSpec): EtsState | undefined {
  const m = spec.seasonLength;
  let seasonal: number[] = [];
  let adjusted: readonly number[] = series;
  if (spec.season !== 'none') {
    const years = Math.min(4, Math.floor(series.length / m));
    if (years < 2) return undefined;
    const indices = seasonalIndices(series.slice(0, years * m), m, spec.season);
    if (!indices) return undefined;
    seasonal = indices;
    adjusted = series.map((y, t) => (spec.season === 'multiplicative' ? y / (indices[t % m] ?? 1) : y - (indices[t % m] ?? 0)));
  }
  // Ten points, as in Hyndman et al.; fewer only for very short series.
  const line = linearTrend(adjusted.slice(0, Math.min(10, adjusted.length)));
  if (spec.trend === 'none') return { level: adjusted[0] ?? 0, trend: 0, seasonal };
  return { level: line.intercept, trend: line.slope, seasonal };
}

// Usual parameter region of forecast::ets (Hyndman & Khandakar 2008): 1e-4 ≤ β ≤ α, γ ≤ 1 − α, 0.8 ≤ φ ≤ 0.98.
const PARAMETER_FLOOR = 1e-4;
const ALPHA_CEILING = 0.9999;
const PHI_LOWER = 0.8;
const PHI_UPPER = 0.98;

/** Number of smoothing parameters and initial states a model estimates. */
function countParameters(spec: EtsSpec): number {
  const smoothing = 1 + (spec.trend === 'none' ? 0 : 1) + (spec.trend === 'damped' ? 1 : 0) + (spec.season === 'none' ? 0 : 1);
  const states = 1 + (spec.trend === 'none' ? 0 : 1) + (spec.season === 'none' ? 0 : spec.seasonLength - 1);
  return smoothing + states;
}

/** Small-sample corrected Akaike criterion of a Gaussian model with the given SSE; +∞ when there are too few observations. */
export function aicc(sse: number, n: number, parameterCount: number): number {
  const k = parameterCount + 1; // + 1 for the error variance
  if (n - k - 1 <= 0 || !Number.isFinite(sse)) return Infinity;
  // A perfect fit would give log 0; the floor keeps models comparable by their penalty alone.
  const logLikelihood = -0.5 * n * (Math.log((2 * Math.PI * Math.max(sse, 1e-300)) / n) + 1);
  return -2 * logLikelihood + 2 * k + (2 * k * (k + 1)) / (n - k - 1);
}

/** Optional fixed values that skip estimation, e.g. for tests with hand-computed results. */
export interface EtsFixed {
  parameters?: SmoothingParameters;
  initial?: EtsState;
}

/**
 * Fits an ETS(A,·,·) model by minimising the sum of squared one-step errors (the Gaussian likelihood with
 * the variance profiled out) with Nelder–Mead over the smoothing parameters (and SES's initial level);
 * other initial states stay at their heuristic values. Undefined when the data cannot support the model.
 */
export function fitEts(series: readonly number[], spec: EtsSpec, fixed: EtsFixed = {}): EtsFit | undefined {
  const n = series.length;
  if (n === 0) return undefined;
  if (spec.season === 'multiplicative' && series.some((y) => y <= 0)) return undefined;
  const heuristic = fixed.initial ?? initialStates(series, spec);
  if (!heuristic) return undefined;
  const hasTrend = spec.trend !== 'none';
  const hasSeason = spec.season !== 'none';
  const damped = spec.trend === 'damped';
  const parameterCount = countParameters(spec);

  let parameters: SmoothingParameters;
  let initial: EtsState;
  if (fixed.parameters) {
    parameters = fixed.parameters;
    initial = heuristic;
  } else {
    // The initial level of SES is estimated with α (its one state matters on short series and costs one dimension);
    // trend and seasonal models keep their heuristic initial states, which keeps the search to at most four
    // dimensions: fitting them too made the automatic selection several times slower for little gain.
    const optimiseLevel = !fixed.initial && !hasTrend && !hasSeason;
    // Unconstrained coordinates: [α, β?, γ?, φ?, level?]; logistic maps keep α, β, γ, φ in the usual region.
    const decode = (u: ArrayLike<number>): { parameters: SmoothingParameters; initial: EtsState } => {
      let i = 0;
      const alpha = toInterval(u[i++] ?? 0, PARAMETER_FLOOR, ALPHA_CEILING);
      const beta = hasTrend ? toInterval(u[i++] ?? 0, PARAMETER_FLOOR, alpha) : 0;
      const gamma = hasSeason ? toInterval(u[i++] ?? 0, PARAMETER_FLOOR, Math.max(PARAMETER_FLOOR, 1 - alpha)) : 0;
      const phi = damped ? toInterval(u[i++] ?? 0, PHI_LOWER, PHI_UPPER) : 1;
      const level = optimiseLevel ? (u[i] ?? heuristic.level) : heuristic.level;
      return { parameters: { alpha, beta, gamma, phi }, initial: { level, trend: heuristic.trend, seasonal: heuristic.seasonal } };
    };
    // Starting point in the spirit of forecast::ets: a moderate α, small β and γ, φ near its upper end.
    const startAlpha = 0.5;
    const start = [fromInterval(startAlpha, PARAMETER_FLOOR, ALPHA_CEILING)];
    if (hasTrend) start.push(fromInterval(0.1 * startAlpha, PARAMETER_FLOOR, startAlpha));
    if (hasSeason) start.push(fromInterval(0.1 * (1 - startAlpha), PARAMETER_FLOOR, 1 - startAlpha));
    if (damped) start.push(fromInterval(0.95, PHI_LOWER, PHI_UPPER));
    // Unit steps in the logistic coordinates move a parameter by about a quarter of its range.
    const steps = start.map(() => 1);
    if (optimiseLevel) {
      start.push(heuristic.level);
      steps.push(0.1 * scaleOf(series));
    }
    // Scratch state reused by every evaluation: the optimiser calls this a few hundred times per model.
    const seasonal = Float64Array.from(heuristic.seasonal);
    const state = { level: 0, trend: 0 };
    const objective = (u: Float64Array): number => {
      let i = 0;
      const alpha = toInterval(u[i++] ?? 0, PARAMETER_FLOOR, ALPHA_CEILING);
      const beta = hasTrend ? toInterval(u[i++] ?? 0, PARAMETER_FLOOR, alpha) : 0;
      const gamma = hasSeason ? toInterval(u[i++] ?? 0, PARAMETER_FLOOR, Math.max(PARAMETER_FLOOR, 1 - alpha)) : 0;
      const phi = damped ? toInterval(u[i++] ?? 0, PHI_LOWER, PHI_UPPER) : 1;
      state.level = optimiseLevel ? (u[i] ?? heuristic.level) : heuristic.level;
      state.trend = heuristic.trend;
      seasonal.set(heuristic.seasonal);
      return recurse(series, spec, alpha, beta, gamma, phi, seasonal, undefined, state);
    };
    const best = nelderMead(objective, start, {
      step: steps,
      // A relative SSE spread of 1e-6 moves the AICc by about n·1e-6, far below any difference that changes a choice.
      maxEvaluations: 100 * start.length,
      tolerance: 1e-6,
    });
    ({ parameters, initial } = decode(best.point));
  }
  const run = runEts(series, spec, parameters, initial);
  if (!Number.isFinite(run.sse)) return undefined;
  const degreesOfFreedom = n - parameterCount;
  return {
    spec,
    parameters,
    initial,
    run,
    n,
    parameterCount,
    aicc: aicc(run.sse, n, parameterCount),
    variance: run.sse / (degreesOfFreedom > 0 ? degreesOfFreedom : n),
  };
}

/** Typical magnitude of a series' level, for scaling optimiser steps. */
function scaleOf(series: readonly number[]): number {
  let sum = 0;
  for (const y of series) sum += Math.abs(y);
  const scale = sum / series.length;
  return scale > 0 ? scale : 1;
}

/** Readable ETS notation of a spec, e.g. `ETS(A,Ad,M)`. */
export function etsLabel(spec: EtsSpec): string {
  const trend = spec.trend === 'none' ? 'N' : spec.trend === 'damped' ? 'Ad' : 'A';
  const season = spec.season === 'none' ? 'N' : spec.season === 'additive' ? 'A' : 'M';
  return `ETS(A,${trend},${season})`;
}

/** Wraps a fitted ETS model as the package's common fitted-model shape. */
export function etsModel(method: MethodName, fit: EtsFit, horizon: number): FittedModel {
  const { spec, parameters } = fit;
  const reported: Record<string, number> = { alpha: parameters.alpha, initialLevel: fit.initial.level };
  if (spec.trend !== 'none') Object.assign(reported, { beta: parameters.beta, initialTrend: fit.initial.trend });
  if (spec.trend === 'damped') reported.phi = parameters.phi;
  if (spec.season !== 'none') Object.assign(reported, { gamma: parameters.gamma, seasonLength: spec.seasonLength });
  reported.aicc = fit.aicc;
  return {
    method,
    label: etsLabel(spec),
    etsSpec: spec,
    parameters: reported,
    fitted: fit.run.fitted,
    forecast: forecastEts(fit, horizon),
    standardErrors: etsStandardErrors(fit, horizon),
    seasonallyAdjusted: false,
  };
}

/**
 * The ETS(A,·,·) model with the lowest AICc among no, additive and damped trend, crossed with no season
 * and (when `seasonal`) additive and multiplicative seasons; undefined when none can be fitted.
 */
export function selectEts(series: readonly number[], seasonLength: number, seasonal: boolean): EtsFit | undefined {
  const trends: TrendForm[] = ['none', 'additive', 'damped'];
  const seasons: SeasonForm[] = seasonal && seasonLength > 1 ? ['none', 'additive', 'multiplicative'] : ['none'];
  let best: EtsFit | undefined;
  for (const season of seasons) {
    for (const trend of trends) {
      const fit = fitEts(series, { trend, season, seasonLength });
      if (fit && (!best || fit.aicc < best.aicc)) best = fit;
    }
  }
  return best;
}

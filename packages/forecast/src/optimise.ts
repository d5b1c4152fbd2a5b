/** Settings of the Nelder–Mead minimiser. */
export interface NelderMeadOptions {
  /** Initial simplex edge per dimension (or one for all); defaults to 1. */
  step?: number | number[];
  /** Stop after this many function evaluations; defaults to 200 × dimensions. */
  maxEvaluations?: number;
  /** Stop when the spread of function values in the simplex falls below this (relative to the best value); defaults to 1e-8. */
  tolerance?: number;
}

/** The best point found by a minimiser, its value and how much work it took. */
export interface Minimum {
  point: number[];
  value: number;
  evaluations: number;
  converged: boolean;
}

// Standard coefficients of Nelder & Mead (1965), also the defaults of R's optim():
// reflection 1, expansion 2, contraction ½, shrink ½.
const REFLECT = 1;
const EXPAND = 2;
const CONTRACT = 0.5;
const SHRINK = 0.5;

/**
 * Minimises `objective` over ℝⁿ from `start` with the Nelder–Mead simplex method; non-finite values
 * count as +∞, so a caller can reject infeasible points by returning `Infinity`. The objective receives a
 * scratch array that is reused between calls (copy it to keep it); the loop allocates nothing, because
 * model selection runs it thousands of times per series.
 */
export function nelderMead(objective: (point: Float64Array) => number, start: readonly number[], options: NelderMeadOptions = {}): Minimum {
  const dimensions = start.length;
  const maxEvaluations = options.maxEvaluations ?? 200 * Math.max(1, dimensions);
  const tolerance = options.tolerance ?? 1e-8;
  let evaluations = 0;
  const evaluate = (point: Float64Array): number => {
    evaluations++;
    const value = objective(point);
    return Number.isFinite(value) ? value : Infinity;
  };
  const vertices = dimensions + 1;
  const simplex: Float64Array[] = [];
  for (let v = 0; v < vertices; v++) {
    const vertex = Float64Array.from(start);
    if (v > 0) {
      const step = options.step;
      vertex[v - 1] = (vertex[v - 1] ?? 0) + (step === undefined ? 1 : typeof step === 'number' ? step : (step[v - 1] ?? 1));
    }
    simplex.push(vertex);
  }
  const values = new Float64Array(vertices);
  for (let v = 0; v < vertices; v++) values[v] = evaluate(simplex[v] as Float64Array);
  const order = Array.from({ length: vertices }, (_, v) => v);
  const centroid = new Float64Array(dimensions);
  const reflected = new Float64Array(dimensions);
  const trial = new Float64Array(dimensions);
  // Point centroid + t·(towards − centroid), written into `out`.
  const blend = (out: Float64Array, from: Float64Array, towards: Float64Array, t: number): Float64Array => {
    for (let i = 0; i < dimensions; i++) out[i] = (from[i] ?? 0) + t * ((towards[i] ?? 0) - (from[i] ?? 0));
    return out;
  };

  let converged = false;
  while (evaluations < maxEvaluations && dimensions > 0) {
    // Insertion sort: the simplex has at most a handful of vertices.
    for (let i = 1; i < vertices; i++) {
      const index = order[i] ?? 0;
      let j = i - 1;
      while (j >= 0 && (values[order[j] ?? 0] ?? 0) > (values[index] ?? 0)) {
        order[j + 1] = order[j] ?? 0;
        j--;
      }
      order[j + 1] = index;
    }
    const best = order[0] ?? 0;
    const worst = order[dimensions] ?? 0;
    const bestValue = values[best] ?? Infinity;
    const worstValue = values[worst] ?? Infinity;
    const secondWorstValue = values[order[dimensions - 1] ?? 0] ?? Infinity;
    if (Math.abs(worstValue - bestValue) <= tolerance * (Math.abs(bestValue) + tolerance)) {
      converged = true;
      break;
    }
    centroid.fill(0);
    for (let v = 0; v < dimensions; v++) {
      const vertex = simplex[order[v] ?? 0] as Float64Array;
      for (let i = 0; i < dimensions; i++) centroid[i] = (centroid[i] ?? 0) + (vertex[i] ?? 0) / dimensions;
    }
    const worstVertex = simplex[worst] as Float64Array;
    const reflectedValue = evaluate(blend(reflected, centroid, worstVertex, -REFLECT));
    if (reflectedValue < bestValue) {
      const expandedValue = evaluate(blend(trial, centroid, worstVertex, -EXPAND));
      if (expandedValue < reflectedValue) {
        worstVertex.set(trial);
        values[worst] = expandedValue;
      } else {
        worstVertex.set(reflected);
        values[worst] = reflectedValue;
      }
      continue;
    }
    if (reflectedValue < secondWorstValue) {
      worstVertex.set(reflected);
      values[worst] = reflectedValue;
      continue;
    }
    // Contract towards the better of the worst vertex and its reflection.
    const contractedValue = evaluate(blend(trial, centroid, reflectedValue < worstValue ? reflected : worstVertex, CONTRACT));
    if (contractedValue < Math.min(reflectedValue, worstValue)) {
      worstVertex.set(trial);
      values[worst] = contractedValue;
      continue;
    }
    const bestVertex = simplex[best] as Float64Array;
    for (let v = 1; v < vertices; v++) {
      const vertex = simplex[order[v] ?? 0] as Float64Array;
      blend(vertex, bestVertex, vertex, SHRINK);
      values[order[v] ?? 0] = evaluate(vertex);
    }
  }
  let bestIndex = 0;
  for (let v = 1; v < vertices; v++) if ((values[v] ?? Infinity) < (values[bestIndex] ?? Infinity)) bestIndex = v;
  if (dimensions === 0) converged = true;
  return { point: Array.from(simplex[bestIndex] ?? start), value: values[bestIndex] ?? Infinity, evaluations, converged };
}

/** Maps an unbounded number into the open interval (lower, upper) with a logistic curve, so an unconstrained optimiser can search a box. */
export function toInterval(u: number, lower: number, upper: number): number {
  return lower + (upper - lower) / (1 + Math.exp(-u));
}

/** Inverse of {@link toInterval}: the unbounded number that maps to `x` (clamped just inside the interval). */
export function fromInterval(x: number, lower: number, upper: number): number {
  const span = upper - lower;
  const p = Math.min(1 - 1e-9, Math.max(1e-9, (x - lower) / span));
  return Math.log(p / (1 - p));
}

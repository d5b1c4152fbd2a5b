/**
 * Spreading an aggregate edit to the cells below it (DESIGN.md §6): the pure maths, on plain
 * numbers. `plan-spread.ts` gathers those numbers from a plan and turns the result into cell writes.
 */

/** The bases a spread tries, in order: the first with any weight decides the proportions. */
export const SPREAD_BASES = ['current', 'overridden', 'last-year', 'equal'] as const;
export type SpreadBasis = (typeof SPREAD_BASES)[number];

/** One cell under an aggregate, as the spread sees it. */
export interface SpreadCell {
  /** The value in effect now (what the aggregate sums). */
  current: number;
  /** What the layer overrides in this cell (sales → statistical …); the second basis. */
  overridden?: number;
  /** Last year's actuals in the same bucket; the third basis. */
  lastYear?: number;
  /** Held cells keep their value; the rest carry the change. */
  held?: boolean;
  /** Decimal places the cell takes: 0 for whole units, 2 for money and hours, 3 for kg or litres. */
  decimals: number;
}

/** Why a spread cannot be made; nothing is changed then. */
export type SpreadProblem =
  /** Every cell is held and the held cells do not already add up to the total. */
  | { problem: 'all-held'; held: number }
  /** The held cells alone exceed the total, and the layer takes no negative values. */
  | { problem: 'held-exceed'; held: number }
  /** The total has more decimals than the cells take (e.g. 100.5 over whole cases). */
  | { problem: 'not-whole'; decimals: number };

/** The spread result: one value per cell, in the order given, and the basis used. */
export type SpreadOutcome =
  | {
      ok: true;
      values: number[];
      /** `none` when every cell is held and already adds up to the total. */
      basis: SpreadBasis | 'none';
      /** What the cells add up to now: the total, rounded to the cells' steps when asked to round. */
      total: number;
    }
  | ({ ok: false } & SpreadProblem);

export interface SpreadOptions {
  /** Negative totals and values are allowed (marketing uplifts). */
  allowNegative?: boolean;
  /**
   * Round a total that has more decimals than the cells take (a computed `+5%`), instead of
   * refusing it (a typed total).
   */
  round?: boolean;
}

/**
 * Splits `total` over `cells` so they add up to it exactly: held cells keep their value, the others
 * share the rest in proportion to the first basis that has weight — their current values, else
 * what the layer overrides, else last year's actuals, else equally. Each cell gets a multiple of
 * its own step (largest remainder), so whole units stay whole.
 * @example spreadTotal([{ current: 100, decimals: 0 }, { current: 300, decimals: 0 }], 1000) // values [250, 750], basis 'current'
 */
export function spreadTotal(cells: readonly SpreadCell[], total: number, options: SpreadOptions = {}): SpreadOutcome {
  const n = cells.length;
  const current = new Float64Array(n);
  const decimals = new Uint8Array(n);
  const held = new Uint8Array(n);
  cells.forEach((cell, i) => {
    current[i] = cell.current;
    decimals[i] = cell.decimals;
    held[i] = cell.held ? 1 : 0;
  });
  const basis = (pick: (cell: SpreadCell) => number | undefined) => () => Float64Array.from(cells, (cell) => pick(cell) ?? 0);
  const outcome = spreadArrays(
    { current, decimals, held, overridden: basis((cell) => cell.overridden), lastYear: basis((cell) => cell.lastYear) },
    total,
    options,
  );
  return outcome.ok ? { ...outcome, values: Array.from(outcome.values) } : outcome;
}

/**
 * The cells of a spread as parallel arrays, index by index: what {@link spreadTotal} takes as
 * objects, without an object per cell (a total-row spread covers 18,000 cells).
 */
export interface SpreadArrays {
  /** The values in effect now. */
  current: ArrayLike<number>;
  /** Decimal places each cell takes (0, 2 or 3). */
  decimals: ArrayLike<number>;
  /** 1 for a held cell; absent when none is held. */
  held?: ArrayLike<number>;
  /** What the layer overrides, cell by cell: asked for only when the values in effect have no weight. */
  overridden?: () => ArrayLike<number>;
  /** Last year's actuals, cell by cell: asked for only when neither basis before it has weight. */
  lastYear?: () => ArrayLike<number>;
}

/** {@link SpreadOutcome} with the values as a typed array. */
export type SpreadArraysOutcome =
  { ok: true; values: Float64Array; basis: SpreadBasis | 'none'; total: number } | ({ ok: false } & SpreadProblem);

/** {@link spreadTotal} on parallel arrays, by the same rules and with the same results. */
export function spreadArrays(cells: SpreadArrays, total: number, options: SpreadOptions = {}): SpreadArraysOutcome {
  const { current, held } = cells;
  const n = current.length;
  let decimals = 0;
  for (let i = 0; i < n; i++) decimals = Math.max(decimals, cells.decimals[i]!);
  const scale = 10 ** decimals;
  const free = new Int32Array(n);
  let freeCount = 0;
  let heldSum = 0;
  for (let i = 0; i < n; i++) {
    if (held?.[i]) heldSum += current[i]!;
    else free[freeCount++] = i;
  }
  const values = Float64Array.from(current);
  const exactTicks = (total - heldSum) * scale;
  let rest = Math.round(exactTicks);
  // Finer than any cell takes (100.5 over whole cases): a typed total is refused, a computed one rounded.
  if (Math.abs(exactTicks - rest) > 1e-6 * Math.max(1, Math.abs(exactTicks))) {
    if (!options.round) return { ok: false, problem: 'not-whole', decimals };
    rest = Math.round(exactTicks);
  }
  if (freeCount === 0) {
    return rest === 0 ? { ok: true, values, basis: 'none', total: heldSum } : { ok: false, problem: 'all-held', held: heldSum };
  }
  if (rest < 0 && !options.allowNegative) return { ok: false, problem: 'held-exceed', held: heldSum };

  // Steps in ticks of the finest cell; steps are powers of ten, so the finest divides every other.
  const steps = new Float64Array(freeCount);
  let finest = Infinity;
  for (let j = 0; j < freeCount; j++) {
    const step = 10 ** (decimals - cells.decimals[free[j]!]!);
    steps[j] = step;
    finest = Math.min(finest, step);
  }
  let ticks = Math.abs(rest);
  if (ticks % finest !== 0) {
    if (!options.round) return { ok: false, problem: 'not-whole', decimals: decimals - Math.log10(finest) };
    ticks = Math.round(ticks / finest) * finest;
  }
  const sign = rest < 0 ? -1 : 1;

  let basis: SpreadBasis = 'current';
  let weights = usableWeights(current, free, freeCount);
  if (!weights && cells.overridden) {
    basis = 'overridden';
    weights = usableWeights(cells.overridden(), free, freeCount);
  }
  if (!weights && cells.lastYear) {
    basis = 'last-year';
    weights = usableWeights(cells.lastYear(), free, freeCount);
  }
  if (!weights) {
    basis = 'equal';
    weights = new Float64Array(freeCount).fill(1);
  }
  const shares = remainderShares(ticks, weights, steps);
  for (let j = 0; j < freeCount; j++) values[free[j]!] = (sign * shares[j]!) / scale;
  return { ok: true, values, basis, total: heldSum + (sign * ticks) / scale };
}

/** Weights from a basis over the free cells: usable when all have one sign and they do not sum to zero. */
function usableWeights(values: ArrayLike<number>, free: Int32Array, count: number): Float64Array | undefined {
  let positive = false;
  let negative = false;
  for (let j = 0; j < count; j++) {
    const value = values[free[j]!]!;
    if (value > 0) positive = true;
    else if (value < 0) negative = true;
  }
  if (positive === negative) return undefined; // all zero, or mixed signs
  const weights = new Float64Array(count);
  for (let j = 0; j < count; j++) weights[j] = Math.abs(values[free[j]!]!);
  return weights;
}

/**
 * Splits `total` (a whole number of ticks) in proportion to `weights` so that every share is a
 * multiple of its `step` and the shares add up to `total` exactly (Hamilton's largest remainder
 * method): each share is first rounded down to its step, then the ticks left over go, one step
 * each, to the shares that lost the most in rounding. `total` must be a multiple of the smallest step.
 * @example largestRemainder(10, [1, 1, 1], [1, 1, 1]) // [4, 3, 3]
 */
export function largestRemainder(total: number, weights: ArrayLike<number>, steps: ArrayLike<number>): number[] {
  return Array.from(remainderShares(total, weights, steps));
}

function remainderShares(total: number, weights: ArrayLike<number>, steps: ArrayLike<number>): Float64Array {
  const n = weights.length;
  let weightSum = 0;
  for (let i = 0; i < n; i++) weightSum += weights[i]!;
  const shares = new Float64Array(n);
  const remainders = new Float64Array(n);
  let left = total;
  let uniform = true;
  for (let i = 0; i < n; i++) {
    const step = steps[i]!;
    if (step !== steps[0]) uniform = false;
    const raw = (total * weights[i]!) / weightSum;
    // The small tolerance keeps 2.9999999999 (floating point for 3) from losing a whole step.
    const share = Math.floor(raw / step + 1e-9) * step;
    shares[i] = share;
    remainders[i] = raw - share;
    left -= share;
  }
  if (left === 0) return shares;
  if (uniform && left > 0 && left % steps[0]! === 0) {
    // One step each to the `left / step` largest remainders (ties to the earlier cell): a linear
    // selection instead of sorting every cell, which matters for 18,000-cell spreads.
    const step = steps[0]!;
    const count = left / step;
    if (count < n) {
      const threshold = kthLargest(remainders, count);
      let above = 0;
      for (let i = 0; i < n; i++) if (remainders[i]! > threshold) above++;
      let ties = count - above;
      for (let i = 0; i < n; i++) {
        const r = remainders[i]!;
        if (r > threshold || (r === threshold && ties-- > 0)) shares[i]! += step;
      }
      return shares;
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => remainders[b]! - remainders[a]! || a - b);
  if (left < 0) {
    // Only when the tolerance above rounded up: take back from the shares that gained most.
    for (let k = n - 1; k >= 0 && left < 0; k--) {
      const i = order[k]!;
      if (shares[i]! >= steps[i]!) {
        shares[i]! -= steps[i]!;
        left += steps[i]!;
      }
    }
  }
  for (const i of order) {
    if (left <= 0) break;
    if (steps[i]! <= left) {
      shares[i]! += steps[i]!;
      left -= steps[i]!;
    }
  }
  // What is left is smaller than the coarser steps: the finest cells take it, in the same order.
  let finest = Infinity;
  for (let i = 0; i < n; i++) finest = Math.min(finest, steps[i]!);
  while (left > 0) {
    for (const i of order) {
      if (left <= 0) break;
      if (steps[i] === finest) {
        shares[i]! += finest;
        left -= finest;
      }
    }
  }
  return shares;
}

/** The `k`-th largest value (1-based) of `values`, by quickselect on a copy; O(n) on average. */
function kthLargest(values: Float64Array, k: number): number {
  const a = Float64Array.from(values);
  let lo = 0;
  let hi = a.length - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! > pivot) i++;
      while (a[j]! < pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target]!;
  }
  return a[target]!;
}

/** One cell under an intensive aggregate (a price or unit cost), as the scaling sees it. */
export interface ScaleCell {
  /** The rate in effect now. */
  current: number;
  /** The volume that weights it in the average (demand); all zero weights mean a plain average. */
  weight: number;
  held?: boolean;
}

export type ScaleOutcome =
  { ok: true; values: number[]; factor: number | null } | { ok: false; problem: 'all-held' | 'held-exceed'; held: number };

/** Decimal places of a scaled rate (a ten-thousandth of the currency unit). */
export const RATE_DECIMALS = 4;

/**
 * The volume-weighted average rate of some cells (a family's price): Σ rate × volume ÷ Σ volume,
 * or the plain average when no cell has volume; undefined for no cells.
 */
export function weightedAverage(cells: readonly ScaleCell[]): number | undefined {
  if (cells.length === 0) return undefined;
  let weighted = 0;
  let weights = 0;
  let plain = 0;
  for (const cell of cells) {
    weighted += cell.current * cell.weight;
    weights += cell.weight;
    plain += cell.current;
  }
  return weights === 0 ? plain / cells.length : weighted / weights;
}

/**
 * Sets the volume-weighted average of intensive cells (prices, unit costs) to `average` by scaling
 * every cell that is not held by the same factor; held cells keep their rate. Rates that are all
 * zero are set equal instead. Values are rounded to {@link RATE_DECIMALS} places.
 * @example scaleToAverage([{ current: 2, weight: 1 }, { current: 4, weight: 1 }], 3.3) // values [2.2, 4.4], factor 1.1
 */
export function scaleToAverage(cells: readonly ScaleCell[], average: number): ScaleOutcome {
  const anyWeight = cells.some((cell) => cell.weight > 0);
  const weightOf = (cell: ScaleCell) => (anyWeight ? cell.weight : 1);
  let weights = 0;
  let heldPart = 0;
  let heldSum = 0;
  let freePart = 0;
  let freeWeights = 0;
  for (const cell of cells) {
    const weight = weightOf(cell);
    weights += weight;
    if (cell.held) {
      heldPart += cell.current * weight;
      heldSum += cell.current;
    } else {
      freePart += cell.current * weight;
      freeWeights += weight;
    }
  }
  const round = (value: number) => Math.round(value * 10 ** RATE_DECIMALS) / 10 ** RATE_DECIMALS;
  const need = average * weights - heldPart;
  const values = cells.map((cell) => cell.current);
  if (freeWeights === 0) {
    return Math.abs(need) < 1e-9 * Math.max(1, Math.abs(average * weights))
      ? { ok: true, values, factor: 1 }
      : { ok: false, problem: 'all-held', held: heldSum };
  }
  if (need < 0) return { ok: false, problem: 'held-exceed', held: heldPart / weights };
  if (freePart > 0) {
    const factor = need / freePart;
    cells.forEach((cell, i) => {
      if (!cell.held) values[i] = round(cell.current * factor);
    });
    return { ok: true, values, factor };
  }
  const equal = round(need / freeWeights);
  cells.forEach((cell, i) => {
    if (!cell.held) values[i] = equal;
  });
  return { ok: true, values, factor: null };
}

import { addBuckets, bucketSizeOf, type Bucket } from './buckets.ts';
import type { CellChange } from './plan-calculator.ts';
import { HOLD_ROOT_OF, type HoldableRoot, type HoldRoot, type ValueRoot } from './plan-data.ts';
import { resolveDemand } from './projection.ts';
import { scaleToAverage, spreadArrays, weightedAverage, type ScaleCell, type SpreadBasis, type SpreadProblem } from './spread.ts';

/** Reads one stored cell of a plan (a plain object, a Yjs map …); undefined when empty. */
export type CellReader = (root: ValueRoot, key: string) => number | undefined;

/** Layers whose aggregates are spread as sums (extensive quantities and money). */
export const SUMMED_SPREAD_ROOTS = ['sales', 'marketing', 'consensus', 'production', 'capacity', 'budget'] as const;
export type SummedSpreadRoot = (typeof SUMMED_SPREAD_ROOTS)[number];
/** Layers whose aggregates are volume-weighted averages, edited by scaling (intensive quantities). */
export const SCALED_SPREAD_ROOTS = ['prices', 'costs'] as const;
export type ScaledSpreadRoot = (typeof SCALED_SPREAD_ROOTS)[number];

// Units that are measured rather than counted: their quantities may carry decimals.
const MEASURED_UNITS = new Set([
  'kg',
  'g',
  't',
  'ton',
  'tons',
  'tonne',
  'tonnes',
  'lb',
  'lbs',
  'oz',
  'l',
  'litre',
  'litres',
  'liter',
  'liters',
  'ml',
  'cl',
  'hl',
  'gal',
  'm',
  'm2',
  'm3',
  'km',
]);

/**
 * Decimal places a quantity in `unit` takes in a spread: 0 for counted units (units, cases,
 * pallets, bottles …), 3 for measured ones (kg, litres …).
 * @example unitDecimals('cases') === 0; unitDecimals('kg') === 3
 */
export function unitDecimals(unit: string): number {
  return MEASURED_UNITS.has(unit.trim().toLowerCase()) ? 3 : 0;
}

/** Decimal places of money (budget) and hours (capacity) in a spread. */
export const AMOUNT_DECIMALS = 2;

/** The bucket a year before `bucket` (12 months, or 52 ISO weeks). */
export function lastYearOf(bucket: Bucket): Bucket {
  return addBuckets(bucket, bucketSizeOf(bucket) === 'week' ? -52 : -12);
}

/** Whether a cell (or its whole row) is held in the layer's hold root. */
export function isHeld(read: CellReader, root: HoldableRoot, rowId: string, bucket: Bucket): boolean {
  const holds = HOLD_ROOT_OF[root];
  return read(holds, `${rowId}|${bucket}`) !== undefined || read(holds, rowId) !== undefined;
}

/**
 * The value a layer has in effect in one cell, which is what its aggregates add up: the stored
 * value; where the layer overrides another and has no value, the one it overrides (an empty sales
 * forecast leaves the statistical baseline in effect, an empty consensus the layered demand);
 * else 0.
 */
export function layerValue(read: CellReader, root: SummedSpreadRoot, rowId: string, bucket: Bucket): number {
  const key = `${rowId}|${bucket}`;
  const stored = read(root, key);
  if (stored !== undefined) return stored;
  if (root === 'sales') return read('statistical', key) ?? 0;
  if (root === 'consensus') return resolveDemand(undefined, read('sales', key), read('statistical', key), read('marketing', key)).value;
  return 0;
}

/** The rate (price or unit cost) in effect for a product in a bucket: its bucket cell, else its base. */
export function rateValue(read: CellReader, root: ScaledSpreadRoot, productId: string, bucket: Bucket): number {
  return read(root, `${productId}|${bucket}`) ?? read(root, productId) ?? 0;
}

/** Layered demand of a product in a bucket, from stored cells. */
function demandOf(read: CellReader, key: string): number {
  return resolveDemand(read('consensus', key), read('sales', key), read('statistical', key), read('marketing', key)).value;
}

/** What a layer overrides in a cell: the second basis of a spread. */
function overriddenValue(read: CellReader, root: SummedSpreadRoot, key: string): number {
  switch (root) {
    case 'sales':
      return read('statistical', key) ?? 0;
    case 'consensus':
      return resolveDemand(undefined, read('sales', key), read('statistical', key), read('marketing', key)).value;
    case 'production':
      return demandOf(read, key);
    default:
      return 0;
  }
}

/** An aggregate cell to set: a layer over some rows and buckets. */
export interface SpreadScope {
  root: SummedSpreadRoot;
  /** Products (sales, marketing, consensus, production), resources (capacity) or families (budget). */
  rowIds: readonly string[];
  buckets: readonly Bucket[];
}

/** How to read the plan for a spread. */
export interface SpreadSource {
  read: CellReader;
  /** Decimal places of a row's values (see {@link unitDecimals}); budget and capacity take {@link AMOUNT_DECIMALS}. */
  decimalsOf?: (rowId: string) => number;
  /** The active products of a family: last year's revenue is the budget's third basis. */
  membersOf?: (familyId: string) => readonly string[];
  /** Whether a hold root holds anything; without it, every cell is looked up (a plan without holds skips that). */
  hasHolds?: (root: HoldRoot) => boolean;
}

/** A spread worked out: the cell writes (only cells that change), and what it did. */
export type SpreadPlan =
  | {
      ok: true;
      changes: CellChange[];
      basis: SpreadBasis | 'none';
      /** The aggregate before and after. */
      before: number;
      after: number;
      /** Cells under the aggregate, and how many of them were held. */
      cells: number;
      held: number;
    }
  | ({ ok: false; before: number; cells: number } & SpreadProblem);

/**
 * Works out the cell writes that set an aggregate (a family's sales in a quarter, the total
 * production of a month …) to `total` by the rules of `spreadTotal` (spread.ts): held cells stay,
 * the rest move in proportion to their values in effect, else to what the layer overrides, else
 * to last year's actuals, else equally; whole units stay whole and the cells add up exactly.
 * With `round`, a total finer than the cells take (a computed `+5%`) is rounded instead of refused.
 * @example planSpread({ read }, { root: 'sales', rowIds: ['SPA-001', 'SPA-002'], buckets: ['2027-04'] }, 31_500)
 */
export function planSpread(source: SpreadSource, scope: SpreadScope, total: number, options: { round?: boolean } = {}): SpreadPlan {
  const { read } = source;
  const { root, rowIds, buckets } = scope;
  const amount = root === 'budget' || root === 'capacity';
  const holds = HOLD_ROOT_OF[root];
  const checkHolds = source.hasHolds?.(holds) ?? true;
  const inherits = root === 'sales' || root === 'consensus';
  const width = buckets.length;
  const n = rowIds.length * width;
  // One slot per cell, row by row: typed arrays rather than an object per cell (18,000 for a total).
  const keys = new Array<string>(n);
  const current = new Float64Array(n);
  const decimals = new Uint8Array(n);
  const heldFlags = checkHolds ? new Uint8Array(n) : undefined;
  let before = 0;
  let held = 0;
  for (let r = 0, i = 0; r < rowIds.length; r++) {
    const rowId = rowIds[r]!;
    const rowDecimals = amount ? AMOUNT_DECIMALS : (source.decimalsOf?.(rowId) ?? 0);
    const rowHeld = checkHolds && read(holds, rowId) !== undefined;
    const prefix = `${rowId}|`;
    for (let b = 0; b < width; b++, i++) {
      const key = prefix + buckets[b]!;
      const stored = read(root, key);
      const value = stored ?? (inherits ? overriddenValue(read, root, key) : 0);
      keys[i] = key;
      current[i] = value;
      decimals[i] = rowDecimals;
      before += value;
      if (heldFlags && (rowHeld || read(holds, key) !== undefined)) {
        heldFlags[i] = 1;
        held++;
      }
    }
  }
  // The other bases are worked out only when the ones before them cannot decide (all zero, or mixed signs).
  const overridden = () => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) if (!heldFlags?.[i]) out[i] = overriddenValue(read, root, keys[i]!);
    return out;
  };
  const lastYear = () => {
    const out = new Float64Array(n);
    const previous = buckets.map(lastYearOf);
    const lastYearRevenue = (familyId: string, bucket: Bucket) => {
      let revenue = 0;
      for (const productId of source.membersOf?.(familyId) ?? []) {
        revenue += (read('actuals', `${productId}|${bucket}`) ?? 0) * rateValue(read, 'prices', productId, bucket);
      }
      return revenue;
    };
    for (let i = 0; i < n; i++) {
      if (heldFlags?.[i]) continue;
      const rowId = rowIds[Math.floor(i / width)]!;
      const bucket = previous[i % width]!;
      if (root === 'budget') out[i] = lastYearRevenue(rowId, bucket);
      else if (root === 'production') out[i] = read('actualProduction', `${rowId}|${bucket}`) ?? 0;
      else if (root !== 'capacity') out[i] = read('actuals', `${rowId}|${bucket}`) ?? 0;
    }
    return out;
  };
  const outcome = spreadArrays({ current, decimals, held: heldFlags, overridden, lastYear }, total, {
    allowNegative: root === 'marketing',
    round: options.round,
  });
  if (!outcome.ok) {
    const { ok: _ok, ...problem } = outcome;
    return { ok: false, before, cells: n, ...problem };
  }
  const changes: CellChange[] = [];
  const { values } = outcome;
  for (let i = 0; i < n; i++) if (values[i] !== current[i]) changes.push({ root, key: keys[i]!, value: values[i]! });
  return { ok: true, changes, basis: outcome.basis, before, after: outcome.total, cells: n, held };
}

/** An intensive aggregate cell to set: the average price or unit cost of products over buckets. */
export interface ScaleScope {
  root: ScaledSpreadRoot;
  productIds: readonly string[];
  buckets: readonly Bucket[];
}

/** A scaling worked out: the bucket cells to write, the average before and after, and the factor. */
export type ScalePlan =
  | { ok: true; changes: CellChange[]; before: number | undefined; after: number; factor: number | null; cells: number; held: number }
  | { ok: false; problem: 'all-held' | 'held-exceed'; held: number; before: number | undefined; cells: number };

/** The cells under an intensive aggregate: each product × bucket rate and its demand as the weight. */
function rateCells(read: CellReader, scope: ScaleScope): { cells: ScaleCell[]; keys: string[] } {
  const cells: ScaleCell[] = [];
  const keys: string[] = [];
  for (const productId of scope.productIds) {
    for (const bucket of scope.buckets) {
      const key = `${productId}|${bucket}`;
      cells.push({
        current: rateValue(read, scope.root, productId, bucket),
        weight: Math.max(0, demandOf(read, key)),
        held: isHeld(read, scope.root, productId, bucket),
      });
      keys.push(key);
    }
  }
  return { cells, keys };
}

/**
 * The volume-weighted average rate (price or unit cost) of products over buckets: what a family,
 * total, quarter or horizon price shows. Weighted by demand; a plain average without demand.
 */
export function averageRate(read: CellReader, scope: ScaleScope): number | undefined {
  return weightedAverage(rateCells(read, scope).cells);
}

/**
 * Works out the writes that set the volume-weighted average price (or unit cost) of products over
 * buckets to `average`: every rate that is not held is scaled by the same factor (intensive
 * quantities are scaled, never summed), written as the product's bucket cells.
 */
export function planScale(read: CellReader, scope: ScaleScope, average: number): ScalePlan {
  const { cells, keys } = rateCells(read, scope);
  const before = weightedAverage(cells);
  const held = cells.filter((cell) => cell.held).length;
  const outcome = scaleToAverage(cells, average);
  if (!outcome.ok) return { ok: false, problem: outcome.problem, held: outcome.held, before, cells: cells.length };
  const changes: CellChange[] = [];
  // A rate that stays as it is (a held one, or one the base rate already gives) needs no write.
  outcome.values.forEach((value, i) => {
    if (value !== cells[i]!.current) changes.push({ root: scope.root, key: keys[i]!, value });
  });
  return { ok: true, changes, before, after: average, factor: outcome.factor, cells: cells.length, held };
}

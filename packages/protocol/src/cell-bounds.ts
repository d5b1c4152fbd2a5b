/**
 * What a number in each value root of the plan document may be (DESIGN.md §3: value roots hold
 * numbers). One table for the web app, which refuses an out-of-range entry with a sentence, and
 * the server's update guard, which refuses with 4400 what the app would never send.
 */
export interface CellBounds {
  /** How a person names the layer in a sentence. */
  label: string;
  min: number;
  max: number;
  /** Whole numbers only (flags; units are not forced whole: kg and litres are not countable). */
  integer: boolean;
  /** What the number measures, for messages. */
  unit: 'quantity' | 'hours' | 'money' | 'flag';
}

// A billion units of one SKU in one month is beyond any plant or market we plan for, and keeps
// every roll-up (1,000 SKUs × 36 months × price) far inside 2^53, where sums stay exact.
const MAX_QUANTITY = 1e9;
// A resource-month has 744 hours; a "resource" may pool hundreds of lines or people.
const MAX_HOURS = 1e7;
// Per-unit money: ten million per unit covers machinery; budgets are per family and bucket.
const MAX_UNIT_MONEY = 1e7;
const MAX_BUDGET = 1e13;

const quantity = (label: string): CellBounds => ({ label, min: 0, max: MAX_QUANTITY, integer: false, unit: 'quantity' });
const hold = (label: string): CellBounds => ({ label, min: 0, max: 1, integer: true, unit: 'flag' });

/** Bounds per value root. A root missing here is not a value root. */
export const CELL_BOUNDS = {
  sales: quantity('Sales forecast'),
  // An uplift may be negative (a promotion elsewhere takes volume away), never beyond the range.
  marketing: { label: 'Marketing uplift', min: -MAX_QUANTITY, max: MAX_QUANTITY, integer: false, unit: 'quantity' },
  consensus: quantity('Consensus demand'),
  production: quantity('Production'),
  inventory: quantity('Opening inventory'),
  capacity: { label: 'Capacity', min: 0, max: MAX_HOURS, integer: false, unit: 'hours' },
  prices: { label: 'Price', min: 0, max: MAX_UNIT_MONEY, integer: false, unit: 'money' },
  costs: { label: 'Unit cost', min: 0, max: MAX_UNIT_MONEY, integer: false, unit: 'money' },
  budget: { label: 'Budget', min: 0, max: MAX_BUDGET, integer: false, unit: 'money' },
  actuals: quantity('Actual sales'),
  actualProduction: quantity('Actual production'),
  actualInventory: quantity('Actual inventory'),
  statistical: quantity('Statistical forecast'),
  // Holds (a spread leaves these cells alone): the flag 1 per held cell or row; released holds are deleted.
  salesHolds: hold('Sales forecast hold'),
  marketingHolds: hold('Marketing uplift hold'),
  consensusHolds: hold('Consensus hold'),
  productionHolds: hold('Production hold'),
  capacityHolds: hold('Capacity hold'),
  priceHolds: hold('Price hold'),
  costHolds: hold('Unit cost hold'),
  budgetHolds: hold('Budget hold'),
} as const satisfies Record<string, CellBounds>;
export type BoundedRoot = keyof typeof CELL_BOUNDS;

const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** The bounds of a root, or undefined when it holds no numeric cells. */
export function findCellBounds(root: string): CellBounds | undefined {
  return Object.hasOwn(CELL_BOUNDS, root) ? (CELL_BOUNDS as Record<string, CellBounds>)[root] : undefined;
}

/**
 * Why `value` cannot be stored in `root`, as a sentence a planner can act on, or undefined when
 * it can. Not a number, not finite, out of range, or a fraction where whole numbers are required.
 */
export function cellValueProblem(root: string, value: unknown): string | undefined {
  const bounds = findCellBounds(root);
  if (bounds === undefined) return `${root} holds no numbers`;
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${bounds.label} cells hold numbers`;
  if (value < bounds.min) {
    return bounds.min === 0 ? `${bounds.label} cannot be negative` : `${bounds.label} is at least ${whole.format(bounds.min)}`;
  }
  if (value > bounds.max) return `${bounds.label} is at most ${whole.format(bounds.max)}; ${whole.format(value)} is out of range`;
  if (bounds.integer && !Number.isInteger(value)) return `${bounds.label} takes whole numbers`;
  return undefined;
}

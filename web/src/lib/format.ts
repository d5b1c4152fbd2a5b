import { bucketSizeOf, HOLD_ROOT_OF, type Bucket } from '@accord/plan-calc';

// Fixed locale so the grid reads the same on every projector and matches what `parseQuantity` accepts.
const quantity = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const wholeQuantity = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const currencyFormats = new Map<string, Intl.NumberFormat>();

/** A quantity with thousands separators, e.g. `12,500`. */
export function formatQuantity(value: number): string {
  return quantity.format(value);
}

/** A computed quantity shown whole (projections carry fractions from marketing uplifts and prices), e.g. `12,500`. */
export function formatWhole(value: number): string {
  return wholeQuantity.format(value);
}

/** A count with its noun, singular or plural: `counted(1, 'cell')` → `1 cell`, `counted(1200, 'cell')` → `1,200 cells`. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${wholeQuantity.format(n)} ${n === 1 ? singular : plural}`;
}

/** Money in the plan currency without decimals, e.g. `€12,500`; an unknown currency code falls back to `12,500 XYZ`. */
export function formatCurrency(value: number, currency: string): string {
  let format = currencyFormats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0, minimumFractionDigits: 0 });
    } catch {
      return `${wholeQuantity.format(value)} ${currency}`;
    }
    currencyFormats.set(currency, format);
  }
  return format.format(value);
}

/** A ratio as a percentage, e.g. `0.873` → `87.3%`. */
export function formatPercent(value: number): string {
  return percent.format(value);
}

/** Days of cover with one decimal under ten days, whole above; `∞` when no demand lies ahead. */
export function formatDays(value: number | null): string {
  if (value === null) return '∞';
  return value < 10 ? value.toFixed(1) : wholeQuantity.format(value);
}

/** A short month header, e.g. `2027-01` → `Jan 27`. */
export function formatMonth(month: string): string {
  const [year = '', mm = '1'] = month.split('-');
  return `${MONTH_NAMES[Number(mm) - 1] ?? mm} ${year.slice(-2)}`;
}

/** A short bucket header: months as `Jan 27`, ISO weeks as `W05 27`. */
export function formatBucket(bucket: Bucket): string {
  if (bucketSizeOf(bucket) === 'week') return `${bucket.slice(5)} ${bucket.slice(2, 4)}`;
  return formatMonth(bucket);
}

/** The result of reading what a planner typed into a cell. */
export type ParsedQuantity = { ok: true; value: number | null } | { ok: false; message: string };

const PLAIN = /^\d+(\.\d+)?$/;
const GROUPED = /^\d{1,3}(,\d{3})+(\.\d+)?$/;

/**
 * Reads a typed quantity: `1200`, `1,200` and `1200.5` are numbers, an empty entry clears the cell
 * (`null`), and anything else — letters, misplaced commas, and negatives unless `allowNegative`
 * (then each layer's bounds decide) — is refused with a reason: a silent guess would corrupt the plan.
 * Spreadsheet exports may wrap a grouped number in quotes (`"1,200"`) or pad it with
 * non-breaking spaces; both are accepted.
 */
export function parseQuantity(input: string, options: { allowNegative?: boolean } = {}): ParsedQuantity {
  let text = input.replaceAll('\u00a0', ' ').trim();
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1).trim();
  if (text === '') return { ok: true, value: null };
  const negative = text.startsWith('-');
  if (negative && !options.allowNegative) return { ok: false, message: `“${text}” is negative; quantities must be zero or more.` };
  const digits = negative ? text.slice(1).trim() : text;
  if (!PLAIN.test(digits) && !GROUPED.test(digits))
    return { ok: false, message: `“${text}” is not a number. Type a quantity such as 1200 or 1,200.` };
  const value = (negative ? -1 : 1) * Number(digits.replaceAll(',', ''));
  if (!Number.isFinite(value)) return { ok: false, message: `“${text}” is too large.` };
  return { ok: true, value };
}

const rateFormats = new Map<string, Intl.NumberFormat>();

/** A per-unit rate (price, unit cost) in the plan currency with cents, e.g. `€7.35`. */
export function formatRate(value: number, currency: string): string {
  let format = rateFormats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 2 });
    } catch {
      return `${quantity.format(value)} ${currency}`;
    }
    rateFormats.set(currency, format);
  }
  return format.format(value);
}

// Three significant digits always (1.40M, not 1.4M, beside 1.11M), so a column of compact figures
// reads at one precision; below a thousand a number is shown as it is.
const COMPACT = { notation: 'compact', minimumSignificantDigits: 3, maximumSignificantDigits: 3 } as const;
const compactNumber = new Intl.NumberFormat('en-US', COMPACT);
const compactCurrencies = new Map<string, Intl.NumberFormat>();

/**
 * A number in a compact form for a narrow column, e.g. `1,146,800` → `1.15M`, or `€1.15M` with a
 * currency; the grid shows the full value on hover.
 */
export function formatCompact(value: number, currency?: string): string {
  if (Math.abs(value) < 1000) return currency === undefined ? formatWhole(value) : formatCurrency(value, currency);
  if (currency === undefined) return compactNumber.format(value);
  let format = compactCurrencies.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat('en-US', { style: 'currency', currency, ...COMPACT });
    } catch {
      return `${compactNumber.format(value)} ${currency}`;
    }
    compactCurrencies.set(currency, format);
  }
  return format.format(value);
}

// Width of the grid's characters at its font size (0.82rem of a 16px root, tabular digits) in the
// semibold of the family and total rows, in px: digits and most signs ~8, separators ~4 (measured in
// Chromium with Debian's default sans). Estimated rather than measured: the grid formats thousands
// of cells a frame and measuring text would force layout.
const NARROW = new Set([',', '.', ' ', '\u00a0']);

/** Whether `text` fits a column `widthPx` wide after the cell's padding (14 px) and a comment mark. */
export function fitsColumn(text: string, widthPx: number): boolean {
  let px = 0;
  for (const char of text) px += NARROW.has(char) ? 4 : 8;
  return px <= widthPx - 18;
}

const HOLD_ROOTS: ReadonlySet<string> = new Set(Object.values(HOLD_ROOT_OF));

/** A compared cell's change; blank for a hold, which has no size (it is held or not). */
export function formatComparedDelta(root: string, delta: number, format: (value: number) => string): string {
  if (HOLD_ROOTS.has(root)) return '';
  return (delta > 0 ? '+' : '') + format(delta);
}

/**
 * A cell's value in a comparison or merge, as a planner reads it: a hold is `held` or `not held`
 * (its stored flag means nothing to a reader), an empty cell a dash, a number as `format` writes it.
 * @example formatComparedValue('salesHolds', 1, formatQuantity) === 'held'
 */
export function formatComparedValue(root: string, value: number | null, format: (value: number) => string, empty = '—'): string {
  if (HOLD_ROOTS.has(root)) return value === null ? 'not held' : 'held';
  return value === null ? empty : format(value);
}

import type { Month } from '@accord/plan-calc';

// Fixed locale so the grid reads the same on every projector and matches what `parseQuantity` accepts.
const quantity = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A quantity with thousands separators, e.g. `12,500`. */
export function formatQuantity(value: number): string {
  return quantity.format(value);
}

/** A short month header, e.g. `2027-01` → `Jan 27`. */
export function formatMonth(month: Month): string {
  const [year = '', mm = '1'] = month.split('-');
  return `${MONTH_NAMES[Number(mm) - 1] ?? mm} ${year.slice(-2)}`;
}

/** The result of reading what a planner typed into a cell. */
export type ParsedQuantity = { ok: true; value: number | null } | { ok: false; message: string };

const PLAIN = /^\d+(\.\d+)?$/;
const GROUPED = /^\d{1,3}(,\d{3})+(\.\d+)?$/;

/**
 * Reads a typed quantity: `1200`, `1,200` and `1200.5` are numbers, an empty entry clears the cell
 * (`null`), and anything else — letters, negatives, misplaced commas — is refused with a reason,
 * because plan quantities are never negative and a silent guess would corrupt the plan.
 */
export function parseQuantity(input: string): ParsedQuantity {
  const text = input.trim();
  if (text === '') return { ok: true, value: null };
  if (text.startsWith('-')) return { ok: false, message: `“${text}” is negative; quantities must be zero or more.` };
  if (!PLAIN.test(text) && !GROUPED.test(text))
    return { ok: false, message: `“${text}” is not a number. Type a quantity such as 1200 or 1,200.` };
  const value = Number(text.replaceAll(',', ''));
  if (!Number.isFinite(value)) return { ok: false, message: `“${text}” is too large.` };
  return { ok: true, value };
}

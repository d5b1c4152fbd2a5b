import { isMonth, isWeek } from '@accord/plan-calc';

/** A cell as read from a file: CSV gives text, XLSX may give numbers and dates. */
export type RawCell = string | number | Date | null;

/** A parsed value or the reason it was refused, in words a planner can act on. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (reason: string): Parsed<never> => ({ ok: false, reason });

/** Whether a cell holds nothing (empty, only spaces). */
export function isBlank(cell: RawCell): boolean {
  return cell === null || (typeof cell === 'string' && cell.trim() === '');
}

/** A cell as text for previews and messages. */
export function cellText(cell: RawCell): string {
  if (cell === null) return '';
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? 'invalid date' : cell.toISOString().slice(0, 10);
  return String(cell).trim();
}

// Plain numbers (1200, 1200.5) or numbers with comma thousands groups (1,200 or 1,234,567.25).
// A decimal comma (1.200,50) is refused rather than guessed: `1,200` would be ambiguous.
const PLAIN_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const GROUPED_NUMBER = /^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$/;

/**
 * A non-negative finite quantity. Accepts `1200`, `1,200`, `1200.5`, spreadsheet numbers and
 * spaces around; refuses text, negative numbers, `1.200,50` and anything not finite.
 * @example parseQuantity('1,200') // { ok: true, value: 1200 }
 */
export function parseQuantity(cell: RawCell): Parsed<number> {
  let value: number;
  if (typeof cell === 'number') value = cell;
  else if (cell instanceof Date || cell === null) return fail(`expected a number, got ${cell === null ? 'nothing' : 'a date'}`);
  else {
    const text = cell.trim().replace(/^"|"$/g, '');
    if (PLAIN_NUMBER.test(text)) value = Number(text);
    else if (GROUPED_NUMBER.test(text)) value = Number(text.replaceAll(',', ''));
    else return fail(`"${truncate(text)}" is not a number (write 1200 or 1,200)`);
  }
  if (!Number.isFinite(value)) return fail('the number is not finite');
  if (value < 0) return fail(`quantities cannot be negative (${value})`);
  // -0 from "-0" would otherwise be stored as a different value than 0.
  return ok(value === 0 ? 0 : value);
}

const ISO_DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const DAY_FIRST_DATE = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/;
const YEAR_MONTH = /^(\d{4})[-/](\d{1,2})$/;
const MONTH_YEAR = /^(\d{1,2})[-/.](\d{4})$/;
// Excel's serial day numbers: 1 is 1900-01-01 (with its 1900 leap-year bug, so day 0 is 1899-12-30).
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const DAY_MS = 86_400_000;

function month(year: number, monthNumber: number): string {
  return `${String(year).padStart(4, '0')}-${String(monthNumber).padStart(2, '0')}`;
}

function validDate(year: number, monthNumber: number, day: number): boolean {
  if (monthNumber < 1 || monthNumber > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
}

/**
 * The month (`YYYY-MM`) a cell names. Rules: `2026-10` is that month; a date is the month it falls
 * in — ISO `2026-10-31` (time ignored), day-first `31/10/2026` or `31.10.2026` (never US month-first:
 * `10/31/2026` is refused), a spreadsheet date, or an Excel serial day number; `2026/10` and
 * `10/2026` name a month. An ISO week `2026-W44` is accepted for weekly plans.
 * @example parseMonth('31/10/2026') // { ok: true, value: '2026-10' }
 */
export function parseMonth(cell: RawCell, options: { weekly?: boolean } = {}): Parsed<string> {
  if (cell === null) return fail('no month');
  if (cell instanceof Date) {
    if (Number.isNaN(cell.getTime())) return fail('invalid date');
    return ok(month(cell.getUTCFullYear(), cell.getUTCMonth() + 1));
  }
  if (typeof cell === 'number') {
    if (!Number.isInteger(cell) || cell < 1 || cell > 2_958_465) return fail(`${cell} is not a month or a date`);
    const date = new Date(EXCEL_EPOCH_MS + cell * DAY_MS);
    return ok(month(date.getUTCFullYear(), date.getUTCMonth() + 1));
  }
  const text = cell.trim();
  if (options.weekly) {
    if (isWeek(text)) return ok(text);
    return fail(`"${truncate(text)}" is not an ISO week; this plan is weekly, write weeks like 2026-W44`);
  }
  if (isMonth(text)) return ok(text);
  let match = ISO_DATE.exec(text);
  if (match) {
    const [year, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
    return validDate(year, m, d) ? ok(month(year, m)) : fail(`"${truncate(text)}" is not a calendar date`);
  }
  match = DAY_FIRST_DATE.exec(text);
  if (match) {
    const [d, m, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (validDate(year, m, d)) return ok(month(year, m));
    return fail(`"${truncate(text)}" is not a date: dates with / or . are read day first (DD/MM/YYYY)`);
  }
  match = YEAR_MONTH.exec(text) ?? null;
  if (match) {
    const m = Number(match[2]);
    if (m >= 1 && m <= 12) return ok(month(Number(match[1]), m));
  }
  match = MONTH_YEAR.exec(text);
  if (match) {
    const m = Number(match[1]);
    if (m >= 1 && m <= 12) return ok(month(Number(match[2]), m));
  }
  return fail(`"${truncate(text)}" is not a month; write 2026-10, a date like 2026-10-31 or 31/10/2026`);
}

/** An identifier (SKU, family, resource): trimmed text of at most 100 characters without `|`. */
export function parseId(cell: RawCell): Parsed<string> {
  const text = cellText(cell);
  if (text === '') return fail('empty');
  if (text.length > 100) return fail('ids are at most 100 characters');
  // `|` separates the row id from the bucket in cell keys.
  if (text.includes('|')) return fail('ids cannot contain "|"');
  return ok(text);
}

/** A name: trimmed text of 1–200 characters. */
export function parseName(cell: RawCell): Parsed<string> {
  const text = cellText(cell);
  if (text === '') return fail('empty');
  if (text.length > 200) return fail('names are at most 200 characters');
  return ok(text);
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** A month bucket as `YYYY-MM`. */
export type Month = string;

const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** Whether `value` is a well-formed `YYYY-MM` month. */
export function isMonth(value: string): value is Month {
  return MONTH_PATTERN.test(value);
}

/**
 * The month `count` months after `month` (negative goes back).
 * @example addMonths('2026-11', 3) === '2027-02'
 */
export function addMonths(month: Month, count: number): Month {
  const match = MONTH_PATTERN.exec(month);
  if (!match) throw new Error(`not a YYYY-MM month: ${month}`);
  const index = Number(match[1]) * 12 + Number(match[2]) - 1 + count;
  const year = Math.floor(index / 12);
  return `${String(year).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** `count` consecutive months starting at `start`. */
export function monthRange(start: Month, count: number): Month[] {
  return Array.from({ length: count }, (_, i) => addMonths(start, i));
}

/** Days in a month, for days-of-cover maths. */
export function daysInMonth(month: Month): number {
  const [year, mm] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, mm, 0)).getUTCDate();
}

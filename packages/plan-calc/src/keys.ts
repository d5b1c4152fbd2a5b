import { isMonth, type Month } from './months.ts';

/** Key of a product × bucket cell: `productId|YYYY-MM` (DESIGN.md §3). */
export type CellKey = `${string}|${string}`;

/** Builds the key of a product (or resource) × month cell. */
export function cellKey(rowId: string, month: Month): CellKey {
  return `${rowId}|${month}`;
}

/** Splits a cell key; undefined when it is not `rowId|YYYY-MM`. */
export function parseCellKey(key: string): { rowId: string; month: Month } | undefined {
  const bar = key.lastIndexOf('|');
  if (bar <= 0) return undefined;
  const month = key.slice(bar + 1);
  if (!isMonth(month)) return undefined;
  return { rowId: key.slice(0, bar), month };
}

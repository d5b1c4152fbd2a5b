import { isBucket, type Bucket } from './buckets.ts';

/** Key of a row × bucket cell: `productId|YYYY-MM` or `productId|YYYY-Www` (DESIGN.md §3). */
export type CellKey = `${string}|${string}`;

/**
 * Builds the key of a product (or resource, or family) × bucket cell.
 * @example cellKey('SPA-001', '2027-03') === 'SPA-001|2027-03'
 */
export function cellKey(rowId: string, bucket: Bucket): CellKey {
  return `${rowId}|${bucket}`;
}

/** Splits a cell key; undefined when it is not `rowId|bucket` (the row id may itself contain `|`). */
export function parseCellKey(key: string): { rowId: string; bucket: Bucket } | undefined {
  const bar = key.lastIndexOf('|');
  if (bar <= 0) return undefined;
  const bucket = key.slice(bar + 1);
  if (!isBucket(bucket)) return undefined;
  return { rowId: key.slice(0, bar), bucket };
}

import type { GridRow } from './layout.ts';

/** A cell of the grid by row id and column index (row ids survive filtering and scrolling). */
export interface Position {
  rowId: string;
  col: number;
}

/** A selected rectangle as row and column index ranges (inclusive). */
export interface Range {
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

/** The rectangle between the anchor and the active cell; null when either is not among the rows. */
export function rangeOf(rowIndex: ReadonlyMap<string, number>, anchor: Position | null, active: Position | null): Range | null {
  if (!anchor || !active) return null;
  const a = rowIndex.get(anchor.rowId);
  const b = rowIndex.get(active.rowId);
  if (a === undefined || b === undefined) return null;
  return { r0: Math.min(a, b), r1: Math.max(a, b), c0: Math.min(anchor.col, active.col), c1: Math.max(anchor.col, active.col) };
}

/** Whether a range covers more than one cell. */
export function isMultiCell(range: Range | null): boolean {
  return range !== null && (range.r1 > range.r0 || range.c1 > range.c0);
}

/**
 * The position `rowDelta` rows and `colDelta` columns away from `from`, skipping section headers
 * and stopping at the edges; undefined when `from` is not among the rows.
 */
export function stepFrom(
  rows: readonly GridRow[],
  rowIndex: ReadonlyMap<string, number>,
  from: Position,
  rowDelta: number,
  colDelta: number,
  columnCount: number,
): Position | undefined {
  const start = rowIndex.get(from.rowId);
  if (start === undefined) return undefined;
  let index = start;
  const step = Math.sign(rowDelta);
  for (let remaining = Math.abs(rowDelta); remaining > 0; remaining--) {
    let next = index + step;
    while (next >= 0 && next < rows.length && rows[next]!.kind === 'header') next += step;
    if (next < 0 || next >= rows.length) break;
    index = next;
  }
  const row = rows[index];
  if (!row) return undefined;
  return { rowId: row.id, col: Math.max(0, Math.min(columnCount - 1, from.col + colDelta)) };
}

import type { CellView } from './cells.ts';
import { rowEntity, type Column, type GridRow, type ValueRow } from './layout.ts';

/** A row in view and its cells, as the grid renders it. */
export interface VisibleRow {
  row: GridRow;
  index: number;
  cells: CellView[];
  /** The DOM slot the row is drawn in (see `assignSlots`). */
  slot: number;
}

/**
 * Slots for the rows in view, by row id: a row that stays in view keeps its slot, a row that
 * comes into view takes a slot freed by one that left (lowest first), else the next new one. The
 * grid keys its rows by slot, so scrolling rewrites the rows that changed instead of destroying
 * and creating them.
 * @example assignSlots(new Map([['a', 0], ['b', 1]]), ['b', 'c']) // Map { b → 1, c → 0 }
 */
export function assignSlots(previous: ReadonlyMap<string, number>, ids: readonly string[]): Map<string, number> {
  const slots = new Map<string, number>();
  const taken = new Set<number>();
  for (const id of ids) {
    const slot = previous.get(id);
    if (slot !== undefined) {
      slots.set(id, slot);
      taken.add(slot);
    }
  }
  const free = [...previous.values()].filter((slot) => !taken.has(slot)).sort((a, b) => b - a);
  let next = Math.max(-1, ...previous.values()) + 1;
  for (const id of ids) if (!slots.has(id)) slots.set(id, free.pop() ?? next++);
  return slots;
}

function sameCellView(a: CellView, b: CellView): boolean {
  return (
    a.root === b.root &&
    a.key === b.key &&
    a.value === b.value &&
    a.base === b.base &&
    a.text === b.text &&
    a.writeRoot === b.writeRoot &&
    a.edit === b.edit &&
    a.held === b.held &&
    a.inherited === b.inherited &&
    a.overridden === b.overridden &&
    a.exception === b.exception &&
    a.negative === b.negative &&
    a.title === b.title
  );
}

/**
 * `next`, with every cell equal to the one at its place in `previous` replaced by that previous
 * object, and `previous` itself when nothing differs: the grid redraws after every edit, and only
 * changed objects make Svelte touch the DOM.
 */
export function stableCells(previous: readonly CellView[] | undefined, next: CellView[]): CellView[] {
  if (!previous) return next;
  let changed = previous.length !== next.length;
  const out = next.map((cell, i) => {
    const before = previous[i];
    if (before && sameCellView(before, cell)) return before;
    changed = true;
    return cell;
  });
  return changed ? out : (previous as CellView[]);
}

/** Where a cell in view is: its document root, row index and column index (into all columns). */
export interface CellPlace {
  root: string;
  index: number;
  col: number;
}

/**
 * The cells in view by `key`, so presence changes find a selected cell without walking the grid.
 * `firstCol` is the column index of each row's first cell in view.
 */
export function cellPlaces(visible: readonly VisibleRow[], firstCol: number): Map<string, CellPlace[]> {
  const places = new Map<string, CellPlace[]>();
  for (const { index, cells } of visible) {
    cells.forEach((cell, j) => {
      const place = { root: cell.root, index, col: firstCol + j };
      const same = places.get(cell.key);
      if (same) same.push(place);
      else places.set(cell.key, [place]);
    });
  }
  return places;
}

/** Another user's selected cell in view; `stack` counts the users marked before on the same cell. */
export interface RemoteMark<P> {
  peer: P;
  index: number;
  col: number;
  stack: number;
}

/** The selected cells of `peers` that are in view, one mark per peer, in the order of `peers`. */
export function remoteMarks<P extends { cursor: { root: string; key: string } | null }>(
  places: ReadonlyMap<string, readonly CellPlace[]>,
  peers: readonly P[],
): RemoteMark<P>[] {
  const marks: RemoteMark<P>[] = [];
  for (const peer of peers) {
    if (!peer.cursor) continue;
    const root = peer.cursor.root;
    const place = places.get(peer.cursor.key)?.find((candidate) => candidate.root === root);
    if (!place) continue;
    const stack = marks.filter((mark) => mark.index === place.index && mark.col === place.col).length;
    marks.push({ peer, index: place.index, col: place.col, stack });
  }
  return marks;
}

/** The document root a row's cell in a column carries as `data-root` (before any value is read). */
function rowRoots(row: ValueRow): string[] {
  if (row.kind === 'product') return [row.layer.input ?? row.layer.id, ...(row.layer.historyRoot ? [row.layer.historyRoot] : [])];
  if (row.kind === 'resource') return [row.layer];
  return [row.layer.spread ?? row.layer.input ?? row.layer.id];
}

/**
 * Where a cell named by `data-root` and `data-key` sits among the given rows and columns, or null
 * when it is not shown (a hidden layer, a collapsed family, a filter, a column out of range).
 */
export function findCell(
  rows: readonly GridRow[],
  columns: readonly Column[],
  cell: { root: string; key: string },
): { rowId: string; col: number } | null {
  const bar = cell.key.lastIndexOf('|');
  if (bar <= 0) return null;
  const entity = cell.key.slice(0, bar);
  const col = columns.findIndex((column) => column.id === cell.key.slice(bar + 1));
  if (col < 0) return null;
  const row = rows.find((r) => r.kind !== 'header' && rowEntity(r) === entity && rowRoots(r).includes(cell.root));
  return row ? { rowId: row.id, col } : null;
}

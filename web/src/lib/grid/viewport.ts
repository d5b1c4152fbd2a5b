/** The slice of a long list of fixed-height rows to render, and the space to leave around it. */
export interface RowWindow {
  /** First rendered row index (inclusive). */
  start: number;
  /** One past the last rendered row index. */
  end: number;
  /** Height in pixels of the rows above `start` and below `end`, kept as spacer rows. */
  padTopPx: number;
  padBottomPx: number;
}

/**
 * Which rows of a fixed-row-height list are visible in a viewport scrolled to `scrollTopPx`, plus
 * `overscan` rows either side so fast scrolling does not show blank rows before the next frame.
 * @example visibleRows({ scrollTopPx: 280, viewportPx: 560, rowPx: 28, rowCount: 10_000, overscan: 10 }) // rows 0–40
 */
export function visibleRows(options: {
  scrollTopPx: number;
  viewportPx: number;
  rowPx: number;
  rowCount: number;
  overscan: number;
}): RowWindow {
  const { scrollTopPx, viewportPx, rowPx, rowCount, overscan } = options;
  if (rowCount <= 0 || rowPx <= 0) return { start: 0, end: 0, padTopPx: 0, padBottomPx: 0 };
  const visible = Math.ceil(Math.max(0, viewportPx) / rowPx) + 1;
  // A stale scroll position (the list just got shorter) still shows the last screenful.
  const first = Math.min(Math.floor(Math.max(0, scrollTopPx) / rowPx), Math.max(0, rowCount - visible + 1));
  const start = Math.max(0, Math.min(rowCount - 1, first - overscan));
  const end = Math.min(rowCount, first + visible + overscan);
  return { start, end, padTopPx: start * rowPx, padBottomPx: (rowCount - end) * rowPx };
}

/**
 * The scroll position that brings row `index` fully into view with the least movement, given the
 * rows' area starts `headerPx` below the scroller's top (a sticky header covers that much).
 * Returns the current position when the row is already visible.
 */
export function scrollToReveal(options: {
  index: number;
  scrollTopPx: number;
  viewportPx: number;
  rowPx: number;
  headerPx: number;
}): number {
  const { index, scrollTopPx, viewportPx, rowPx, headerPx } = options;
  return scrollToRevealSpan({ startPx: index * rowPx, sizePx: rowPx, scrollPx: scrollTopPx, viewportPx, coveredPx: headerPx });
}

/** The slice of columns (of varying widths) to render, and the width left out either side. */
export interface ColumnWindow {
  start: number;
  end: number;
  padLeftPx: number;
  padRightPx: number;
}

/**
 * Which columns are visible when scrolled `scrollLeftPx` to the right, given each column's left
 * edge (`offsetsPx`, ascending, starting at 0) and the total width; `overscan` columns either side.
 * `viewportPx` is the width they share (the scroller minus any sticky label columns).
 */
export function visibleColumns(options: {
  scrollLeftPx: number;
  viewportPx: number;
  offsetsPx: readonly number[];
  totalPx: number;
  overscan: number;
}): ColumnWindow {
  const { scrollLeftPx, viewportPx, offsetsPx, totalPx, overscan } = options;
  const count = offsetsPx.length;
  if (count === 0) return { start: 0, end: 0, padLeftPx: 0, padRightPx: 0 };
  const left = Math.max(0, scrollLeftPx);
  const right = left + Math.max(0, viewportPx);
  let first = 0;
  while (first < count - 1 && offsetsPx[first + 1]! <= left) first++;
  let last = first;
  while (last < count - 1 && offsetsPx[last + 1]! < right) last++;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, last + 1 + overscan);
  return { start, end, padLeftPx: offsetsPx[start]!, padRightPx: totalPx - (end < count ? offsetsPx[end]! : totalPx) };
}

/**
 * The scroll position that brings the span `startPx`..`startPx + sizePx` fully into view with the
 * least movement, when the first `coveredPx` of the viewport are hidden behind sticky content.
 */
export function scrollToRevealSpan(options: {
  startPx: number;
  sizePx: number;
  scrollPx: number;
  viewportPx: number;
  coveredPx: number;
}): number {
  const { startPx, sizePx, scrollPx, viewportPx, coveredPx } = options;
  const visiblePx = viewportPx - coveredPx;
  if (startPx < scrollPx) return startPx;
  if (startPx + sizePx > scrollPx + visiblePx) return Math.max(0, startPx + sizePx - visiblePx);
  return scrollPx;
}

import { describe, expect, it } from 'vitest';
import { scrollToReveal, scrollToRevealSpan, visibleColumns, visibleRows } from './viewport.ts';

describe('visibleRows', () => {
  it('renders the rows in view plus the overscan, and pads the rest', () => {
    const window = visibleRows({ scrollTopPx: 2800, viewportPx: 560, rowPx: 28, rowCount: 10_000, overscan: 10 });
    expect(window).toEqual({ start: 90, end: 131, padTopPx: 90 * 28, padBottomPx: (10_000 - 131) * 28 });
  });

  it('keeps the DOM small for a huge list', () => {
    const window = visibleRows({ scrollTopPx: 0, viewportPx: 900, rowPx: 28, rowCount: 10_000, overscan: 10 });
    expect(window.start).toBe(0);
    expect(window.end - window.start).toBeLessThan(60);
  });

  it('clamps at the end of the list', () => {
    const window = visibleRows({ scrollTopPx: 1_000_000, viewportPx: 560, rowPx: 28, rowCount: 50, overscan: 5 });
    expect(window.end).toBe(50);
    expect(window.padBottomPx).toBe(0);
    expect(window.start).toBe(25); // the last 21 rows in view, 5 overscan above
  });

  it('renders everything when the list is shorter than the viewport', () => {
    expect(visibleRows({ scrollTopPx: 0, viewportPx: 900, rowPx: 28, rowCount: 12, overscan: 10 })).toEqual({
      start: 0,
      end: 12,
      padTopPx: 0,
      padBottomPx: 0,
    });
  });

  it('renders nothing for an empty list', () => {
    expect(visibleRows({ scrollTopPx: 0, viewportPx: 900, rowPx: 28, rowCount: 0, overscan: 10 })).toEqual({
      start: 0,
      end: 0,
      padTopPx: 0,
      padBottomPx: 0,
    });
  });
});

describe('scrollToReveal', () => {
  const base = { scrollTopPx: 280, viewportPx: 600, rowPx: 28, headerPx: 40 };

  it('leaves the position alone when the row is in view', () => {
    expect(scrollToReveal({ ...base, index: 12 })).toBe(280);
  });

  it('scrolls up so a row above the view sits at the top', () => {
    expect(scrollToReveal({ ...base, index: 5 })).toBe(140);
  });

  it('scrolls down so a row below the view sits at the bottom, clear of the header', () => {
    // Row 40 ends at 41 × 28 = 1148 px; 560 px of rows are visible under the header.
    expect(scrollToReveal({ ...base, index: 40 })).toBe(1148 - 560);
  });
});

describe('visibleColumns', () => {
  // Six 100 px bucket columns, then two 120 px period columns.
  const offsetsPx = [0, 100, 200, 300, 400, 500, 600, 720];
  const totalPx = 840;

  it('renders the columns in view plus the overscan, and pads the rest', () => {
    expect(visibleColumns({ scrollLeftPx: 250, viewportPx: 200, offsetsPx, totalPx, overscan: 1 })).toEqual({
      start: 1,
      end: 6,
      padLeftPx: 100,
      padRightPx: 240,
    });
  });

  it('starts at the first column and reaches the last one', () => {
    expect(visibleColumns({ scrollLeftPx: 0, viewportPx: 150, offsetsPx, totalPx, overscan: 0 })).toEqual({
      start: 0,
      end: 2,
      padLeftPx: 0,
      padRightPx: 640,
    });
    expect(visibleColumns({ scrollLeftPx: 700, viewportPx: 500, offsetsPx, totalPx, overscan: 2 })).toEqual({
      start: 4,
      end: 8,
      padLeftPx: 400,
      padRightPx: 0,
    });
  });

  it('renders nothing without columns', () => {
    expect(visibleColumns({ scrollLeftPx: 0, viewportPx: 500, offsetsPx: [], totalPx: 0, overscan: 2 })).toEqual({
      start: 0,
      end: 0,
      padLeftPx: 0,
      padRightPx: 0,
    });
  });
});

describe('scrollToRevealSpan', () => {
  it('scrolls a column hidden behind the sticky labels back into view', () => {
    expect(scrollToRevealSpan({ startPx: 300, sizePx: 100, scrollPx: 350, viewportPx: 800, coveredPx: 0 })).toBe(300);
  });

  it('scrolls right just enough for a column past the right edge', () => {
    expect(scrollToRevealSpan({ startPx: 900, sizePx: 100, scrollPx: 0, viewportPx: 1200, coveredPx: 370 })).toBe(1000 - 830);
  });

  it('stays put when the column is in view', () => {
    expect(scrollToRevealSpan({ startPx: 100, sizePx: 100, scrollPx: 0, viewportPx: 1200, coveredPx: 370 })).toBe(0);
  });
});

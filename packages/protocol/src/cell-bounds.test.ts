import { describe, expect, it } from 'vitest';
import { CELL_BOUNDS, cellValueProblem, findCellBounds } from './cell-bounds.ts';

describe('cell bounds', () => {
  it('accepts plausible values of every layer', () => {
    expect(cellValueProblem('sales', 12_500)).toBeUndefined();
    expect(cellValueProblem('sales', 0)).toBeUndefined();
    expect(cellValueProblem('marketing', -300)).toBeUndefined();
    expect(cellValueProblem('prices', 1.85)).toBeUndefined();
  });
  it('refuses the reviewer’s 1e20, negatives, non-numbers and infinities with a sentence', () => {
    expect(cellValueProblem('sales', 1e20)).toMatch(/Sales forecast is at most 1,000,000,000/);
    expect(cellValueProblem('production', -1)).toBe('Production cannot be negative');
    expect(cellValueProblem('costs', 'ten')).toBe('Unit cost cells hold numbers');
    expect(cellValueProblem('capacity', Number.POSITIVE_INFINITY)).toBe('Capacity cells hold numbers');
    expect(cellValueProblem('marketing', -2e9)).toMatch(/at least -1,000,000,000/);
  });
  it('knows only value roots', () => {
    expect(findCellBounds('comments')).toBeUndefined();
    expect(findCellBounds('toString')).toBeUndefined();
    expect(cellValueProblem('meta', 1)).toBe('meta holds no numbers');
    for (const bounds of Object.values(CELL_BOUNDS)) expect(bounds.max).toBeGreaterThan(bounds.min);
  });
});

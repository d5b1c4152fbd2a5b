import { describe, expect, it } from 'vitest';
import { sectionTotals } from './snapshot.service.ts';

describe('sectionTotals', () => {
  it('keeps budget changes (a target) out of a section’s value change and sums them apart', () => {
    const totals = sectionTotals([
      { section: 'finance', root: 'prices', volumeDelta: 0, valueDelta: 28_550 },
      { section: 'finance', root: 'budget', volumeDelta: 0, valueDelta: 25_889 },
      { section: 'finance', root: 'budget', volumeDelta: 0, valueDelta: -889 },
      { section: 'demand', root: 'sales', volumeDelta: 120, valueDelta: 960 },
    ]);
    expect(Object.fromEntries(totals)).toEqual({
      finance: { changedCells: 3, volumeDelta: 0, valueDelta: 28_550, budgetDelta: 25_000 },
      demand: { changedCells: 1, volumeDelta: 120, valueDelta: 960, budgetDelta: 0 },
    });
  });
});

import { describe, expect, it } from 'vitest';
import { groupChanges, howWords, latestPerCell, valueWords, type RecordedChange } from './cell-history.ts';
import { cellLabel } from './decisions.ts';

const change = (over: Partial<RecordedChange>): RecordedChange => ({
  root: 'sales',
  key: 'SPA-001|2027-02',
  oldValue: 6000,
  newValue: 9000,
  userId: 'u1',
  userName: 'Sofia Alvarez',
  at: '2026-12-02T10:00:00.000Z',
  ...over,
});

describe('cell history in planner words', () => {
  it('says how a change was made, and "edited" when the server did not record it', () => {
    expect(howWords({ kind: 'merge' })).toBe('scenario merge');
    expect(howWords({})).toBe('edited');
    expect(valueWords({ oldValue: null, newValue: 1234.5 })).toBe('empty → 1,234.5');
    // What an empty forecast or consensus followed.
    expect(valueWords({ oldValue: null, newValue: 5176 }, 'sales')).toBe('statistical → 5,176');
    expect(valueWords({ oldValue: 900, newValue: null }, 'consensus')).toBe('900 → demand');
    expect(valueWords({ oldValue: null, newValue: 12 }, 'production')).toBe('empty → 12');
  });

  it('groups what one action changed: the same change when numbered, else one person and way within two seconds', () => {
    const paste = [0, 1, 2].map((i) => change({ key: `SPA-00${i}|2027-02`, kind: 'pasted', at: `2026-12-02T10:00:0${i}.000Z` }));
    const typed = change({ kind: 'typed', at: '2026-12-02T10:00:02.500Z' });
    const other = change({ kind: 'typed', userId: 'u2', userName: 'Leila Haddad', at: '2026-12-02T10:00:03.000Z' });
    expect(groupChanges([...paste, typed, other]).map((g) => [g.who, g.how, g.changes.length])).toEqual([
      ['Sofia Alvarez', 'pasted', 3],
      ['Sofia Alvarez', 'typed', 1],
      ['Leila Haddad', 'typed', 1],
    ]);
    const numbered = [change({ seq: 7 }), change({ seq: 7, key: 'SPA-002|2027-02' }), change({ seq: 8 })];
    expect(groupChanges(numbered).map((g) => g.changes.length)).toEqual([2, 1]);
  });

  it('keeps the latest change per cell', () => {
    const latest = latestPerCell([change({ newValue: 1 }), change({ newValue: 2, at: '2026-12-02T11:00:00.000Z' })]);
    expect([...latest.values()].map((c) => c.newValue)).toEqual([2]);
  });
});

describe('cells in planner words', () => {
  it('names the product, the month (or quarter, or horizon) and the layer', () => {
    const names = (id: string) => ({ 'SPA-001': 'Alpine Sparkling 0.5 L', sparkling: 'Sparkling Water' })[id] ?? id;
    expect(cellLabel({ root: 'consensus', key: 'SPA-001|2027-02' }, names)).toBe('Alpine Sparkling 0.5 L · Feb 27 · Consensus demand');
    expect(cellLabel({ root: 'sales', key: 'sparkling|2027-Q2' }, names)).toBe('Sparkling Water · Q2 2027 · Sales forecast');
    expect(cellLabel({ root: 'prices', key: 'SPA-001' }, names)).toBe('Alpine Sparkling 0.5 L · all months · Price');
  });
});

describe('change summaries', () => {
  it('keep what a summary adds (a merge’s decision), not what repeats the cell (a typed entry)', () => {
    const typed = change({ kind: 'typed', summary: 'Alpine Sparkling 0.5 L · Sales forecast · Jan 27: 6,000 → 9,000' });
    const merged = change({ kind: 'merge', summary: 'Scenario “Summer” merged: 1 cell, decision “Push”', at: '2026-12-02T11:00:00.000Z' });
    expect(groupChanges([typed, merged]).map((g) => g.summary)).toEqual([null, 'Scenario “Summer” merged: 1 cell, decision “Push”']);
  });
});

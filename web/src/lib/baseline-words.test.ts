import { describe, expect, it } from 'vitest';
import type { BaselineChangeRecord } from '@accord/protocol';
import { cellChangeWords, changeHeadline, formatWhen, lostSeasonWords, triggerWords } from './baseline-words.ts';

const now = new Date(2026, 10, 20, 16, 0);
const at = (hours: number, minutes: number, day = 20) => new Date(2026, 10, day, hours, minutes).toISOString();

const run: BaselineChangeRecord = {
  id: 'c1',
  kind: 'run',
  trigger: { type: 'import', at: at(10, 32), userId: 'u1', userName: 'Oskar Berg' },
  startedAt: at(10, 32),
  finishedAt: at(10, 33),
  seasonLength: 12,
  changedCells: 504,
  changedProducts: 28,
  biggestChanges: [],
  shapeChanges: [
    { productId: 'SPA-001', productName: 'Alpine Sparkling 0.5 L', from: 'seasonal', to: 'flat' },
    { productId: 'ENE-001', productName: 'Volt Original 0.25 L', from: 'trend', to: 'seasonal' },
  ],
  restored: null,
  restorable: true,
  restoreRefusal: null,
};

describe('baseline change words', () => {
  it('says when, in the browser’s time zone: the time today, the day before', () => {
    expect(formatWhen(at(10, 32), now)).toBe('10:32');
    expect(formatWhen(at(9, 5, 18), now)).toBe('18 Nov 09:05');
  });

  it('says what started a change and what it did, as the plan page’s notice shows it', () => {
    expect(triggerWords(run.trigger, now)).toBe('after the import at 10:32 by Oskar Berg');
    expect(changeHeadline(run, now)).toBe('Baseline re-run after the import at 10:32 by Oskar Berg: 504 cells changed in 28 products');
    expect(lostSeasonWords(run)).toBe('1 product lost its season: SPA-001 (seasonal → flat)');
    expect(lostSeasonWords({ ...run, shapeChanges: [] })).toBe('');
    const restore: BaselineChangeRecord = {
      ...run,
      kind: 'restore',
      trigger: { type: 'restore', at: at(10, 40), userId: 'u1', userName: 'Oskar Berg', restoredChangeId: 'c1' },
    };
    expect(changeHeadline(restore, now)).toBe(
      'Baseline restored at 10:40 by Oskar Berg: 504 cells in 28 products back to their previous values',
    );
    expect(cellChangeWords({ productId: 'SPA-003', bucket: '2027-07', previous: 14882, value: 12470 })).toBe(
      'SPA-003 Jul 27: 14,882 → 12,470',
    );
  });
});

import { describe, expect, it } from 'vitest';
import { activityAt, isPresentingView, pendingLabel, sameCell, sameFilters, throttle, type PresentingView } from './meeting.ts';

const view: PresentingView = {
  filters: { familyId: 'F1', layers: ['sales', 'demand'], exceptionsOnly: false, search: '' },
  scrollTop: 280,
  scrollLeft: 0,
  selection: { anchor: { root: 'sales', key: 'A|2027-01' }, active: null },
};

describe('meeting helpers', () => {
  it('derives activity from input time and visibility', () => {
    expect(activityAt(1_000, 0, false, 60_000)).toBe('active');
    expect(activityAt(60_000, 0, false, 60_000)).toBe('idle');
    expect(activityAt(1_000, 0, true, 60_000)).toBe('away');
  });

  it('validates a presented view', () => {
    expect(isPresentingView(view)).toBe(true);
    expect(JSON.stringify(view).length).toBeLessThan(8 * 1024);
    expect(isPresentingView(null)).toBe(false);
    expect(isPresentingView({ ...view, scrollTop: 'x' })).toBe(false);
    expect(isPresentingView({ ...view, filters: { ...view.filters, layers: [1] } })).toBe(false);
    expect(isPresentingView({ ...view, selection: { anchor: { root: 1 }, active: null } })).toBe(false);
  });

  it('compares filters and cells', () => {
    expect(sameFilters(view.filters, { ...view.filters, layers: ['demand', 'sales'] })).toBe(true);
    expect(sameFilters(view.filters, { ...view.filters, search: 'x' })).toBe(false);
    expect(sameCell(null, null)).toBe(true);
    expect(sameCell({ root: 'a', key: 'b' }, { root: 'a', key: 'b' })).toBe(true);
    expect(sameCell({ root: 'a', key: 'b' }, null)).toBe(false);
  });

  it('throttles to the latest arguments with one trailing call', () => {
    let now = 0;
    const timers: (() => void)[] = [];
    const calls: number[] = [];
    const fn = throttle((n: number) => calls.push(n), 100, {
      now: () => now,
      set: (run) => timers.push(run),
      clear: () => timers.splice(0),
    });
    fn(1);
    fn(2);
    fn(3);
    expect(calls).toEqual([1]);
    now = 100;
    timers.shift()!();
    expect(calls).toEqual([1, 3]);
    fn(4);
    fn.cancel();
    expect(timers.length).toBe(0);
    expect(calls).toEqual([1, 3]);
  });

  it('labels pending edits', () => {
    expect(pendingLabel(1)).toBe('1 pending edit');
    expect(pendingLabel(3)).toBe('3 pending edits');
  });
});

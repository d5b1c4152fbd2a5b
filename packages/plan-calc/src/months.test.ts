import { describe, expect, it } from 'vitest';
import { addMonths, daysInMonth, isMonth, monthRange } from './months.ts';
import { cellKey, parseCellKey } from './keys.ts';

describe('months', () => {
  it('adds and subtracts months across year boundaries', () => {
    expect(addMonths('2026-11', 3)).toBe('2027-02');
    expect(addMonths('2027-01', -1)).toBe('2026-12');
    expect(addMonths('2026-01', -25)).toBe('2023-12');
  });
  it('lists consecutive months', () => {
    expect(monthRange('2026-11', 4)).toEqual(['2026-11', '2026-12', '2027-01', '2027-02']);
    expect(monthRange('2026-11', 0)).toEqual([]);
  });
  it('validates YYYY-MM and refuses anything else', () => {
    expect(isMonth('2026-12')).toBe(true);
    for (const bad of ['2026-13', '2026-1', '26-01', '2026-00', '']) expect(isMonth(bad)).toBe(false);
    expect(() => addMonths('2026-13', 1)).toThrow(/YYYY-MM/);
  });
  it('knows leap years', () => {
    expect(daysInMonth('2028-02')).toBe(29);
    expect(daysInMonth('2027-02')).toBe(28);
    expect(daysInMonth('2027-12')).toBe(31);
  });
  it('round-trips cell keys of months and weeks, including ids that contain the separator', () => {
    expect(parseCellKey(cellKey('SPA-001', '2027-03'))).toEqual({ rowId: 'SPA-001', bucket: '2027-03' });
    expect(parseCellKey(cellKey('SPA-001', '2026-W53'))).toEqual({ rowId: 'SPA-001', bucket: '2026-W53' });
    expect(parseCellKey('a|b|2027-03')).toEqual({ rowId: 'a|b', bucket: '2027-03' });
    expect(parseCellKey('SPA-001|2027-W53')).toBeUndefined();
    expect(parseCellKey('SPA-001')).toBeUndefined();
    expect(parseCellKey('|2027-03')).toBeUndefined();
  });
});

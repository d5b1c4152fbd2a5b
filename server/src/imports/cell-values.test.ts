import { describe, expect, it } from 'vitest';
import { parseMonth, parseQuantity } from './cell-values.ts';
import { mapColumns } from './column-mapping.ts';
import { parseCsvRecords, readCsv } from './table-reader.ts';

const value = <T>(parsed: { ok: true; value: T } | { ok: false; reason: string }) =>
  parsed.ok ? parsed.value : `refused: ${parsed.reason}`;

describe('parseQuantity', () => {
  it('accepts plain and comma-grouped numbers and refuses text, negatives and decimal commas', () => {
    expect(value(parseQuantity('1200'))).toBe(1200);
    expect(value(parseQuantity(' 1,200 '))).toBe(1200);
    expect(value(parseQuantity('1,234,567.25'))).toBe(1234567.25);
    expect(value(parseQuantity('0.5'))).toBe(0.5);
    expect(value(parseQuantity(42))).toBe(42);
    expect(value(parseQuantity('-0'))).toBe(0);
    expect(value(parseQuantity('12,00'))).toMatch(/refused: .* not a number/);
    expect(value(parseQuantity('1.200,50'))).toMatch(/refused/);
    expect(value(parseQuantity('lots'))).toMatch(/refused: "lots" is not a number/);
    expect(value(parseQuantity('-3'))).toMatch(/refused: quantities cannot be negative/);
    expect(value(parseQuantity('1e999'))).toMatch(/refused: .* not finite/);
  });
});

describe('parseMonth', () => {
  it('reads months, ISO dates, day-first dates, spreadsheet dates and serials as a month', () => {
    expect(value(parseMonth('2026-10'))).toBe('2026-10');
    expect(value(parseMonth('2026-10-31'))).toBe('2026-10');
    expect(value(parseMonth('2026-10-31T23:00:00Z'))).toBe('2026-10');
    expect(value(parseMonth('31/10/2026'))).toBe('2026-10');
    expect(value(parseMonth('1.2.2027'))).toBe('2027-02');
    expect(value(parseMonth('2026/7'))).toBe('2026-07');
    expect(value(parseMonth('07/2026'))).toBe('2026-07');
    expect(value(parseMonth(new Date(Date.UTC(2026, 9, 31))))).toBe('2026-10');
    // Excel serial 46326 is 2026-10-31.
    expect(value(parseMonth(46326))).toBe('2026-10');
    expect(value(parseMonth('2026-W44', { weekly: true }))).toBe('2026-W44');
  });

  it('refuses impossible and month-first dates with a reason', () => {
    expect(value(parseMonth('10/31/2026'))).toMatch(/day first/);
    expect(value(parseMonth('31/02/2026'))).toMatch(/day first/);
    expect(value(parseMonth('2026-02-30'))).toMatch(/not a calendar date/);
    expect(value(parseMonth('2026-13'))).toMatch(/not a month/);
    expect(value(parseMonth('October'))).toMatch(/not a month/);
    expect(value(parseMonth('2026-10', { weekly: true }))).toMatch(/weekly/);
  });
});

describe('readCsv', () => {
  it('handles quotes, doubled quotes, line breaks in quotes, CRLF, blank lines and row numbers', () => {
    const table = readCsv(new TextEncoder().encode('\uFEFFsku,"note"\r\nA,"say ""hi"""\r\n\r\nB,"two\nlines"\nC,\n,\n'));
    expect(table.headers).toEqual(['sku', 'note']);
    expect(table.rows).toEqual([
      { row: 2, cells: ['A', 'say "hi"'] },
      { row: 4, cells: ['B', 'two\nlines'] },
      { row: 6, cells: ['C', null] },
    ]);
  });

  it('detects a semicolon delimiter and refuses an unclosed quote', () => {
    expect(parseCsvRecords('a;b\n1;2', ';')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['1', '2'] },
    ]);
    expect(readCsv(new TextEncoder().encode('sku;month\nA;2026-01')).headers).toEqual(['sku', 'month']);
    expect(() => readCsv(new TextEncoder().encode('a,b\n"open,1'))).toThrow(/never closed/);
  });
});

describe('mapColumns', () => {
  it('recognises header synonyms and lets an explicit mapping win', () => {
    const auto = mapColumns('actuals', ['Item Code', 'Posting date', 'Units_Sold', 'Closing stock']);
    expect(auto.problems).toEqual([]);
    expect(Object.fromEntries(auto.columns)).toEqual({ product: 0, month: 1, sales: 2, inventory: 3 });
    const override = mapColumns('actuals', ['SKU', 'Month', 'Qty', 'Forecast'], { sales: 'Forecast' });
    expect(override.columns.get('sales')).toBe(3);
    expect(mapColumns('actuals', ['SKU', 'Month']).problems[0]!.reason).toMatch(/no quantity column/);
  });
});

import { parseQuantity } from '../format.ts';

/** What a planner typed into a cell: a value, a change of the value in effect, or nothing (clear). */
export type Entry =
  { kind: 'set'; value: number } | { kind: 'clear' } | { kind: 'add'; delta: number } | { kind: 'scale'; percent: number };

export type ParsedEntry = { ok: true; entry: Entry } | { ok: false; message: string };

const PERCENT = /^([+-])\s*(\d+(?:\.\d+)?)\s*%$/;

/**
 * Reads what was typed into a cell, aggregate or not: `31500` or `31,500` sets the value, `=40000`
 * too (and `=-200` sets a negative uplift), `+200` and `-200` add to the value in effect, `+5%` and
 * `-5%` scale it, and an empty entry clears the cell.
 * @example parseEntry('+5%') // { ok: true, entry: { kind: 'scale', percent: 5 } }
 */
export function parseEntry(input: string): ParsedEntry {
  const text = input.replaceAll('\u00a0', ' ').trim();
  if (text === '') return { ok: true, entry: { kind: 'clear' } };
  const percent = PERCENT.exec(text);
  if (percent) {
    const value = Number(percent[2]) * (percent[1] === '-' ? -1 : 1);
    if (value <= -100) return { ok: false, message: `“${text}” would take the value below zero; type a new value instead.` };
    return { ok: true, entry: { kind: 'scale', percent: value } };
  }
  if (text.endsWith('%')) return { ok: false, message: `“${text}”: type +5% or -5% to change a value by a percentage.` };
  if (text.startsWith('=')) {
    const parsed = parseQuantity(text.slice(1), { allowNegative: true });
    if (!parsed.ok) return parsed;
    if (parsed.value === null) return { ok: false, message: 'Type a value after “=”, e.g. =40000.' };
    return { ok: true, entry: { kind: 'set', value: parsed.value } };
  }
  if (text.startsWith('+') || text.startsWith('-')) {
    const parsed = parseQuantity(text.slice(1));
    if (!parsed.ok || parsed.value === null) {
      return { ok: false, message: `“${text}” is not a change. Type +200 or -200 to add or take away, +5% or -5% to scale.` };
    }
    return { ok: true, entry: { kind: 'add', delta: text.startsWith('-') ? -parsed.value : parsed.value } };
  }
  const parsed = parseQuantity(text);
  if (!parsed.ok) return { ok: false, message: `${parsed.message} Or change it: +200, -200, +5%, -5%, =40000.` };
  return { ok: true, entry: parsed.value === null ? { kind: 'clear' } : { kind: 'set', value: parsed.value } };
}

/** Whether an entry changes the value in effect rather than replacing it. */
export function isRelative(entry: Entry): boolean {
  return entry.kind === 'add' || entry.kind === 'scale';
}

/**
 * The value an entry gives a cell whose value in effect is `base` (undefined when empty): null
 * clears; a percentage of an empty cell leaves it empty (undefined); `decimals` rounds what a
 * relative entry computes (whole cases stay whole).
 */
export function applyEntry(entry: Entry, base: number | undefined, decimals: number): number | null | undefined {
  const round = (value: number) => Math.round(value * 10 ** decimals) / 10 ** decimals;
  switch (entry.kind) {
    case 'set':
      return entry.value;
    case 'clear':
      return null;
    case 'add':
      return round((base ?? 0) + entry.delta);
    case 'scale':
      return base === undefined ? undefined : round(base * (1 + entry.percent / 100));
  }
}

/** How an entry reads in a change note: `+5%`, `-200`, `31,500`. */
export function describeEntry(entry: Entry, format: (value: number) => string): string {
  switch (entry.kind) {
    case 'set':
      return format(entry.value);
    case 'clear':
      return 'cleared';
    case 'add':
      return `${entry.delta < 0 ? '−' : '+'}${format(Math.abs(entry.delta))}`;
    case 'scale':
      return `${entry.percent < 0 ? '−' : '+'}${Math.abs(entry.percent)}%`;
  }
}

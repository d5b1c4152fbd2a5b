import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runForecastCommand } from './forecast-command.ts';

let dir: string;
let errors: string[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'accord-forecast-'));
  errors = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.join(' ')));
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function input(text: string): Promise<string> {
  const file = path.join(dir, 'train.csv');
  await writeFile(file, text);
  return file;
}

describe('accord forecast', () => {
  it('writes a header and one line of h forecasts per series, reading quoted and unquoted cells', async () => {
    const file = await input('W1,1,2,3,4,5,6,7,8,9,10\n"W2","5","5","5","5"\n\n');
    const out = path.join(dir, 'forecasts.csv');
    const code = await runForecastCommand([file, '--horizon', '3', '--season-length', '1', '--out', out, '--method', 'naive']);
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    expect(await readFile(out, 'utf8')).toBe('id,f1,f2,f3\nW1,10,10,10\nW2,5,5,5\n');
  });

  it('uses the automatic method by default', async () => {
    const file = await input('A,10,12,11,13,12,14,13,15,14,16,15,17\n');
    const out = path.join(dir, 'forecasts.csv');
    expect(await runForecastCommand([file, '--horizon', '2', '--out', out])).toBe(0);
    const [, row] = (await readFile(out, 'utf8')).trim().split('\n');
    const values = row!.split(',').slice(1).map(Number);
    expect(values).toHaveLength(2);
    values.forEach((value) => expect(value).toBeGreaterThan(10));
  });

  it('takes the season length from the bucket size by default (auto: 12 for months) and checks it on the data', async () => {
    // Two years of a summer-peaking series: with auto (monthly) the forecast keeps the season, with 1 it has none.
    const months = Array.from({ length: 24 }, (_, t) => Math.round(1000 * (1 + 0.4 * Math.sin((2 * Math.PI * (t - 3)) / 12))));
    const file = await input(`S,${months.join(',')}\nFLAT,${months.map(() => 500).join(',')}\n`);
    const read = async (out: string) =>
      (await readFile(out, 'utf8'))
        .trim()
        .split('\n')
        .slice(1)
        .map((row) => row.split(',').slice(1).map(Number));
    const auto = path.join(dir, 'auto.csv');
    expect(await runForecastCommand([file, '--horizon', '12', '--out', auto])).toBe(0);
    const [seasonal, flat] = await read(auto);
    expect(Math.max(...seasonal!) / Math.min(...seasonal!)).toBeGreaterThan(2);
    expect(new Set(flat)).toEqual(new Set([500]));
    // Without a season the forecast only follows the trend: it never turns.
    const monotone = (values: number[]) =>
      values.slice(2).every((value, i) => (value - values[i + 1]!) * (values[i + 1]! - values[i]!) >= 0);
    expect(monotone(seasonal!)).toBe(false);
    const none = path.join(dir, 'none.csv');
    expect(await runForecastCommand([file, '--horizon', '12', '--season-length', '1', '--out', none])).toBe(0);
    expect(monotone((await read(none))[0]!)).toBe(true);
    // Weekly buckets: 52 weeks a season, which 24 values cannot show, so no season either.
    const weekly = path.join(dir, 'weekly.csv');
    expect(await runForecastCommand([file, '--horizon', '12', '--bucket', 'week', '--out', weekly])).toBe(0);
    expect(monotone((await read(weekly))[0]!)).toBe(true);
  });

  it('names the line and value of a non-numeric cell and exits with 2', async () => {
    const file = await input('W1,1,2,3\nW3,4,abc,6\n');
    expect(await runForecastCommand([file, '--horizon', '2', '--out', path.join(dir, 'o.csv')])).toBe(2);
    expect(errors.join('\n')).toContain('line 2 (W3), value 2: "abc" is not a number');
  });

  it('rejects an empty series with its line number', async () => {
    const file = await input('W1,1,2,3\nW5,,\n');
    expect(await runForecastCommand([file, '--horizon', '2', '--out', path.join(dir, 'o.csv')])).toBe(2);
    expect(errors.join('\n')).toContain('line 2 (W5): the series has no values');
  });

  it('reports a missing input file without a stack trace', async () => {
    const missing = path.join(dir, 'nope.csv');
    expect(await runForecastCommand([missing, '--horizon', '2', '--out', path.join(dir, 'o.csv')])).toBe(2);
    expect(errors.join('\n')).toContain(`input file ${missing} does not exist`);
    expect(errors.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('rejects bad flags: a zero horizon, an unknown method, an unknown option and a missing --out', async () => {
    const file = await input('W1,1,2,3\n');
    const out = path.join(dir, 'o.csv');
    expect(await runForecastCommand([file, '--horizon', '2', '--out', out, '--season-length', 'yearly'])).toBe(2);
    expect(await runForecastCommand([file, '--horizon', '2', '--out', out, '--bucket', 'fortnight'])).toBe(2);
    expect(errors.join('\n')).toContain('--season-length must be auto or a positive whole number, got "yearly"');
    expect(errors.join('\n')).toContain('unknown --bucket "fortnight"');
    expect(await runForecastCommand([file, '--horizon', '0', '--out', out])).toBe(2);
    expect(await runForecastCommand([file, '--horizon', '2', '--out', out, '--method', 'prophet'])).toBe(2);
    expect(await runForecastCommand([file, '--horizon', '2', '--out', out, '--colour', 'red'])).toBe(2);
    expect(await runForecastCommand([file, '--horizon', '2'])).toBe(2);
    const text = errors.join('\n');
    expect(text).toContain('--horizon must be a positive whole number, got "0"');
    expect(text).toContain('unknown --method "prophet"');
    expect(text).toContain("Unknown option '--colour'");
    expect(text).toContain('--out <forecasts.csv> is required');
  });
});

import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  forecast,
  isBucketSize,
  isMethodName,
  methodNames,
  seasonLengthFor,
  SEASON_LENGTH_BY_BUCKET,
  type BucketSize,
  type MethodName,
} from '@accord/forecast';

const BUCKETS = Object.keys(SEASON_LENGTH_BY_BUCKET).join('|');
const USAGE = `Usage: accord forecast <train.csv> --horizon <h> --out <forecasts.csv> [--season-length auto|<m>] [--bucket ${BUCKETS}] [--method auto|${methodNames.join('|')}]

  Reads one series a line in the M4 layout (id,v1,v2,… without a header; values may be quoted) and writes
  a header line id,f1,…,fh followed by one line of forecasts per series. --season-length defaults to auto:
  the yearly cycle of --bucket (month: 12, week: 52, quarter: 4, day: 7, year: 1; default month), then
  checked on each series' data (a series without a seasonal pattern beyond noise gets no season).`;

/** An input or usage problem a person can fix; it ends the command with exit code 2. */
class ForecastInputError extends Error {}

interface CommandOptions {
  input: string;
  out: string;
  horizon: number;
  seasonLength: number;
  /** Where the season length came from: `auto` from the bucket size, or the flag. */
  seasonLengthFrom: BucketSize | 'flag';
  method: MethodName | 'auto';
}

/** One series read from the input file, with the line it came from for error messages. */
interface InputSeries {
  line: number;
  id: string;
  values: number[];
}

/**
 * `accord forecast`: forecasts every series of an M4-layout CSV file and writes the forecasts as CSV. Returns the
 * exit code: 0 on success, 2 for bad flags or bad input (with a message naming the line), 1 for anything unexpected.
 * @example await runForecastCommand(['train.csv', '--horizon', '13', '--season-length', '1', '--out', 'forecasts.csv'])
 */
export async function runForecastCommand(args: string[]): Promise<number> {
  try {
    const options = parseOptions(args);
    const series = parseSeriesCsv(await readInput(options.input), options.input);
    const lines = [['id', ...Array.from({ length: options.horizon }, (_, i) => `f${i + 1}`)].join(',')];
    let seasonal = 0;
    for (const { line, id, values } of series) {
      try {
        const result = forecast(values, { horizon: options.horizon, seasonLength: options.seasonLength, method: options.method });
        if (result.seasonallyAdjusted) seasonal++;
        lines.push([csvCell(id), ...result.forecast.map(formatNumber)].join(','));
      } catch (e: unknown) {
        throw new ForecastInputError(`${options.input}, line ${line} (${id}): ${messageOf(e)}`);
      }
    }
    await writeFile(options.out, `${lines.join('\n')}\n`).catch((e: unknown) => {
      throw new ForecastInputError(`cannot write ${options.out}: ${messageOf(e)}`);
    });
    const season =
      options.seasonLengthFrom === 'flag'
        ? `season length ${options.seasonLength}`
        : `season length ${options.seasonLength} (auto, ${options.seasonLengthFrom} buckets)`;
    const found = options.seasonLength > 1 ? `; ${seasonal} of them seasonal on their data` : '';
    console.log(
      `Forecast ${series.length} series ${options.horizon} steps ahead (method ${options.method}, ${season}${found}) into ${options.out}.`,
    );
    return 0;
  } catch (e: unknown) {
    if (e instanceof ForecastInputError) {
      console.error(`accord forecast: ${e.message}`);
      return 2;
    }
    console.error(`accord forecast: unexpected error: ${messageOf(e)}`);
    return 1;
  }
}

function parseOptions(args: string[]): CommandOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        horizon: { type: 'string' },
        'season-length': { type: 'string' },
        bucket: { type: 'string' },
        out: { type: 'string' },
        method: { type: 'string' },
      },
    });
  } catch (e: unknown) {
    throw new ForecastInputError(`${messageOf(e)}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new ForecastInputError(`expected exactly one input file, got ${positionals.length}.\n${USAGE}`);
  }
  if (values.out === undefined || values.out === '') throw new ForecastInputError(`--out <forecasts.csv> is required.\n${USAGE}`);
  const method = values.method ?? 'auto';
  if (!isMethodName(method)) throw new ForecastInputError(`unknown --method "${method}"; choose auto or one of ${methodNames.join(', ')}.`);
  const bucket = values.bucket ?? 'month';
  if (!isBucketSize(bucket)) throw new ForecastInputError(`unknown --bucket "${bucket}"; choose one of ${BUCKETS.replaceAll('|', ', ')}.`);
  const seasonFlag = values['season-length'] ?? 'auto';
  const auto = seasonFlag.trim().toLowerCase() === 'auto';
  return {
    input: positionals[0],
    out: values.out,
    horizon: positiveInteger(values.horizon, '--horizon', undefined),
    seasonLength: auto
      ? seasonLengthFor(bucket)
      : positiveInteger(seasonFlag, '--season-length', undefined, 'auto or a positive whole number'),
    seasonLengthFrom: auto ? bucket : 'flag',
    method,
  };
}

function positiveInteger(
  text: string | undefined,
  flag: string,
  fallback: number | undefined,
  expected = 'a positive whole number',
): number {
  if (text === undefined) {
    if (fallback !== undefined) return fallback;
    throw new ForecastInputError(`${flag} <n> is required.\n${USAGE}`);
  }
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new ForecastInputError(`${flag} must be ${expected}, got "${text}".`);
  }
  return value;
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e: unknown) {
    const code = e instanceof Error && 'code' in e ? e.code : undefined;
    throw new ForecastInputError(code === 'ENOENT' ? `input file ${file} does not exist.` : `cannot read ${file}: ${messageOf(e)}`);
  }
}

/**
 * Parses the M4 layout: `id,v1,v2,…` a line, optionally quoted cells, trailing empty cells allowed (the original
 * M4 files pad short series), blank lines ignored, and a `V1,V2,…` header skipped as in the original files.
 */
export function parseSeriesCsv(text: string, file: string): InputSeries[] {
  const result: InputSeries[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    const cells = splitCsvLine(raw, file, line);
    if (index === 0 && cells.every((cell) => /^V\d+$/i.test(cell))) return;
    const [id = '', ...valueCells] = cells;
    if (id === '') throw new ForecastInputError(`${file}, line ${line}: the first cell (the series id) is empty.`);
    while (valueCells.length > 0 && valueCells[valueCells.length - 1] === '') valueCells.pop();
    if (valueCells.length === 0) throw new ForecastInputError(`${file}, line ${line} (${id}): the series has no values.`);
    const values = valueCells.map((cell, position) => {
      const value = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(value)) {
        throw new ForecastInputError(`${file}, line ${line} (${id}), value ${position + 1}: "${cell}" is not a number.`);
      }
      return value;
    });
    result.push({ line, id, values });
  });
  if (result.length === 0) throw new ForecastInputError(`${file} holds no series.`);
  return result;
}

/** Splits one CSV line into cells, removing the quotes of quoted cells ("" inside quotes is a quote). */
function splitCsvLine(raw: string, file: string, line: number): string[] {
  const cells: string[] = [];
  let i = 0;
  while (i <= raw.length) {
    if (raw[i] === '"') {
      let cell = '';
      i++;
      for (;;) {
        if (i >= raw.length) throw new ForecastInputError(`${file}, line ${line}: a quoted cell is not closed.`);
        if (raw[i] === '"') {
          if (raw[i + 1] === '"') {
            cell += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        cell += raw[i];
        i++;
      }
      cells.push(cell.trim());
      if (i < raw.length && raw[i] !== ',') throw new ForecastInputError(`${file}, line ${line}: unexpected text after a quoted cell.`);
      i++;
    } else {
      const comma = raw.indexOf(',', i);
      const end = comma < 0 ? raw.length : comma;
      cells.push(raw.slice(i, end).trim());
      i = end + 1;
    }
  }
  return cells;
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Up to six decimals, without trailing zeros: enough for any demand unit, short enough to read. */
function formatNumber(value: number): string {
  return String(Number(value.toFixed(6)));
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

// Forecast benchmark: accuracy on the M4 weekly series (sMAPE, MASE, OWA against Naive2, as M4 scores them)
// and the time to forecast 1,000 synthetic monthly series. Run from the repository root: `pnpm bench:forecast`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forecast, mase, smape, type MethodName } from '@accord/forecast';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = path.resolve(repoRoot, '../shared/data/m4-weekly');

// Scoring rules of the data set's README: h = 13 and m = 1 for MASE and Naive2.
const HORIZON = 13;
const MASE_LAG = 1;
// Weeks per year, the only seasonal period worth trying on weekly data.
const WEEKLY_SEASON = 52;

interface Series {
  id: string;
  values: number[];
}

function readSeries(file: string): Series[] {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [id = '', ...cells] = line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
      return { id, values: cells.filter((cell) => cell !== '').map(Number) };
    });
}

type Candidate = MethodName | 'auto';

interface Score {
  smape: number;
  mase: number;
}

/** Mean sMAPE and MASE of one method over every series, forecasting `actuals` from `histories`. */
function score(histories: number[][], actuals: number[][], method: Candidate, seasonLength: number): Score {
  let smapeSum = 0;
  let maseSum = 0;
  histories.forEach((history, i) => {
    const actual = actuals[i] ?? [];
    const predicted = forecast(history, { horizon: actual.length, seasonLength, method }).forecast;
    smapeSum += smape(actual, predicted);
    maseSum += mase(actual, predicted, history, MASE_LAG);
  });
  return { smape: smapeSum / histories.length, mase: maseSum / histories.length };
}

/** OWA as defined by M4: the mean of the sMAPE and MASE ratios to Naive2. */
function owa(method: Score, naive2: Score): number {
  return (method.smape / naive2.smape + method.mase / naive2.mase) / 2;
}

const methods: Candidate[] = ['naive2', 'ses', 'holt', 'damped', 'theta', 'comb', 'ets', 'ets-damped', 'auto'];

function table(title: string, histories: number[][], actuals: number[][], seasonLength: number): Map<Candidate, number> {
  const scores = new Map(methods.map((method) => [method, score(histories, actuals, method, seasonLength)] as const));
  const naive2 = scores.get('naive2') ?? { smape: NaN, mase: NaN };
  console.log(`\n${title}`);
  console.log(`${'method'.padEnd(10)}${'sMAPE'.padStart(9)}${'MASE'.padStart(9)}${'OWA'.padStart(9)}`);
  const owas = new Map<Candidate, number>();
  for (const [method, result] of scores) {
    const value = owa(result, naive2);
    owas.set(method, value);
    console.log(
      `${method.padEnd(10)}${result.smape.toFixed(3).padStart(9)}${result.mase.toFixed(3).padStart(9)}${value.toFixed(3).padStart(9)}`,
    );
  }
  return owas;
}

const train = readSeries(path.join(dataDir, 'train.csv'));
const test = readSeries(path.join(dataDir, 'test.csv'));
const testById = new Map(test.map((series) => [series.id, series.values]));
const histories = train.map((series) => series.values);
const actuals = train.map((series) => testById.get(series.id) ?? []);
console.log(`M4 weekly: ${train.length} series, h = ${HORIZON}`);

// Validation split inside the training data: fit on all but the last 13 weeks, score on them. The season
// length and any other choice are made here, never on the test set.
const validationHistories = histories.map((values) => values.slice(0, -HORIZON));
const validationActuals = histories.map((values) => values.slice(-HORIZON));
const validationOwa = new Map<number, number>();
for (const seasonLength of [1, WEEKLY_SEASON]) {
  const owas = table(
    `Validation (last ${HORIZON} weeks of train), season length ${seasonLength}`,
    validationHistories,
    validationActuals,
    seasonLength,
  );
  validationOwa.set(seasonLength, owas.get('auto') ?? NaN);
}
const chosenSeason = (validationOwa.get(WEEKLY_SEASON) ?? Infinity) < (validationOwa.get(1) ?? Infinity) ? WEEKLY_SEASON : 1;
console.log(`\nSeason length chosen on validation: ${chosenSeason}`);
const testOwa = table(`Test (M4 hold-out), season length ${chosenSeason}`, histories, actuals, chosenSeason);

// Speed: 1,000 synthetic monthly series of 48 months (level, trend, yearly season, noise) from a seeded generator.
function generator(seed: number): () => number {
  // Park–Miller minimal standard LCG: deterministic and good enough for benchmark data.
  let state = seed;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}
const random = generator(20_240_601);
const synthetic = Array.from({ length: 1000 }, () => {
  const level = 100 + 900 * random();
  const slope = (random() - 0.5) * 4;
  const amplitude = 0.3 * random();
  const noise = 0.1 * random();
  return Array.from(
    { length: 48 },
    (_, t) => level * (1 + amplitude * Math.sin((2 * Math.PI * t) / 12)) + slope * t + level * noise * (random() - 0.5),
  );
});
const timings: number[] = [];
for (let run = 0; run < 5; run++) {
  const started = performance.now();
  // M4's monthly horizon.
  for (const series of synthetic) forecast(series, { horizon: 18, seasonLength: 12 });
  timings.push(performance.now() - started);
}
timings.sort((a, b) => a - b);
const medianMs = timings[2] ?? NaN;
console.log(
  `\n1,000 × 48 monthly series, auto, h = 18: runs ${timings.map((ms) => ms.toFixed(0)).join(', ')} ms; median ${medianMs.toFixed(0)} ms`,
);
console.log(`METRIC owa ${(testOwa.get('auto') ?? NaN).toFixed(4)}`);
console.log(`METRIC forecast_1000x48_ms ${medianMs.toFixed(0)}`);

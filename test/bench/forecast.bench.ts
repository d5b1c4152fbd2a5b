// Forecast benchmark: accuracy on the M4 weekly and M3 monthly series (sMAPE, MASE, OWA against Naive2, as M4
// scores them), group seasonal indices on seeded synthetic product families, and the time to forecast 1,000
// synthetic monthly series. Run from the repository root: `pnpm bench:forecast`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fitMethod, forecast, forecastGroup, mase, methodNames, smape, type MethodName } from '@accord/forecast';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataRoot = path.resolve(repoRoot, '../shared/data');

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

/** A forecaster: `auto`, a method of the package, or a reference computed otherwise (named by its row). */
interface Candidate {
  name: string;
  run: (history: number[], horizon: number) => number[];
}

interface Score {
  smape: number;
  mase: number;
}

/** Histories, what follows them, and the scoring rules of one data set. */
interface Split {
  histories: number[][];
  actuals: number[][];
  /** Lag of the MASE scale (M4: 1 for weekly data, 12 for monthly). */
  maseLag: number;
}

const byMethod = (method: MethodName | 'auto', seasonLength: number): Candidate => ({
  name: method,
  run: (history, horizon) => forecast(history, { horizon, seasonLength, method }).forecast,
});

/** Mean sMAPE and MASE of one candidate over every series of a split. */
function score(split: Split, candidate: Candidate): Score {
  let smapeSum = 0;
  let maseSum = 0;
  split.histories.forEach((history, i) => {
    const actual = split.actuals[i] ?? [];
    const predicted = candidate.run(history, actual.length).map((value) => Math.max(0, value));
    smapeSum += smape(actual, predicted);
    maseSum += mase(actual, predicted, history, split.maseLag);
  });
  return { smape: smapeSum / split.histories.length, mase: maseSum / split.histories.length };
}

/** OWA as defined by M4: the mean of the sMAPE and MASE ratios to Naive2. */
function owa(result: Score, naive2: Score): number {
  return (result.smape / naive2.smape + result.mase / naive2.mase) / 2;
}

/** Scores every candidate (the first must be Naive2), prints the table and returns sMAPE, MASE and OWA by name. */
function table(title: string, split: Split, candidates: Candidate[]): Map<string, Score & { owa: number }> {
  const scores = candidates.map((candidate) => [candidate.name, score(split, candidate)] as const);
  const naive2 = scores[0]?.[1] ?? { smape: NaN, mase: NaN };
  const width = Math.max(10, ...candidates.map((candidate) => candidate.name.length + 2));
  console.log(`\n${title}`);
  console.log(`${'method'.padEnd(width)}${'sMAPE'.padStart(9)}${'MASE'.padStart(9)}${'OWA'.padStart(9)}`);
  const result = new Map<string, Score & { owa: number }>();
  for (const [name, value] of scores) {
    const ratio = owa(value, naive2);
    result.set(name, { ...value, owa: ratio });
    console.log(
      `${name.padEnd(width)}${value.smape.toFixed(3).padStart(9)}${value.mase.toFixed(3).padStart(9)}${ratio.toFixed(3).padStart(9)}`,
    );
  }
  return result;
}

const owaOf = (scores: Map<string, { owa: number }>, name: string): number => scores.get(name)?.owa ?? NaN;

// The smooth-demand combinations `auto` could route to; the package's choice (ets-damped-theta) is the one with
// the lowest mean validation OWA over both data sets, which this benchmark prints, never the test sets.
const COMBINATIONS: MethodName[] = ['ets-damped-theta', 'ets-damped', 'comb', 'theta', 'ets'];

// ---------------------------------------------------------------- M4 weekly
// Scoring rules of the data set's README: h = 13 and m = 1 for MASE and Naive2.
const WEEKLY_HORIZON = 13;
// Weeks per year, the only seasonal period worth trying on weekly data.
const WEEKLY_SEASON = 52;
const weeklyTrain = readSeries(path.join(dataRoot, 'm4-weekly/train.csv'));
const weeklyTest = new Map(readSeries(path.join(dataRoot, 'm4-weekly/test.csv')).map((series) => [series.id, series.values]));
const weeklyHistories = weeklyTrain.map((series) => series.values);
console.log(`M4 weekly: ${weeklyTrain.length} series, h = ${WEEKLY_HORIZON}`);
const weeklyMethods: (MethodName | 'auto')[] = [
  'naive2',
  'ses',
  'holt',
  'damped',
  'theta',
  'comb',
  'ets',
  'ets-damped',
  'ets-damped-theta',
  'auto',
];

// Validation split inside the training data: fit on all but the last 13 weeks, score on them. The season
// length and any other choice are made here, never on the test set.
const weeklyValidation: Split = {
  histories: weeklyHistories.map((values) => values.slice(0, -WEEKLY_HORIZON)),
  actuals: weeklyHistories.map((values) => values.slice(-WEEKLY_HORIZON)),
  maseLag: 1,
};
const weeklyValidationOwa = new Map<number, Map<string, { owa: number }>>();
for (const seasonLength of [1, WEEKLY_SEASON]) {
  weeklyValidationOwa.set(
    seasonLength,
    table(
      `M4 weekly validation (last ${WEEKLY_HORIZON} weeks of train), season length ${seasonLength}`,
      weeklyValidation,
      weeklyMethods.map((method) => byMethod(method, seasonLength)),
    ),
  );
}
const chosenSeason =
  owaOf(weeklyValidationOwa.get(WEEKLY_SEASON)!, 'auto') < owaOf(weeklyValidationOwa.get(1)!, 'auto') ? WEEKLY_SEASON : 1;
console.log(`\nSeason length chosen on validation: ${chosenSeason}`);
const weeklyScores = table(
  `M4 weekly test (M4 hold-out), season length ${chosenSeason}`,
  { histories: weeklyHistories, actuals: weeklyTrain.map((series) => weeklyTest.get(series.id) ?? []), maseLag: 1 },
  weeklyMethods.map((method) => byMethod(method, chosenSeason)),
);

// ---------------------------------------------------------------- M3 monthly
// Scoring rules of the data set's README: h = 18, m = 12 for MASE and Naive2; the short setting keeps the last
// 24 months of each training series.
const MONTHLY_HORIZON = 18;
const MONTHLY_SEASON = 12;
const SHORT_MONTHS = 24;
const monthlyTrain = readSeries(path.join(dataRoot, 'm3-monthly/train.csv'));
const monthlyTest = new Map(readSeries(path.join(dataRoot, 'm3-monthly/test.csv')).map((series) => [series.id, series.values]));
const monthlyHistories = monthlyTrain.map((series) => series.values);
const monthlyActuals = monthlyTrain.map((series) => monthlyTest.get(series.id) ?? []);
console.log(`\nM3 monthly: ${monthlyTrain.length} series, h = ${MONTHLY_HORIZON}, m = ${MONTHLY_SEASON}`);

// Every method of the package, `auto`, and two references as M3 and M4 define them: Theta and SES on the
// classical decomposition with the 90 % seasonality test (the package's methods use the shrunk profile).
const monthlyCandidates: Candidate[] = [
  byMethod('naive2', MONTHLY_SEASON),
  ...methodNames.filter((method) => method !== 'naive2').map((method) => byMethod(method, MONTHLY_SEASON)),
  byMethod('auto', MONTHLY_SEASON),
  {
    name: 'theta, classical (M3)',
    run: (history, horizon) => fitMethod('theta', history, horizon, MONTHLY_SEASON).forecast,
  },
  {
    name: 'ses, classical (M4)',
    run: (history, horizon) => fitMethod('ses', history, horizon, MONTHLY_SEASON).forecast,
  },
];
const shortOf = (histories: number[][]) => histories.map((values) => values.slice(-SHORT_MONTHS));
const monthlyValidation: Split = {
  histories: monthlyHistories.map((values) => values.slice(0, -MONTHLY_HORIZON)),
  actuals: monthlyHistories.map((values) => values.slice(-MONTHLY_HORIZON)),
  maseLag: MONTHLY_SEASON,
};
const validationCandidates = [byMethod('naive2', MONTHLY_SEASON), ...COMBINATIONS.map((method) => byMethod(method, MONTHLY_SEASON))];
const monthlyValidationScores = table(
  `M3 monthly validation (last ${MONTHLY_HORIZON} months of train), full history`,
  monthlyValidation,
  validationCandidates,
);
table(
  `M3 monthly validation, last ${SHORT_MONTHS} months before them`,
  { ...monthlyValidation, histories: shortOf(monthlyValidation.histories) },
  validationCandidates,
);
console.log('\nChoice of the smooth-demand combination: mean validation OWA, M3 monthly (full) and M4 weekly (m = 52)');
const ranking = COMBINATIONS.map((method) => ({
  method,
  monthly: owaOf(monthlyValidationScores, method),
  weekly: owaOf(weeklyValidationOwa.get(WEEKLY_SEASON)!, method),
}))
  .map((row) => ({ ...row, mean: (row.monthly + row.weekly) / 2 }))
  .sort((a, b) => a.mean - b.mean);
for (const row of ranking) {
  console.log(
    `${row.method.padEnd(18)}${row.monthly.toFixed(3).padStart(8)}${row.weekly.toFixed(3).padStart(8)}${row.mean.toFixed(3).padStart(8)}`,
  );
}

const monthlyFull = table(
  `M3 monthly test, full history`,
  { histories: monthlyHistories, actuals: monthlyActuals, maseLag: 12 },
  monthlyCandidates,
);
const monthlyShort = table(
  `M3 monthly test, last ${SHORT_MONTHS} months of history`,
  { histories: shortOf(monthlyHistories), actuals: monthlyActuals, maseLag: 12 },
  monthlyCandidates,
);

// ---------------------------------------------------------------- Families
// Seeded synthetic product families: each shares one seasonal profile (a yearly wave with a random phase and
// some second harmonic, amplitude ±10–50 %; one family in five has none) while its SKUs have their own level
// (log-normal around 1,000), trend (−15 % to +25 % a year) and noise (CV 5–35 %). Forecast 18 months from 24
// (or 48) months of history, per SKU on its own and with the families' pooled profiles; WMAPE over all SKUs.
function generator(seed: number): () => number {
  // Park–Miller minimal standard LCG: deterministic and good enough for benchmark data.
  let state = seed;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}

interface Sku {
  family: string;
  history: number[];
  future: number[];
}

function families(seed: number, historyMonths: number): Sku[] {
  const random = generator(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const skus: Sku[] = [];
  for (let f = 0; f < 40; f++) {
    const amplitude = random() < 0.2 ? 0 : 0.1 + 0.4 * random();
    const [phase, phase2, harmonic] = [12 * random(), 12 * random(), 0.5 * random()];
    const wave = Array.from(
      { length: 12 },
      (_, p) => 1 + amplitude * (Math.sin((2 * Math.PI * (p - phase)) / 12) + harmonic * Math.sin((4 * Math.PI * (p - phase2)) / 12)),
    );
    const average = wave.reduce((a, b) => a + b, 0) / 12;
    const size = 4 + Math.floor(9 * random());
    for (let k = 0; k < size; k++) {
      const level = 1000 * Math.exp(normal());
      const growthPerYear = -0.15 + 0.4 * random();
      const cv = 0.05 + 0.3 * random();
      const months = Array.from({ length: historyMonths + MONTHLY_HORIZON }, (_, t) =>
        Math.max(0, level * (1 + (growthPerYear * t) / 12) * ((wave[t % 12] ?? 1) / average) * (1 + cv * normal())),
      );
      skus.push({ family: `S${seed}-F${f}`, history: months.slice(0, historyMonths), future: months.slice(historyMonths) });
    }
  }
  return skus;
}

/** WMAPE in percent over every SKU and month. */
function wmapeOf(skus: Sku[], forecasts: number[][]): number {
  let error = 0;
  let total = 0;
  skus.forEach((sku, i) =>
    sku.future.forEach((actual, h) => {
      error += Math.abs(actual - (forecasts[i]?.[h] ?? 0));
      total += Math.abs(actual);
    }),
  );
  return (100 * error) / total;
}

const FAMILY_SEEDS = [7, 11, 13];
const pooledRun = (skus: Sku[], level?: number) =>
  forecastGroup(
    skus.map((sku) => ({ values: sku.history, start: 0, group: sku.family })),
    { horizon: MONTHLY_HORIZON, seasonLength: MONTHLY_SEASON, ...(level === undefined ? {} : { profileLevel: level }) },
  );
console.log(`\nFamilies: ${FAMILY_SEEDS.length} seeded sets of 40 families, h = ${MONTHLY_HORIZON}; WMAPE % over all SKUs`);
console.log(
  `${'history'.padEnd(10)}${'SKUs'.padStart(6)}${'classical'.padStart(11)}${'per SKU'.padStart(9)}${'pooled'.padStart(9)}${'gain'.padStart(9)}`,
);
let pooledGain = NaN;
for (const historyMonths of [24, 48]) {
  const skus = FAMILY_SEEDS.flatMap((seed) => families(seed * 1000 + historyMonths, historyMonths));
  // Before this change: ETS + damped with the classical seasonality test, which needs three years.
  const classical = skus.map((sku) => fitMethod('ets-damped', sku.history, MONTHLY_HORIZON, MONTHLY_SEASON).forecast);
  const perSku = skus.map((sku) => forecast(sku.history, { horizon: MONTHLY_HORIZON, seasonLength: MONTHLY_SEASON }).forecast);
  const pooled = pooledRun(skus).results.map((result) => result.forecast);
  const [c, p, g] = [wmapeOf(skus, classical), wmapeOf(skus, perSku), wmapeOf(skus, pooled)];
  const gain = (p - g) / p;
  if (historyMonths === 24) pooledGain = gain;
  console.log(
    `${`${historyMonths} months`.padEnd(10)}${String(skus.length).padStart(6)}${c.toFixed(2).padStart(11)}${p.toFixed(2).padStart(9)}${g.toFixed(2).padStart(9)}${`${(100 * gain).toFixed(1)} %`.padStart(9)}`,
  );
}
{
  // How the pooled profiles' test level matters (24 months): families found seasonal and the WMAPE.
  const skus = FAMILY_SEEDS.flatMap((seed) => families(seed * 1000 + 24, 24));
  console.log('Pooled-profile test level, 24 months: level, significant families, pooled WMAPE %');
  for (const level of [0.001, 0.01, 0.05, 0.1]) {
    const run = pooledRun(skus, level);
    const significant = [...run.profiles.groups.values()].filter((profile) => profile?.significant).length;
    console.log(
      `${String(level).padEnd(8)}${`${significant}/${run.profiles.groups.size}`.padStart(8)}${wmapeOf(
        skus,
        run.results.map((result) => result.forecast),
      )
        .toFixed(2)
        .padStart(9)}`,
    );
  }
}

// ---------------------------------------------------------------- Speed
// 1,000 synthetic monthly series of 48 months (level, trend, yearly season, noise) from a seeded generator.
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
  for (const series of synthetic) forecast(series, { horizon: MONTHLY_HORIZON, seasonLength: MONTHLY_SEASON });
  timings.push(performance.now() - started);
}
timings.sort((a, b) => a - b);
const medianMs = timings[2] ?? NaN;
console.log(
  `\n1,000 × 48 monthly series, auto, h = 18: runs ${timings.map((ms) => ms.toFixed(0)).join(', ')} ms; median ${medianMs.toFixed(0)} ms`,
);

const full = monthlyFull.get('auto');
console.log(`METRIC owa ${owaOf(weeklyScores, 'auto').toFixed(4)}`);
console.log(`METRIC forecast_1000x48_ms ${medianMs.toFixed(0)}`);
console.log(`METRIC m3_smape ${(full?.smape ?? NaN).toFixed(3)}`);
console.log(`METRIC m3_owa ${(full?.owa ?? NaN).toFixed(4)}`);
console.log(`METRIC m3_short_smape ${(monthlyShort.get('auto')?.smape ?? NaN).toFixed(3)}`);
console.log(`METRIC m3_short_owa ${owaOf(monthlyShort, 'auto').toFixed(4)}`);
console.log(`METRIC pooled_wmape_gain ${pooledGain.toFixed(4)}`);

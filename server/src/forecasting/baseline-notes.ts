import type { BaselineSeasonFit, ForecastShape } from '@accord/protocol';

// How a baseline fit reads to a planner: the forecast's shape, its trend without the season, and a
// one-sentence note. Presentation rules, kept apart from the statistics (@accord/forecast).

// A forecast whose values, once a straight line is taken out, still swing by more than a tenth of
// their level shows a season a planner would see on a chart; one whose line moves more than 5 % over
// the horizon a trend. Below both it reads as flat.
const SEASONAL_SWING = 0.1;
const TREND_CHANGE = 0.05;
// A trend whose last step is under 60 % of its first is said to flatten (a damped trend).
const FLATTENING = 0.6;
// Under ±1 % a year a trend is not worth a word.
const NO_TREND = 0.01;

/** Least-squares line through (0, y₀) … (n−1, yₙ₋₁). */
function line(values: readonly number[]): { intercept: number; slope: number } {
  const n = values.length;
  const meanT = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let covariance = 0;
  let varianceT = 0;
  values.forEach((value, t) => {
    covariance += (t - meanT) * (value - meanY);
    varianceT += (t - meanT) ** 2;
  });
  const slope = varianceT > 0 ? covariance / varianceT : 0;
  return { intercept: meanY - slope * meanT, slope };
}

/**
 * The shape of a forecast as a planner sees it: `seasonal` when it still swings by more than 10 % of its
 * level around a straight line, `trend` when that line moves by more than 5 %, else `flat`. Null without values.
 */
export function forecastShape(values: readonly (number | null | undefined)[]): ForecastShape | null {
  const known = values.filter((value): value is number => typeof value === 'number' && Number.isFinite(value));
  if (known.length === 0) return null;
  const level = known.reduce((a, b) => a + b, 0) / known.length;
  if (known.length < 3 || level <= 0) return 'flat';
  const { intercept, slope } = line(known);
  const residuals = known.map((value, t) => value - (intercept + slope * t));
  if ((Math.max(...residuals) - Math.min(...residuals)) / level > SEASONAL_SWING) return 'seasonal';
  return Math.abs(slope * (known.length - 1)) / level > TREND_CHANGE ? 'trend' : 'flat';
}

/**
 * The trend of a forecast without its season: the relative change of the first `periodsPerYear` steps
 * (a year, or the horizon when shorter), per year, and whether its last step is much smaller than its
 * first. `indices` are by calendar position, `firstPosition` the calendar position of the first step.
 */
export function trendOf(
  forecast: readonly number[],
  indices: readonly number[] | null,
  firstPosition: number,
  periodsPerYear: number,
): { perYear: number; flattening: boolean } {
  const m = indices?.length ?? 1;
  const level = forecast.map((value, h) => value / (indices?.[(firstPosition + h) % m] || 1));
  const steps = Math.min(Math.max(2, periodsPerYear), level.length);
  const first = level[0] ?? 0;
  if (steps < 2 || !(first > 0)) return { perYear: 0, flattening: false };
  const perYear = (((level[steps - 1] ?? first) - first) / first) * (periodsPerYear / (steps - 1));
  const firstStep = (level[1] ?? first) - first;
  const lastStep = (level[level.length - 1] ?? 0) - (level[level.length - 2] ?? 0);
  const flattening = Math.abs(firstStep) > 0 && Math.abs(lastStep) < FLATTENING * Math.abs(firstStep);
  return { perYear: Number.isFinite(perYear) ? perYear : 0, flattening };
}

/** What a fit note needs beyond the fit's numbers. */
export interface NoteInput {
  season: BaselineSeasonFit;
  demandClass: string;
  trend: { perYear: number; flattening: boolean };
  historyBuckets: number;
  /** Periods with sales in the history, for intermittent demand. */
  periodsWithDemand: number;
  /** `month` or `week`. */
  bucket: string;
  /** Hold-out WMAPE in percent and its periods, when there was one. */
  holdOut: { periods: number; wmape: number | null } | null;
}

const percent = (share: number, digits = 0) => `${(share * 100).toFixed(digits)} %`;

/** The season part of a note, in words. */
function seasonWords(input: NoteInput): string {
  const { season, historyBuckets, bucket } = input;
  const units = `${bucket}s`;
  const pooled = season.pooled;
  const whose = pooled?.from === 'family' ? `the ${pooled.name} family` : 'the whole plan';
  const whoseProfile = pooled?.from === 'family' ? `the ${pooled.name} family's` : "the whole plan's";
  const compared = season.holdOut ? `the last ${season.holdOut.periods} ${units}` : `its last ${units}`;
  switch (season.reason) {
    case 'pooled-short':
      return `seasonal profile from ${whose} (${historyBuckets} ${units} are too few for a profile of its own)`;
    case 'pooled': {
      const own = season.ownWeight ?? 0;
      return own >= 0.05
        ? `seasonal profile from ${whose}, ${percent(own)} from its own ${historyBuckets} ${units}`
        : `seasonal profile from ${whose}`;
    }
    case 'pooled-better-on-hold-out':
      return `seasonal profile from ${whose} (it forecast ${compared} better than its own)`;
    case 'own-better-on-hold-out':
      return `its own seasonal profile (it forecast ${compared} better than ${whoseProfile})`;
    case 'own':
      return `seasonal profile from its own ${historyBuckets} ${units}`;
    case 'not-seasonal':
      return `no seasonal pattern in its ${historyBuckets} ${units} beyond noise`;
    case 'too-short':
      return `no seasonal profile: ${historyBuckets} ${units} are too few and no family profile to borrow`;
    case 'intermittent':
      return `intermittent demand (sales in ${input.periodsWithDemand} of ${historyBuckets} ${units}): an average rate, no season`;
    case 'negative-values':
      return 'no seasonal profile (the history has negative values)';
    default:
      return 'no seasonal profile';
  }
}

/**
 * A fit in a planner's words, e.g. "Seasonal profile from the Sparkling Water family; trend +3 % a year,
 * damped; error over the last 12 months 8.4 %." The numbers behind it are in the fit itself.
 */
export function fitNote(input: NoteInput): string {
  const parts = [seasonWords(input)];
  if (input.season.reason !== 'intermittent') {
    const { perYear, flattening } = input.trend;
    if (Math.abs(perYear) < NO_TREND) parts.push('no trend');
    // One decimal under 10 % (a planner tells 3.5 % from 4 %), whole percents above.
    else
      parts.push(
        `trend ${perYear > 0 ? '+' : '−'}${percent(Math.abs(perYear), Math.abs(perYear) < 0.1 ? 1 : 0)} a year${flattening ? ', damped' : ''}`,
      );
  }
  const units = `${input.bucket}s`;
  if (input.holdOut?.wmape !== null && input.holdOut?.wmape !== undefined && Number.isFinite(input.holdOut.wmape)) {
    parts.push(`error over the last ${input.holdOut.periods} ${units} ${input.holdOut.wmape.toFixed(1)} %`);
  } else {
    parts.push(`too little history to test it on its last ${units}`);
  }
  const sentence = parts.join('; ');
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

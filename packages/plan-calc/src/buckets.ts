import { addMonths, daysInMonth, isMonth } from './months.ts';

/** A time bucket: a month `YYYY-MM` or an ISO 8601 week `YYYY-Www`. */
export type Bucket = string;

/** A quarter as `YYYY-Qn`. */
export type Quarter = `${number}-Q${1 | 2 | 3 | 4}`;

/** The bucket sizes a plan may use. */
export const BUCKET_SIZES = ['month', 'week'] as const;
export type BucketSize = (typeof BUCKET_SIZES)[number];

const WEEK_PATTERN = /^(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])$/;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a UTC calendar date (month 1–12). */
function epochDay(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

/** ISO weekday of an epoch day: Monday 0 … Sunday 6 (1970-01-01 was a Thursday). */
function weekday(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

/** The ISO week containing an epoch day: the week belongs to the year of its Thursday. */
function isoWeekOfDay(day: number): { year: number; week: number } {
  const thursday = day - weekday(day) + 3;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  return { year, week: Math.floor((thursday - epochDay(year, 1, 1)) / 7) + 1 };
}

/** Epoch day of the Monday of ISO week `week` of `year` (week 1 holds 4 January). */
function mondayOfIsoWeek(year: number, week: number): number {
  const jan4 = epochDay(year, 1, 4);
  return jan4 - weekday(jan4) + (week - 1) * 7;
}

/** 52 or 53: 28 December is always in the last ISO week of its year. */
function isoWeeksInYear(year: number): number {
  return isoWeekOfDay(epochDay(year, 12, 28)).week;
}

function formatWeek({ year, week }: { year: number; week: number }): Bucket {
  return `${String(year).padStart(4, '0')}-W${String(week).padStart(2, '0')}`;
}

function parseWeek(bucket: Bucket): { year: number; week: number } | undefined {
  const match = WEEK_PATTERN.exec(bucket);
  if (!match) return undefined;
  const year = Number(match[1]);
  const week = Number(match[2]);
  return week <= isoWeeksInYear(year) ? { year, week } : undefined;
}

/** Whether `value` is a well-formed ISO week `YYYY-Www` (week 53 only in years that have one). */
export function isWeek(value: string): boolean {
  return parseWeek(value) !== undefined;
}

/** Whether `value` is a month `YYYY-MM` or an ISO week `YYYY-Www`. */
export function isBucket(value: string): value is Bucket {
  return isMonth(value) || isWeek(value);
}

/** The size of a bucket id, or undefined when it is not one. */
export function bucketSizeOf(bucket: string): BucketSize | undefined {
  if (isMonth(bucket)) return 'month';
  if (isWeek(bucket)) return 'week';
  return undefined;
}

function getWeek(bucket: Bucket): { year: number; week: number } {
  const week = parseWeek(bucket);
  if (!week) throw new Error(`not a YYYY-MM month or YYYY-Www ISO week: ${bucket}`);
  return week;
}

/**
 * The bucket `count` buckets after `bucket`, of the same size (negative goes back).
 * @example addBuckets('2026-W52', 2) === '2027-W01' // 2026 has 53 ISO weeks
 */
export function addBuckets(bucket: Bucket, count: number): Bucket {
  if (isMonth(bucket)) return addMonths(bucket, count);
  const { year, week } = getWeek(bucket);
  return formatWeek(isoWeekOfDay(mondayOfIsoWeek(year, week) + count * 7));
}

/**
 * `count` consecutive buckets starting at `start`.
 * @example bucketRange('2026-11', 3) // ['2026-11', '2026-12', '2027-01']
 */
export function bucketRange(start: Bucket, count: number): Bucket[] {
  if (count <= 0) return [];
  const first = addBuckets(start, 0);
  return Array.from({ length: count }, (_, i) => (i === 0 ? first : addBuckets(start, i)));
}

/** Calendar days in a bucket: 7 for a week, 28–31 for a month; the unit of days-of-cover maths. */
export function daysInBucket(bucket: Bucket): number {
  if (isMonth(bucket)) return daysInMonth(bucket);
  getWeek(bucket);
  return 7;
}

/**
 * The quarter a bucket falls in; an ISO week belongs to the quarter of its Thursday.
 * @example quarterOf('2026-W53') === '2026-Q4' && quarterOf('2027-05') === '2027-Q2'
 */
export function quarterOf(bucket: Bucket): Quarter {
  let year: number;
  let month: number;
  if (isMonth(bucket)) {
    [year, month] = bucket.split('-').map(Number) as [number, number];
  } else {
    const { year: isoYear, week } = getWeek(bucket);
    const thursday = new Date((mondayOfIsoWeek(isoYear, week) + 3) * DAY_MS);
    year = thursday.getUTCFullYear();
    month = thursday.getUTCMonth() + 1;
  }
  return `${year}-Q${(Math.floor((month - 1) / 3) + 1) as 1 | 2 | 3 | 4}`;
}

/** First calendar day of a bucket as `YYYY-MM-DD` (the Monday of a week), for column labels. */
export function bucketStartDate(bucket: Bucket): string {
  if (isMonth(bucket)) return `${bucket}-01`;
  const { year, week } = getWeek(bucket);
  return new Date(mondayOfIsoWeek(year, week) * DAY_MS).toISOString().slice(0, 10);
}

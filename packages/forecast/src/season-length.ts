/** Periods per seasonal cycle for each bucket size: a year of days would be 365, but demand repeats weekly. */
export const SEASON_LENGTH_BY_BUCKET = { day: 7, week: 52, month: 12, quarter: 4, year: 1 } as const;

/** A bucket size whose seasonal period is known. */
export type BucketSize = keyof typeof SEASON_LENGTH_BY_BUCKET;

/** Whether a string names a bucket size, for validating input from outside. */
export function isBucketSize(name: string): name is BucketSize {
  return Object.hasOwn(SEASON_LENGTH_BY_BUCKET, name);
}

/**
 * The season length `auto` stands for: the yearly cycle of the bucket size (12 months, 52 weeks, 4 quarters;
 * 7 for days). It is then checked on each series' data by its seasonal profile (`SeasonChoice`): a series with
 * no seasonal pattern beyond noise, or too short to show one and with no pooled profile to borrow, gets none.
 * @example seasonLengthFor('week') === 52
 */
export function seasonLengthFor(bucket: BucketSize): number {
  return SEASON_LENGTH_BY_BUCKET[bucket];
}

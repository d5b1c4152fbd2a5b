import { describe, expect, it } from 'vitest';
import { addBuckets, bucketRange, bucketSizeOf, bucketStartDate, daysInBucket, isBucket, isWeek, quarterOf } from './buckets.ts';
import { randomInt, seededRandom } from './test-plans.ts';

describe('buckets', () => {
  it('knows which years have an ISO week 53', () => {
    // 2026 starts on a Thursday and 2020 is a leap year starting on a Wednesday: both have 53 weeks.
    expect(isWeek('2026-W53')).toBe(true);
    expect(isWeek('2020-W53')).toBe(true);
    expect(isWeek('2027-W53')).toBe(false);
    expect(isWeek('2021-W53')).toBe(false);
    for (const bad of ['2026-W00', '2026-W54', '2026-W1', '2026W01', '2026-w01']) expect(isBucket(bad)).toBe(false);
    expect(bucketSizeOf('2026-W01')).toBe('week');
    expect(bucketSizeOf('2026-01')).toBe('month');
    expect(bucketSizeOf('2026')).toBeUndefined();
  });

  it('steps ISO weeks across year ends', () => {
    expect(addBuckets('2026-W52', 1)).toBe('2026-W53');
    expect(addBuckets('2026-W53', 1)).toBe('2027-W01');
    expect(addBuckets('2027-W52', 1)).toBe('2028-W01');
    expect(addBuckets('2021-W01', -1)).toBe('2020-W53');
    expect(bucketRange('2026-W52', 3)).toEqual(['2026-W52', '2026-W53', '2027-W01']);
    expect(bucketRange('2026-11', 3)).toEqual(['2026-11', '2026-12', '2027-01']);
    expect(() => addBuckets('2027-W53', 1)).toThrow(/ISO week/);
  });

  it('dates weeks by their Monday, which may fall in the previous year', () => {
    expect(bucketStartDate('2026-W01')).toBe('2025-12-29');
    expect(bucketStartDate('2027-W01')).toBe('2027-01-04');
    expect(bucketStartDate('2027-03')).toBe('2027-03-01');
  });

  it('puts a week in the quarter of its Thursday', () => {
    expect(quarterOf('2026-W53')).toBe('2026-Q4'); // Thursday 31 Dec 2026
    expect(quarterOf('2025-W01')).toBe('2025-Q1'); // Monday 30 Dec 2024, Thursday 2 Jan 2025
    expect(quarterOf('2026-W13')).toBe('2026-Q1'); // Thursday 26 Mar
    expect(quarterOf('2026-W14')).toBe('2026-Q2'); // Monday 30 Mar, Thursday 2 Apr
    expect(quarterOf('2027-03')).toBe('2027-Q1');
    expect(quarterOf('2027-04')).toBe('2027-Q2');
    expect(quarterOf('2027-12')).toBe('2027-Q4');
  });

  it('counts days per bucket', () => {
    expect(daysInBucket('2026-W53')).toBe(7);
    expect(daysInBucket('2028-02')).toBe(29);
    expect(daysInBucket('2027-04')).toBe(30);
  });

  it('moves weeks by exactly seven days per step, back and forth', () => {
    const random = seededRandom(7);
    for (let run = 0; run < 300; run++) {
      const start = addBuckets('2000-W01', randomInt(random, 52 * 60));
      const steps = randomInt(random, 400) - 200;
      const moved = addBuckets(start, steps);
      expect(isWeek(moved)).toBe(true);
      expect(addBuckets(moved, -steps)).toBe(start);
      const days = (Date.parse(bucketStartDate(moved)) - Date.parse(bucketStartDate(start))) / 86_400_000;
      expect(days).toBe(steps * 7);
    }
  });
});

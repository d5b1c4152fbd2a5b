import { describe, expect, it } from 'vitest';
import { randomId } from './ids.ts';

describe('randomId', () => {
  it('gives distinct 24-character base32 ids, across refills of its pool of random bytes', () => {
    const ids = Array.from({ length: 1_000 }, () => randomId());
    for (const id of ids) expect(id).toMatch(/^[a-z2-7]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Each id has its own bytes: no two share their first eight characters (a reused slice would).
    const prefixes = new Set(ids.map((id) => id.slice(0, 8)));
    expect(prefixes.size).toBe(ids.length);
  });
});

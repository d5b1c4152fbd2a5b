import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

const ID_BYTES = 15;
// Random bytes are drawn a few kilobytes at a time and each used once: one call into the system's
// generator per 256 ids instead of per id (it was ~15 µs of every id, ~3 % of a reconnect storm's
// server time), as Node does for randomUUID.
const POOL_BYTES = ID_BYTES * 256;
let pool = new Uint8Array(0);
let taken = 0;

/** A random identifier with 120 bits of entropy (24 base32 characters), for rows and tokens. */
export function randomId(): string {
  if (taken + ID_BYTES > pool.length) {
    pool = new Uint8Array(POOL_BYTES);
    crypto.getRandomValues(pool);
    taken = 0;
  }
  const bytes = pool.subarray(taken, taken + ID_BYTES);
  taken += ID_BYTES;
  return encodeBase32LowerCaseNoPadding(bytes);
}

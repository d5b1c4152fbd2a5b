import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

/** A random identifier with 120 bits of entropy (24 base32 characters), for rows and tokens. */
export function randomId(): string {
  const bytes = new Uint8Array(15);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

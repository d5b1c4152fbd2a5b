import { hash, verify } from '@node-rs/argon2';

// argon2id with OWASP's second recommended profile (19 MiB, 2 passes, 1 lane): about 20 ms
// here, slow enough to make offline guessing expensive, fast enough for a sign-in burst.
const ARGON2_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** Minimum length of a password set by a person (NIST SP 800-63B). */
export const MIN_PASSWORD_LENGTH = 8;

/** Hashes a password with argon2id (algorithm 2 in @node-rs/argon2). */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { ...ARGON2_OPTIONS, algorithm: 2 });
}

/** Checks a password against a stored hash; false for a malformed hash. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** A random password for accounts created without one (demo seed, CLI reset). */
export function generatePassword(): string {
  // 16 characters from a 32-letter alphabet without look-alikes: 80 bits.
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789AB';
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b % 32]).join('');
}

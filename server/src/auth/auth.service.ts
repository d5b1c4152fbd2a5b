import { ErrorCode, type MeResponse } from '@accord/protocol';
import type { User } from '../db/schema.ts';
import { HttpError } from '../errors.ts';
import type { UserRepository } from '../users/user.repository.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { FailureRateLimiter } from './rate-limiter.ts';
import type { SessionService } from './session.service.ts';

const WINDOW_MS = 15 * 60 * 1000;

/** Sign-in rules: password check, throttling per account and per address, session start. */
export class AuthService {
  readonly #users: UserRepository;
  readonly #sessions: SessionService;
  // 10 failures per account or 50 per address in 15 minutes, then wait: slows guessing to a
  // crawl while a person who mistypes a few times is never locked out for long.
  readonly #perAccount = new FailureRateLimiter(10, WINDOW_MS);
  readonly #perAddress = new FailureRateLimiter(50, WINDOW_MS);
  // Verified against when the e-mail is unknown, so both answers take the same time. Made on the
  // first sign-in, not at start-up, where an argon2 hash would take a core from a restart.
  #dummyHash: Promise<string> | undefined;

  constructor(users: UserRepository, sessions: SessionService) {
    this.#users = users;
    this.#sessions = sessions;
  }

  /** Checks the credentials and starts a session; throws 401 or 429 as HttpError. */
  async signIn(email: string, password: string, clientAddress: string): Promise<{ token: string; user: User }> {
    const wait = Math.max(this.#perAccount.retryAfterMs(email), this.#perAddress.retryAfterMs(clientAddress));
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new HttpError(429, ErrorCode.rateLimited, `Too many failed sign-ins. Try again in ${Math.ceil(seconds / 60)} minute(s).`, {
        'Retry-After': String(seconds),
      });
    }
    const user = await this.#users.findUserByEmail(email);
    const ok = await verifyPassword(user?.password_hash ?? (await (this.#dummyHash ??= hashPassword('not a real password'))), password);
    if (!user || !ok) {
      this.#perAccount.recordFailure(email);
      this.#perAddress.recordFailure(clientAddress);
      throw new HttpError(401, ErrorCode.invalidCredentials, 'The e-mail or password is not right.');
    }
    this.#perAccount.reset(email);
    const { token } = await this.#sessions.create(user.id);
    return { token, user };
  }

  /** What the web app needs about the signed-in user. */
  async me(user: User): Promise<MeResponse> {
    return {
      user: { id: user.id, email: user.email, name: user.name },
      memberships: await this.#users.listMemberships(user.id),
    };
  }
}

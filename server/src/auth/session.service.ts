import { sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import type { Session, User } from '../db/schema.ts';
import { randomId } from '../db/ids.ts';
import type { SessionRepository } from './session.repository.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { AccessEvents } from './access-events.ts';

// Sessions follow Lucia's design (lucia-auth.com, "Sessions"): the token handed to the browser
// is `<id>.<secret>`; the database keeps the id and a SHA-256 of the secret, so a leaked
// database cannot be replayed as cookies, and the secret is compared in constant time.
const DAY_MS = 24 * 60 * 60 * 1000;
/** A session lives 30 days after its last use... */
export const SESSION_LIFETIME_MS = 30 * DAY_MS;
/** ...and is extended when less than 15 days remain (sliding expiry, at most one write a day-ish). */
const RENEW_WHEN_REMAINING_MS = 15 * DAY_MS;

function hashSecret(secret: string): Uint8Array {
  return sha256(new TextEncoder().encode(secret));
}

/** A validated session with its user. */
export interface SessionWithUser {
  session: Session;
  user: User;
  /** True when validation extended the expiry, so the cookie should be re-sent. */
  renewed: boolean;
}

/** Creates, validates and ends sessions. */
export class SessionService {
  readonly #sessions: SessionRepository;
  readonly #users: UserRepository;
  readonly #now: () => Date;
  readonly #access: AccessEvents;

  constructor(sessions: SessionRepository, users: UserRepository, access: AccessEvents, now: () => Date = () => new Date()) {
    this.#sessions = sessions;
    this.#users = users;
    this.#access = access;
    this.#now = now;
  }

  /** Starts a session and returns the token to put in the cookie. */
  async create(userId: string): Promise<{ token: string; session: Session }> {
    const id = randomId();
    const secret = randomId();
    const now = this.#now();
    const session: Session = {
      id,
      user_id: userId,
      secret_hash: hashSecret(secret),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_LIFETIME_MS).toISOString(),
    };
    await this.#sessions.insert(session);
    return { token: `${id}.${secret}`, session };
  }

  /** The session and user behind a token, or undefined when the token is malformed, wrong or expired. */
  async validate(token: string): Promise<SessionWithUser | undefined> {
    const [id, secret, extra] = token.split('.');
    if (!id || !secret || extra !== undefined || id.length > 64 || secret.length > 64) return undefined;
    const session = await this.#sessions.findById(id);
    if (!session) return undefined;
    if (!constantTimeEqual(hashSecret(secret), new Uint8Array(session.secret_hash))) return undefined;
    const now = this.#now().getTime();
    const expiresAt = Date.parse(session.expires_at);
    if (now >= expiresAt) {
      await this.#sessions.delete(id);
      return undefined;
    }
    const user = await this.#users.findUserById(session.user_id);
    if (!user) return undefined;
    let renewed = false;
    if (expiresAt - now < RENEW_WHEN_REMAINING_MS) {
      session.expires_at = new Date(now + SESSION_LIFETIME_MS).toISOString();
      await this.#sessions.updateExpiry(id, session.expires_at);
      renewed = true;
    }
    return { session, user, renewed };
  }

  /** Whether a session still exists and has not expired (for open sockets, which hold no token). */
  async isActive(sessionId: string): Promise<boolean> {
    const session = await this.#sessions.findById(sessionId);
    return session !== undefined && Date.parse(session.expires_at) > this.#now().getTime();
  }

  /** Ends one session (sign out); its open sockets close. */
  async invalidate(sessionId: string): Promise<void> {
    await this.#sessions.delete(sessionId);
    this.#access.emit({ type: 'credential-ended', credential: { type: 'session', id: sessionId } });
  }

  /** Ends every session of a user (sign out everywhere, password reset); their open sockets close. */
  async invalidateAll(userId: string): Promise<number> {
    const ended = await this.#sessions.deleteAllForUser(userId);
    this.#access.emit({ type: 'user-signed-out', userId });
    return ended;
  }
}

import { sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import { randomId } from '../db/ids.ts';
import type { User } from '../db/schema.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { TokenRepository } from './token.repository.ts';
import type { AccessEvents } from './access-events.ts';

/** Prefix that makes a leaked token recognisable to secret scanners and in support requests. */
const TOKEN_PREFIX = 'acc_';
// Recording every use would be one write per request; once a minute is enough to show activity.
const MARK_USED_EVERY_MS = 60_000;

/** A token as its owner sees it in a listing (never the secret). */
export interface TokenView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

function hashSecret(secret: string): Uint8Array {
  return sha256(new TextEncoder().encode(secret));
}

/**
 * Personal API tokens for scripts (`Authorization: Bearer acc_<id>.<secret>`, or `?token=` on the
 * sync endpoint). Built like sessions: only a SHA-256 of the secret is stored, compared in
 * constant time; revoked tokens stop working at once.
 */
export class TokenService {
  readonly #tokens: TokenRepository;
  readonly #users: UserRepository;
  readonly #now: () => Date;
  readonly #access: AccessEvents;

  constructor(tokens: TokenRepository, users: UserRepository, access: AccessEvents, now: () => Date = () => new Date()) {
    this.#tokens = tokens;
    this.#users = users;
    this.#access = access;
    this.#now = now;
  }

  /** Creates a token; the returned secret is shown once and never again. */
  async create(userId: string, name: string): Promise<{ token: string; view: TokenView }> {
    const id = randomId();
    const secret = randomId();
    const createdAt = this.#now().toISOString();
    await this.#tokens.insert({
      id,
      user_id: userId,
      name,
      secret_hash: hashSecret(secret),
      created_at: createdAt,
      last_used_at: null,
      revoked_at: null,
    });
    return { token: `${TOKEN_PREFIX}${id}.${secret}`, view: { id, name, createdAt, lastUsedAt: null, revokedAt: null } };
  }

  /** The user behind a token (and the token's id), or undefined when it is malformed, wrong or revoked. */
  async validate(token: string): Promise<{ user: User; tokenId: string } | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const [id, secret, extra] = token.slice(TOKEN_PREFIX.length).split('.');
    if (!id || !secret || extra !== undefined || id.length > 64 || secret.length > 64) return undefined;
    const row = await this.#tokens.findById(id);
    if (!row || row.revoked_at !== null) return undefined;
    if (!constantTimeEqual(hashSecret(secret), new Uint8Array(row.secret_hash))) return undefined;
    const now = this.#now();
    if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > MARK_USED_EVERY_MS) {
      await this.#tokens.markUsed(id, now.toISOString());
    }
    const user = await this.#users.findUserById(row.user_id);
    return user && { user, tokenId: id };
  }

  /** Whether a token is still usable (not revoked, not deleted), for open sockets. */
  async isActive(id: string): Promise<boolean> {
    const row = await this.#tokens.findById(id);
    return row !== undefined && row.revoked_at === null;
  }

  async list(userId: string): Promise<TokenView[]> {
    const rows = await this.#tokens.listForUser(userId);
    return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at }));
  }

  /** Revokes one of the user's tokens; sockets opened with it close. False when there is no such token. */
  async revoke(userId: string, id: string): Promise<boolean> {
    const revoked = await this.#tokens.revoke(id, userId, this.#now().toISOString());
    if (revoked) this.#access.emit({ type: 'credential-ended', credential: { type: 'token', id } });
    return revoked;
  }
}

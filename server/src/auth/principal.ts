import type { User } from '../db/schema.ts';
import type { SessionService } from './session.service.ts';
import type { TokenService } from './token.service.ts';

/** How a request or socket proved who it is. */
export type Credential = { type: 'session'; id: string } | { type: 'token'; id: string };

/** An authenticated user and the credential they used. */
export interface Principal {
  user: User;
  credential: Credential;
  /** A session token whose expiry was extended and should be re-sent as a cookie. */
  renewedSessionToken?: string;
}

/**
 * Authenticates a request from a bearer API token (scripts) or else the session cookie
 * (browsers). A present but invalid credential gives undefined, never a fallback to the other.
 */
export async function authenticate(
  input: { bearer: string | undefined; sessionToken: string | undefined },
  sessions: SessionService,
  tokens: TokenService,
): Promise<Principal | undefined> {
  if (input.bearer !== undefined) {
    const result = await tokens.validate(input.bearer);
    return result && { user: result.user, credential: { type: 'token', id: result.tokenId } };
  }
  if (input.sessionToken !== undefined) {
    const result = await sessions.validate(input.sessionToken);
    if (!result) return undefined;
    const principal: Principal = { user: result.user, credential: { type: 'session', id: result.session.id } };
    if (result.renewed) principal.renewedSessionToken = input.sessionToken;
    return principal;
  }
  return undefined;
}

/** The token of an `Authorization: Bearer …` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header && /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : undefined;
}

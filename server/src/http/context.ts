import { ErrorCode } from '@accord/protocol';
import type { Context } from 'hono';
import type { Logger } from '../logger.ts';
import type { Principal } from '../auth/principal.ts';
import { HttpError, unauthenticated } from '../errors.ts';

/** Per-request values set by middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    auth: Principal | undefined;
  };
}

/** The authenticated principal, or a 401. */
export function requireAuth(c: Context<AppEnv>): Principal {
  const principal = c.get('auth');
  if (!principal) throw unauthenticated();
  return principal;
}

/** Parses a JSON body with a zod-like schema, answering 400 with the first problem. */
export async function parseBody<T>(
  c: Context<AppEnv>,
  schema: {
    safeParse(
      data: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { message: string; path: PropertyKey[] }[] } };
  },
): Promise<T> {
  const text = await c.req.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(
      400,
      ErrorCode.badRequest,
      text.trim() === '' ? 'Send a JSON body.' : 'The request body is not valid JSON; send a JSON object.',
    );
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
    throw new HttpError(400, ErrorCode.badRequest, issue ? `${where}${issue.message}` : 'Send a JSON body.');
  }
  return parsed.data;
}

/** Parses query parameters with a zod schema, answering 400 with the first problem. */
export function parseQuery<T>(
  schema: {
    safeParse(
      data: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { message: string; path: PropertyKey[] }[] } };
  },
  query: Record<string, string>,
): T {
  const parsed = schema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpError(400, ErrorCode.badRequest, `${issue?.path.map(String).join('.') || 'query'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

import { Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { ErrorCode, CreateTokenRequest, SignInRequest, type CreateTokenResponse, type TokenListResponse } from '@accord/protocol';
import type { Services } from '../services.ts';
import { parseBody, requireAuth, type AppEnv } from './context.ts';
import { clearSessionCookie, isHttps, setSessionCookie } from '../auth/cookies.ts';
import { HttpError, notFound } from '../errors.ts';

/** Sign-in, sign-out, the current user and their API tokens. */
export function authRoutes(services: Services): Hono<AppEnv> {
  const { config, auth, sessions, tokens } = services;
  const routes = new Hono<AppEnv>();

  routes.post('/auth/sign-in', async (c) => {
    const input = await parseBody(c, SignInRequest);
    let address = getConnInfo(c).remote.address ?? 'unknown';
    if (config.trustProxy) address = c.req.header('x-forwarded-for')?.split(',')[0]?.trim() || address;
    const { token, user } = await auth.signIn(input.email, input.password, address);
    setSessionCookie(c, token, isHttps(c, config.trustProxy));
    c.get('log').info({ userId: user.id }, 'signed in');
    return c.json(await auth.me(user));
  });

  routes.post('/auth/sign-out', async (c) => {
    const principal = c.get('auth');
    if (principal?.credential.type === 'session') {
      await sessions.invalidate(principal.credential.id);
    }
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  routes.post('/auth/sign-out-everywhere', async (c) => {
    const { user } = requireAuth(c);
    await sessions.invalidateAll(user.id);
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  routes.get('/me', async (c) => c.json(await auth.me(requireAuth(c).user)));

  routes.get('/tokens', async (c) => {
    const body: TokenListResponse = { tokens: await tokens.list(requireAuth(c).user.id) };
    return c.json(body);
  });

  routes.post('/tokens', async (c) => {
    const principal = requireAuth(c);
    // A token cannot mint more tokens: a leaked script token must not be able to persist itself.
    if (principal.credential.type !== 'session')
      throw new HttpError(403, ErrorCode.forbidden, 'Create tokens while signed in, not with a token.');
    const { name } = await parseBody(c, CreateTokenRequest);
    const { token, view } = await tokens.create(principal.user.id, name);
    const body: CreateTokenResponse = { token, info: view };
    return c.json(body, 201);
  });

  routes.delete('/tokens/:tokenId', async (c) => {
    const { user } = requireAuth(c);
    const tokenId = c.req.param('tokenId');
    if (!(await tokens.revoke(user.id, tokenId))) throw notFound('Token');
    return c.body(null, 204);
  });

  return routes;
}

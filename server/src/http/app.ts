import fs from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { getConnInfo } from '@hono/node-server/conninfo';
import { ErrorCode, SignInRequest, type ErrorBody, type HealthResponse, type PlanListResponse, type PlanResponse } from '@accord/protocol';
import type { AppEnv } from './context.ts';
import { HttpError, unauthenticated } from './http-error.ts';
import { clearSessionCookie, isHttps, readSessionCookie, setSessionCookie } from './cookies.ts';
import { isAllowedOrigin } from './origin.ts';
import { randomId } from '../db/ids.ts';
import { toPlanSummary } from '../plans/plan.service.ts';
import type { Services } from '../services.ts';

const REQUEST_ID_PATTERN = /^[\w.-]{1,64}$/;
const startedAt = Date.now();

/** Builds the HTTP application: REST API under /api and the built web app for everything else. */
export function createApp(services: Services): Hono<AppEnv> {
  const { config, log, auth, sessions, plans } = services;
  const app = new Hono<AppEnv>();

  // Request id and a child logger carrying it; an incoming X-Request-Id is kept when sane.
  app.use(async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomId();
    c.set('requestId', requestId);
    c.set('log', log.child({ requestId }));
    c.header('X-Request-Id', requestId);
    const started = performance.now();
    await next();
    if (c.req.path.startsWith('/api/')) {
      c.get('log').info(
        {
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          ms: Math.round(performance.now() - started),
          userId: c.get('auth')?.user.id,
        },
        'request',
      );
    }
  });

  app.onError((err, c) => {
    const requestId = c.get('requestId');
    if (err instanceof HttpError) {
      const body: ErrorBody = { error: { code: err.code, message: err.message, requestId } };
      return c.json(body, err.status, err.headers);
    }
    c.get('log').error({ err }, 'unhandled error');
    const body: ErrorBody = { error: { code: ErrorCode.internal, message: 'Something went wrong on the server.', requestId } };
    return c.json(body, 500);
  });

  const api = new Hono<AppEnv>();

  // Same-origin check on every state-changing API request.
  api.use(async (c, next) => {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
      const allowed = isAllowedOrigin(
        { origin: c.req.header('origin'), host: c.req.header('host'), secFetchSite: c.req.header('sec-fetch-site') },
        config.allowedOrigins,
      );
      if (!allowed) throw new HttpError(403, ErrorCode.crossOrigin, 'Cross-site requests are not accepted.');
    }
    await next();
  });

  // Session from the cookie, renewed (sliding expiry) when validation extended it.
  api.use(async (c, next) => {
    const token = readSessionCookie(c);
    const session = token ? await sessions.validate(token) : undefined;
    if (token && !session) clearSessionCookie(c);
    if (session?.renewed && token) setSessionCookie(c, token, isHttps(c, config.trustProxy));
    c.set('auth', session);
    await next();
  });

  const requireAuth = (c: { get: (key: 'auth') => AppEnv['Variables']['auth'] }) => {
    const session = c.get('auth');
    if (!session) throw unauthenticated();
    return session;
  };

  api.get('/health', (c) => {
    const body: HealthResponse = { status: 'ok', version: services.version, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) };
    return c.json(body);
  });

  api.post('/auth/sign-in', async (c) => {
    const parsed = SignInRequest.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      throw new HttpError(400, ErrorCode.badRequest, parsed.error.issues[0]?.message ?? 'Send JSON with email and password.');
    }
    const address = clientAddress(c, config.trustProxy);
    const { token, user } = await auth.signIn(parsed.data.email, parsed.data.password, address);
    setSessionCookie(c, token, isHttps(c, config.trustProxy));
    c.get('log').info({ userId: user.id }, 'signed in');
    return c.json(await auth.me(user));
  });

  api.post('/auth/sign-out', async (c) => {
    const session = c.get('auth');
    if (session) await sessions.invalidate(session.session.id);
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  api.post('/auth/sign-out-everywhere', async (c) => {
    const { user } = requireAuth(c);
    await sessions.invalidateAll(user.id);
    services.sync.closeUserSockets(user.id);
    clearSessionCookie(c);
    return c.body(null, 204);
  });

  api.get('/me', async (c) => c.json(await auth.me(requireAuth(c).user)));

  api.get('/workspaces/:workspaceId/plans', async (c) => {
    const { user } = requireAuth(c);
    const list = await plans.listPlansForUser(user.id, c.req.param('workspaceId'));
    const body: PlanListResponse = { plans: list.map(toPlanSummary) };
    return c.json(body);
  });

  api.get('/plans/:planId', async (c) => {
    const { user } = requireAuth(c);
    const { plan, role } = await plans.getPlanForUser(user.id, c.req.param('planId'));
    const body: PlanResponse = { plan: toPlanSummary(plan), role };
    return c.json(body);
  });

  api.all('*', () => {
    throw new HttpError(404, ErrorCode.notFound, 'No such API endpoint.');
  });

  app.route('/api', api);
  mountWebApp(app, services.webRoot);
  return app;
}

/** The client's address, from the socket or (behind a trusted proxy) X-Forwarded-For. */
function clientAddress(c: Parameters<typeof getConnInfo>[0], trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  return getConnInfo(c).remote.address ?? 'unknown';
}

/** Serves the built SPA: hashed assets cached for a year, every other path gets index.html. */
function mountWebApp(app: Hono<AppEnv>, webRoot: string | undefined): void {
  const index = webRoot && path.join(webRoot, 'index.html');
  if (!webRoot || !index || !fs.existsSync(index)) {
    app.get('*', (c) => c.text('The web app is not built. Run `pnpm build` (or start with `./run start`), then reload.', 503));
    return;
  }
  const relativeRoot = path.relative(process.cwd(), webRoot);
  app.use('/_app/immutable/*', async (c, next) => {
    await next();
    if (c.res.status === 200) c.header('Cache-Control', 'public, max-age=31536000, immutable');
  });
  app.use('*', serveStatic({ root: relativeRoot }));
  app.get('*', (c) => {
    c.header('Cache-Control', 'no-cache');
    return c.html(fs.readFileSync(index, 'utf8'));
  });
}

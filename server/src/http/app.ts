import fs from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { ErrorCode, type ErrorBody, type HealthResponse } from '@accord/protocol';
import type { AppEnv } from './context.ts';
import { HttpError } from '../errors.ts';
import { clearSessionCookie, isHttps, readSessionCookie, setSessionCookie } from '../auth/cookies.ts';
import { isAllowedOrigin } from '../auth/origin.ts';
import { randomId } from '../db/ids.ts';
import { authenticate, bearerToken } from '../auth/principal.ts';
import { authRoutes } from './auth.routes.ts';
import { planRoutes } from './plan.routes.ts';
import { historyRoutes } from './history.routes.ts';
import { governanceRoutes } from './governance.routes.ts';
import { dataRoutes } from './data.routes.ts';
import { exportRoutes } from './export.routes.ts';
import { scenarioRoutes } from './scenario.routes.ts';
import { invitationRoutes } from './invitation.routes.ts';
import type { Services } from '../services.ts';

const REQUEST_ID_PATTERN = /^[\w.-]{1,64}$/;
const startedAt = Date.now();

/** Builds the HTTP application: REST API under /api and the built web app for everything else. */
export function createApp(services: Services): Hono<AppEnv> {
  const { config, log, sessions, tokens } = services;
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

  // The caller: a bearer API token (scripts) or the session cookie (browsers). A renewed
  // session (sliding expiry) gets its cookie re-sent; an invalid cookie is cleared.
  api.use(async (c, next) => {
    const sessionToken = readSessionCookie(c);
    const principal = await authenticate({ bearer: bearerToken(c.req.header('authorization')), sessionToken }, sessions, tokens);
    if (sessionToken && !principal && !c.req.header('authorization')) clearSessionCookie(c);
    if (principal?.renewedSessionToken) setSessionCookie(c, principal.renewedSessionToken, isHttps(c, config.trustProxy));
    c.set('auth', principal);
    await next();
  });

  api.get('/health', (c) => {
    const body: HealthResponse = { status: 'ok', version: services.version, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000) };
    return c.json(body);
  });
  api.route('/', authRoutes(services));
  api.route('/', planRoutes(services));
  api.route('/', historyRoutes(services));
  api.route('/', governanceRoutes(services));
  api.route('/', dataRoutes(services));
  api.route('/', exportRoutes(services));
  api.route('/', scenarioRoutes(services));
  api.route('/', invitationRoutes(services));

  api.all('*', () => {
    throw new HttpError(404, ErrorCode.notFound, 'No such API endpoint.');
  });

  app.route('/api', api);
  mountWebApp(app, services.webRoot);
  return app;
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

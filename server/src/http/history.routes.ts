import { Hono } from 'hono';
import { z } from 'zod';
import { ErrorCode, type ChangeDetailResponse, type ChangeListResponse } from '@accord/protocol';
import { HttpError } from '../errors.ts';
import type { Services } from '../services.ts';
import { parseQuery, requireAuth, type AppEnv } from './context.ts';

const ActivityQuery = z.object({
  since: z.iso.datetime({ message: 'since must be an ISO date-time like 2026-11-01T09:00:00Z' }).optional(),
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** A plan's changes: each edit, paste, spread, import or merge as one entry, and the cells of one. */
export function historyRoutes(services: Services): Hono<AppEnv> {
  const { plans, history } = services;
  const routes = new Hono<AppEnv>();

  routes.get('/plans/:planId/activity', async (c) => {
    const { user } = requireAuth(c);
    const { plan } = await plans.getPlanForUser(user.id, c.req.param('planId'));
    const query = parseQuery(ActivityQuery, c.req.query());
    const body: ChangeListResponse = {
      changes: await history.changes(plan.id, {
        sinceIso: query.since === undefined ? undefined : new Date(query.since).toISOString(),
        beforeSeq: query.before,
        limit: query.limit,
      }),
    };
    return c.json(body);
  });

  routes.get('/plans/:planId/changes/:seq', async (c) => {
    const { user } = requireAuth(c);
    const { plan } = await plans.getPlanForUser(user.id, c.req.param('planId'));
    const seq = Number(c.req.param('seq'));
    if (!Number.isSafeInteger(seq) || seq < 1) throw new HttpError(400, ErrorCode.badRequest, 'A change is numbered 1, 2, 3…');
    const found = await history.change(plan.id, seq);
    if (!found) throw new HttpError(404, ErrorCode.notFound, `This plan has no change ${seq}.`);
    const body: ChangeDetailResponse = found;
    return c.json(body);
  });

  return routes;
}

import { Hono } from 'hono';
import { z } from 'zod';
import {
  CreateDecisionRequest,
  DECISION_STATUSES,
  LockSnapshotRequest,
  SetStageRequest,
  UpdateDecisionRequest,
  type DecisionListResponse,
  type SnapshotListResponse,
} from '@accord/protocol';
import type { Services } from '../services.ts';
import { parseBody, parseQuery, requireAuth, type AppEnv } from './context.ts';

const DecisionFilter = z.object({
  owner: z.string().max(64).optional(),
  status: z.enum(DECISION_STATUSES).optional(),
  dueBefore: z.iso.date().optional(),
  cycle: z.string().max(10).optional(),
  overdue: z.enum(['true', 'false']).optional(),
});
const CompareQuery = z.object({ from: z.string().min(1).max(64), to: z.string().min(1).max(64).default('live') });
const SeenRequest = z.object({ until: z.iso.datetime().optional() });

/** Decisions, snapshots, the monthly cycle and the inbox. */
export function governanceRoutes(services: Services): Hono<AppEnv> {
  const { decisions, snapshots, cycle, comments } = services;
  const routes = new Hono<AppEnv>();

  routes.get('/plans/:planId/decisions', async (c) => {
    const filter = parseQuery(DecisionFilter, c.req.query());
    const list = await decisions.list(requireAuth(c).user.id, c.req.param('planId'), {
      ownerId: filter.owner,
      status: filter.status,
      dueBefore: filter.dueBefore,
      cycle: filter.cycle,
      overdue: filter.overdue === 'true',
    });
    const body: DecisionListResponse = { decisions: list };
    return c.json(body);
  });
  routes.post('/plans/:planId/decisions', async (c) => {
    const input = await parseBody(c, CreateDecisionRequest);
    return c.json(await decisions.create(requireAuth(c).user.id, c.req.param('planId'), input), 201);
  });
  routes.patch('/decisions/:decisionId', async (c) => {
    const patch = await parseBody(c, UpdateDecisionRequest);
    return c.json(await decisions.update(requireAuth(c).user.id, c.req.param('decisionId'), patch));
  });
  routes.get('/decisions/:decisionId/history', async (c) =>
    c.json({ history: await decisions.history(requireAuth(c).user.id, c.req.param('decisionId')) }),
  );

  routes.get('/plans/:planId/snapshots', async (c) => {
    const body: SnapshotListResponse = await snapshots.list(requireAuth(c).user.id, c.req.param('planId'));
    return c.json(body);
  });
  routes.post('/plans/:planId/snapshots', async (c) => {
    const { name } = await parseBody(c, LockSnapshotRequest);
    return c.json(await snapshots.lock(requireAuth(c).user.id, c.req.param('planId'), name), 201);
  });
  routes.get('/plans/:planId/compare', async (c) => {
    const { from, to } = parseQuery(CompareQuery, c.req.query());
    return c.json(await snapshots.compare(requireAuth(c).user.id, c.req.param('planId'), from, to));
  });

  routes.get('/plans/:planId/cycle', async (c) => c.json(await cycle.get(requireAuth(c).user.id, c.req.param('planId'))));
  routes.put('/plans/:planId/cycle/stages/:stage', async (c) => {
    const input = await parseBody(c, SetStageRequest);
    return c.json(await cycle.setStage(requireAuth(c).user.id, c.req.param('planId'), c.req.param('stage'), input.ownerId, input.dueDate));
  });
  routes.post('/plans/:planId/cycle/advance', async (c) => c.json(await cycle.advance(requireAuth(c).user.id, c.req.param('planId'))));
  routes.post('/plans/:planId/cycle/roll', async (c) => c.json(await cycle.roll(requireAuth(c).user.id, c.req.param('planId'))));

  routes.get('/inbox', async (c) => c.json(await comments.inbox(requireAuth(c).user.id)));
  routes.post('/inbox/seen', async (c) => {
    const { until } = await parseBody(c, SeenRequest);
    await comments.markSeen(requireAuth(c).user.id, until ? new Date(until).toISOString() : new Date().toISOString());
    return c.body(null, 204);
  });

  return routes;
}

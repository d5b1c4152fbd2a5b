import { Hono } from 'hono';
import { z } from 'zod';
import {
  CloseStageRequest,
  CompareQuery,
  CreateDecisionRequest,
  DECISION_STATUSES,
  ErrorCode,
  LockSnapshotRequest,
  MarkInboxReadRequest,
  ReopenStageRequest,
  SetStageRequest,
  SetStagesRequest,
  UpdateDecisionRequest,
  type DecisionListResponse,
  type SnapshotListResponse,
} from '@accord/protocol';
import type { Services } from '../services.ts';
import { HttpError } from '../errors.ts';
import { parseBody, parseQuery, requireAuth, type AppEnv } from './context.ts';

const DecisionFilter = z.object({
  owner: z.string().max(64).optional(),
  status: z.enum(DECISION_STATUSES).optional(),
  dueBefore: z.iso.date().optional(),
  cycle: z.string().max(10).optional(),
  overdue: z.enum(['true', 'false']).optional(),
});
const SeenRequest = z.object({ until: z.iso.datetime().optional() });

/** Decisions, snapshots, the monthly cycle and the inbox. */
export function governanceRoutes(services: Services): Hono<AppEnv> {
  const { decisions, snapshots, cycle, inbox } = services;
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
  // Locking the consensus is a cycle action (the executive stage's act); it appends a snapshot.
  routes.post('/plans/:planId/snapshots', async (c) => {
    const { name, closeRemaining } = await parseBody(c, LockSnapshotRequest);
    return c.json(await cycle.lock(requireAuth(c).user.id, c.req.param('planId'), name, closeRemaining), 201);
  });
  routes.get('/plans/:planId/compare', async (c) => {
    const query = parseQuery(CompareQuery, c.req.query());
    return c.json(await snapshots.compare(requireAuth(c).user.id, c.req.param('planId'), query));
  });

  routes.get('/plans/:planId/cycle', async (c) => c.json(await cycle.get(requireAuth(c).user.id, c.req.param('planId'))));
  routes.put('/plans/:planId/cycle/stages', async (c) => {
    const { stages } = await parseBody(c, SetStagesRequest);
    return c.json(await cycle.setStages(requireAuth(c).user.id, c.req.param('planId'), stages));
  });
  routes.put('/plans/:planId/cycle/stages/:stage', async (c) => {
    const input = await parseBody(c, SetStageRequest);
    return c.json(await cycle.setStage(requireAuth(c).user.id, c.req.param('planId'), c.req.param('stage'), input.ownerId, input.dueDate));
  });
  // Closes the current stage; `{ stage }` names the stage the leader confirmed closing.
  routes.post('/plans/:planId/cycle/advance', async (c) => {
    // The body is optional here (scripts close the current stage with a bare POST).
    const parsed = CloseStageRequest.safeParse(await c.req.json().catch(() => ({})));
    if (!parsed.success) throw new HttpError(400, ErrorCode.badRequest, `stage: ${parsed.error.issues[0]?.message ?? 'not a stage'}`);
    const { stage } = parsed.data;
    return c.json(await cycle.close(requireAuth(c).user.id, c.req.param('planId'), stage));
  });
  routes.post('/plans/:planId/cycle/reopen', async (c) => {
    const { reason } = await parseBody(c, ReopenStageRequest);
    return c.json(await cycle.reopen(requireAuth(c).user.id, c.req.param('planId'), reason));
  });
  routes.post('/plans/:planId/cycle/roll', async (c) => c.json(await cycle.roll(requireAuth(c).user.id, c.req.param('planId'))));

  routes.get('/inbox', async (c) => c.json(await inbox.inbox(requireAuth(c).user.id)));
  routes.post('/inbox/read', async (c) => {
    const { ids } = await parseBody(c, MarkInboxReadRequest);
    await inbox.markRead(requireAuth(c).user.id, ids);
    return c.body(null, 204);
  });
  routes.post('/inbox/seen', async (c) => {
    const { until } = await parseBody(c, SeenRequest);
    await inbox.markSeen(requireAuth(c).user.id, until ? new Date(until).toISOString() : new Date().toISOString());
    return c.body(null, 204);
  });

  return routes;
}

import { Hono } from 'hono';
import {
  ErrorCode,
  CompareScenariosQuery,
  CreateScenarioRequest,
  MergeScenarioRequest,
  ScenarioListQuery,
  type CompareScenariosResponse,
  type MergeConflictBody,
  type MergePreviewResponse,
  type MergeScenarioResponse,
  type ScenarioListResponse,
} from '@accord/protocol';
import type { Services } from '../services.ts';
import { parseBody, parseQuery, requireAuth, type AppEnv } from './context.ts';

/** Scenarios of a plan: fork, list, compare, three-way merge, archive and delete. */
export function scenarioRoutes(services: Services): Hono<AppEnv> {
  const { scenarios } = services;
  const routes = new Hono<AppEnv>();

  routes.post('/plans/:planId/scenarios', async (c) => {
    const input = await parseBody(c, CreateScenarioRequest);
    return c.json(await scenarios.create(requireAuth(c).user.id, c.req.param('planId'), input), 201);
  });
  routes.get('/plans/:planId/scenarios', async (c) => {
    const { status } = parseQuery(ScenarioListQuery, c.req.query());
    const body: ScenarioListResponse = { scenarios: await scenarios.list(requireAuth(c).user.id, c.req.param('planId'), status) };
    return c.json(body);
  });
  routes.get('/plans/:planId/scenarios/compare', async (c) => {
    const { ids, limit } = parseQuery(CompareScenariosQuery, c.req.query());
    const body: CompareScenariosResponse = await scenarios.compare(requireAuth(c).user.id, c.req.param('planId'), ids, limit);
    return c.json(body);
  });

  routes.get('/scenarios/:scenarioId', async (c) => c.json(await scenarios.get(requireAuth(c).user.id, c.req.param('scenarioId'))));
  routes.get('/scenarios/:scenarioId/merge', async (c) => {
    const body: MergePreviewResponse = await scenarios.mergePreview(requireAuth(c).user.id, c.req.param('scenarioId'));
    return c.json(body);
  });
  routes.post('/scenarios/:scenarioId/merge', async (c) => {
    const input = await parseBody(c, MergeScenarioRequest);
    const outcome = await scenarios.merge(requireAuth(c).user.id, c.req.param('scenarioId'), input);
    if (outcome.type === 'conflict') {
      const body: MergeConflictBody = {
        error: {
          code: ErrorCode.conflict,
          message: `${outcome.conflicts.length === 1 ? '1 selected cell' : `${outcome.conflicts.length} selected cells`} changed in the live plan since the scenario was made: choose the scenario's or the plan's value for each.`,
          requestId: c.get('requestId'),
        },
        conflicts: outcome.conflicts,
      };
      return c.json(body, 409);
    }
    const body: MergeScenarioResponse = { merged: outcome.merged, keptPlan: outcome.keptPlan, decision: outcome.decision };
    return c.json(body);
  });
  routes.post('/scenarios/:scenarioId/archive', async (c) =>
    c.json(await scenarios.archive(requireAuth(c).user.id, c.req.param('scenarioId'))),
  );
  routes.post('/scenarios/:scenarioId/restore', async (c) =>
    c.json(await scenarios.restore(requireAuth(c).user.id, c.req.param('scenarioId'))),
  );
  routes.delete('/scenarios/:scenarioId', async (c) => {
    await scenarios.delete(requireAuth(c).user.id, c.req.param('scenarioId'));
    return c.body(null, 204);
  });

  return routes;
}

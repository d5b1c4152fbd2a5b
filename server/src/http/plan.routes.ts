import { Hono } from 'hono';
import { z } from 'zod';
import {
  CreateInvitationRequest,
  CreatePlanRequest,
  actionRolesText,
  ErrorCode,
  mayAct,
  SetMemberRequest,
  type CellChangesResponse,
  type CreatePlanResponse,
  type InvitationListResponse,
  type MemberListResponse,
  type PlanListResponse,
  type PlanResponse,
} from '@accord/protocol';
import { HttpError } from '../errors.ts';
import { ROOTS } from '@accord/plan-model';
import type { Services } from '../services.ts';
import { toPlanSummary } from '../plans/plan.service.ts';
import { parseBody, parseQuery, requireAuth, type AppEnv } from './context.ts';

const HistoryQuery = z.object({
  root: z
    .string()
    .refine((r) => Object.hasOwn(ROOTS, r) && ROOTS[r as keyof typeof ROOTS].kind === 'value', 'root must be a value root of the plan'),
  key: z.string().min(1).max(200),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
const ChangesQuery = z.object({
  since: z.iso.datetime({ message: 'since must be an ISO date-time like 2026-11-01T09:00:00Z' }),
  limit: z.coerce.number().int().min(1).max(5000).default(1000),
});

/** Workspaces, their members and plans, and the history of plan cells. */
export function planRoutes(services: Services): Hono<AppEnv> {
  const { plans, users, history, documents } = services;
  const routes = new Hono<AppEnv>();

  routes.get('/workspaces/:workspaceId/plans', async (c) => {
    const body: PlanListResponse = await services.home.overview(requireAuth(c).user.id, c.req.param('workspaceId'));
    return c.json(body);
  });

  routes.post('/workspaces/:workspaceId/plans', async (c) => {
    const input = await parseBody(c, CreatePlanRequest);
    const body: CreatePlanResponse = { plan: await services.planSetup.create(requireAuth(c).user.id, c.req.param('workspaceId'), input) };
    return c.json(body, 201);
  });

  routes.get('/workspaces/:workspaceId/members', async (c) => {
    const { user } = requireAuth(c);
    const workspaceId = c.req.param('workspaceId');
    await plans.requireRole(user.id, workspaceId);
    const body: MemberListResponse = { members: await users.listMembers(workspaceId) };
    return c.json(body);
  });

  /** Members are managed by admins: the role checked here, the rules in AdminService. */
  const requireMemberManager = async (userId: string, workspaceId: string) => {
    const role = await plans.requireRole(userId, workspaceId);
    if (!mayAct(role, 'manageMembers'))
      throw new HttpError(403, ErrorCode.forbidden, `Managing members is for ${actionRolesText('manageMembers')}; you are ${role}.`);
  };

  routes.put('/workspaces/:workspaceId/members', async (c) => {
    const { user } = requireAuth(c);
    const workspaceId = c.req.param('workspaceId');
    await requireMemberManager(user.id, workspaceId);
    const input = await parseBody(c, SetMemberRequest);
    await services.admin.changeMemberRole(`user:${user.id}`, workspaceId, input.email, input.role);
    return c.body(null, 204);
  });

  routes.delete('/workspaces/:workspaceId/members/:email', async (c) => {
    const { user } = requireAuth(c);
    const workspaceId = c.req.param('workspaceId');
    await requireMemberManager(user.id, workspaceId);
    await services.admin.removeMember(`user:${user.id}`, workspaceId, c.req.param('email'));
    return c.body(null, 204);
  });

  routes.get('/workspaces/:workspaceId/invitations', async (c) => {
    const body: InvitationListResponse = {
      invitations: await services.invitations.list(requireAuth(c).user.id, c.req.param('workspaceId')),
    };
    return c.json(body);
  });

  routes.post('/workspaces/:workspaceId/invitations', async (c) => {
    const { user } = requireAuth(c);
    const input = await parseBody(c, CreateInvitationRequest);
    return c.json(await services.invitations.create(user.id, c.req.param('workspaceId'), input.email, input.role), 201);
  });

  routes.delete('/workspaces/:workspaceId/invitations/:invitationId', async (c) => {
    await services.invitations.revoke(requireAuth(c).user.id, c.req.param('workspaceId'), c.req.param('invitationId'));
    return c.body(null, 204);
  });

  routes.get('/plans/:planId/visit', async (c) => c.json(await services.home.lastVisit(requireAuth(c).user.id, c.req.param('planId'))));
  routes.post('/plans/:planId/visit', async (c) => {
    await services.home.recordVisit(requireAuth(c).user.id, c.req.param('planId'));
    return c.body(null, 204);
  });

  routes.get('/plans/:planId', async (c) => {
    const { user } = requireAuth(c);
    const { plan, role } = await plans.getPlanForUser(user.id, c.req.param('planId'));
    const body: PlanResponse = { plan: toPlanSummary(plan), role };
    return c.json(body);
  });

  // The whole document of a plan or scenario in Yjs's compact V2 encoding, for a browser to load
  // before it opens the socket: decoding it is several times faster than the full sync step of the
  // y-websocket protocol (V1, one string decode per cell key), and a copy filled before the provider
  // and the offline store listen is not re-encoded for them. The socket then syncs only what changed since.
  routes.get('/documents/:documentId/state', async (c) => {
    const { user } = requireAuth(c);
    const documentId = c.req.param('documentId');
    await plans.getDocumentAccess(user.id, documentId);
    const room = await documents.open(documentId);
    return c.body((await room.encodedStateV2()) as Uint8Array<ArrayBuffer>, 200, {
      'content-type': 'application/octet-stream',
      'cache-control': 'no-store',
    });
  });

  routes.get('/plans/:planId/history', async (c) => {
    const { user } = requireAuth(c);
    const { plan } = await plans.getPlanForUser(user.id, c.req.param('planId'));
    const query = parseQuery(HistoryQuery, c.req.query());
    const body: CellChangesResponse = { changes: await history.cellHistory(plan.id, query.root, query.key, query.limit) };
    return c.json(body);
  });

  routes.get('/plans/:planId/changes', async (c) => {
    const { user } = requireAuth(c);
    const { plan } = await plans.getPlanForUser(user.id, c.req.param('planId'));
    const query = parseQuery(ChangesQuery, c.req.query());
    const body: CellChangesResponse = { changes: await history.changesSince(plan.id, new Date(query.since).toISOString(), query.limit) };
    return c.json(body);
  });

  return routes;
}

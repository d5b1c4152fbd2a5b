import { z } from 'zod';
import type { ChangeKind } from './change-notes.ts';
import { ROLES, type Role } from './roles.ts';
import type { Stage } from './governance.ts';

/** Error codes of the REST API; every error body is `{ error: { code, message } }`. */
export const ErrorCode = {
  badRequest: 'bad_request',
  invalidCredentials: 'invalid_credentials',
  unauthenticated: 'unauthenticated',
  forbidden: 'forbidden',
  notFound: 'not_found',
  rateLimited: 'rate_limited',
  crossOrigin: 'cross_origin',
  /** The request conflicts with the current state (a name taken, the plan moved on meanwhile). */
  conflict: 'conflict',
  /** The plan's consensus is locked: nothing writes the live plan until the next cycle starts. */
  planLocked: 'plan_locked',
  /** The section is closed at the plan's current cycle stage. */
  stageClosed: 'stage_closed',
  payloadTooLarge: 'payload_too_large',
  unavailable: 'unavailable',
  internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The body of every non-2xx REST answer. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId?: string };
}

/** POST /api/auth/sign-in */
export const SignInRequest = z.object({
  email: z.string().trim().toLowerCase().email('Enter a valid e-mail address').max(254),
  password: z.string().min(1, 'Enter your password').max(1024),
});
export type SignInRequest = z.infer<typeof SignInRequest>;

/** A signed-in user as the API shows it. */
export interface UserView {
  id: string;
  email: string;
  name: string;
}

/** One of the user's workspace memberships. */
export interface MembershipView {
  workspaceId: string;
  workspaceName: string;
  role: Role;
}

/** GET /api/me and the answer of a successful sign-in. */
export interface MeResponse {
  user: UserView;
  memberships: MembershipView[];
}

/** A plan in a listing. */
export interface PlanSummary {
  id: string;
  workspaceId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
}

/** Where a plan's cycle stands, for listings and headers. */
export interface PlanCycleSummary {
  /** The cycle (first month of the horizon). */
  cycle: string;
  stage: Stage;
  /** The current stage's owner and due date. */
  owner: { id: string; name: string } | null;
  dueDate: string | null;
  overdue: boolean;
}

/** A plan on the workspace home: where its cycle stands and what waits for the caller in it. */
export interface PlanOverview extends PlanSummary {
  cycle: PlanCycleSummary;
  /** Cells others changed since the caller last opened the plan (null: never opened). */
  changesSinceVisit: number | null;
  /** The caller's open items in this plan. */
  mine: { unread: number; decisions: number; stages: number };
}

/** What waits for the caller in a workspace: decisions they own that are not done, stages they own not yet closed. */
export interface MyOpenItems {
  decisions: { id: string; planId: string; planName: string; title: string; dueDate: string; status: string; overdue: boolean }[];
  stages: { planId: string; planName: string; stage: Stage; dueDate: string | null; overdue: boolean; current: boolean }[];
  /** Unread inbox entries (mentions, replies, assignments) in this workspace's plans. */
  unread: number;
}

/** GET /api/workspaces/:workspaceId/plans */
export interface PlanListResponse {
  plans: PlanOverview[];
  mine: MyOpenItems;
}

const planName = z.string().trim().min(1, 'Name the plan').max(200, 'Plan names are at most 200 characters');
const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'Use a month like 2027-01');

/**
 * POST /api/workspaces/:workspaceId/plans (leaders and admins): a new plan, as a copy of another
 * plan of the workspace (its catalog, history and settings; a new cycle), from a locked snapshot,
 * or empty (settings only; the catalog is imported next).
 */
export const CreatePlanRequest = z.discriminatedUnion('from', [
  z.object({ from: z.literal('copy'), name: planName, planId: z.string().min(1).max(64) }),
  z.object({ from: z.literal('snapshot'), name: planName, snapshotId: z.string().min(1).max(64) }),
  z.object({
    from: z.literal('empty'),
    name: planName,
    horizonStart: month,
    horizonBuckets: z.number().int().min(3, 'Plan at least 3 months').max(36, 'Plan at most 36 months'),
    historyBuckets: z.number().int().min(0).max(60, 'Keep at most 60 months of history').default(24),
    currency: z.string().regex(/^[A-Z]{3}$/, 'Use a currency code like EUR'),
  }),
]);
export type CreatePlanRequest = z.infer<typeof CreatePlanRequest>;

/** POST /api/workspaces/:workspaceId/plans answer. */
export interface CreatePlanResponse {
  plan: PlanSummary;
}

/** GET /api/plans/:planId — the plan and the caller's role in its workspace. */
export interface PlanResponse {
  plan: PlanSummary;
  role: Role;
}

/** GET /api/health */
export interface HealthResponse {
  status: 'ok';
  version: string;
  uptimeSeconds: number;
}

/** POST /api/tokens */
export const CreateTokenRequest = z.object({
  name: z.string().trim().min(1, 'Give the token a name').max(100, 'Token names are at most 100 characters'),
});
export type CreateTokenRequest = z.infer<typeof CreateTokenRequest>;

/** A personal API token in a listing; the secret is only in the creation answer. */
export interface TokenView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** POST /api/tokens answer: `token` is shown once. */
export interface CreateTokenResponse {
  token: string;
  info: TokenView;
}

/** GET /api/tokens */
export interface TokenListResponse {
  tokens: TokenView[];
}

const roleField = z.enum(ROLES, { error: 'Role must be viewer, commenter, sales, operations, finance, leader or admin' });
const emailField = z.string().trim().toLowerCase().email('Enter a valid e-mail address').max(254);

/**
 * PUT /api/workspaces/:workspaceId/members (admins): change a member's role. Someone who is not a
 * member yet is invited (POST …/invitations), never added directly: adding must not tell whether
 * an account exists, nor add someone's account without them agreeing.
 */
export const SetMemberRequest = z.object({ email: emailField, role: roleField });
export type SetMemberRequest = z.infer<typeof SetMemberRequest>;

/** POST /api/workspaces/:workspaceId/invitations (admins): invite an e-mail address with a role. */
export const CreateInvitationRequest = z.object({ email: emailField, role: roleField });
export type CreateInvitationRequest = z.infer<typeof CreateInvitationRequest>;

/** How long an invitation link works. */
export const INVITATION_LIFETIME_DAYS = 7;

/** An invitation as admins see it in the workspace's list. */
export interface InvitationView {
  id: string;
  email: string;
  role: Role;
  invitedBy: { id: string | null; name: string };
  createdAt: string;
  expiresAt: string;
  status: 'pending' | 'accepted' | 'revoked' | 'expired';
  acceptedAt: string | null;
}

/**
 * POST …/invitations answer, the same whether or not an account exists for the address. `link` is
 * the path of the one-time invitation page (`/invitations/<token>`); it is shown this once and
 * only its hash is stored.
 */
export interface CreateInvitationResponse {
  invitation: InvitationView;
  link: string;
}

/** GET /api/workspaces/:workspaceId/invitations (admins) */
export interface InvitationListResponse {
  invitations: InvitationView[];
}

/** GET /api/invitations/:token: what the invitation page shows (no sign-in needed; the token is the secret). */
export interface InvitationInfo {
  workspaceName: string;
  email: string;
  role: Role;
  invitedBy: string;
  expiresAt: string;
}

/** POST /api/invitations/:token/register: a new account for the invited address, then membership. */
export const RegisterInvitationRequest = z.object({
  name: z.string().trim().min(1, 'Enter your name').max(100, 'Names are at most 100 characters'),
  password: z.string().min(8, 'Passwords need at least 8 characters').max(1024),
});
export type RegisterInvitationRequest = z.infer<typeof RegisterInvitationRequest>;

/** A workspace member. */
export interface MemberView {
  userId: string;
  name: string;
  email: string;
  role: Role;
}

/** GET /api/workspaces/:workspaceId/members */
export interface MemberListResponse {
  members: MemberView[];
}

/** One changed cell: old → new, who, when. */
export interface CellChangeView {
  root: string;
  key: string;
  oldValue: number | null;
  newValue: number | null;
  userId: string | null;
  userName: string | null;
  at: string;
  /** The change it was part of (GET …/changes/:seq lists its other cells); null for history older than changes. */
  seq: number | null;
  /** How that change was made (typed, pasted, spread, import, merge…); null for older history. */
  kind: ChangeKind | null;
  /** That change in planner words; null for older history. */
  summary: string | null;
}

/** GET /api/plans/:planId/history?root=&key= and GET /api/plans/:planId/changes?since= */
export interface CellChangesResponse {
  changes: CellChangeView[];
}

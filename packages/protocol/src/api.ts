import { z } from 'zod';
import type { ChangeKind } from './change-notes.ts';
import type { Role } from './roles.ts';

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

/** GET /api/workspaces/:workspaceId/plans */
export interface PlanListResponse {
  plans: PlanSummary[];
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

/** PUT /api/workspaces/:workspaceId/members (admins): add a member or change their role. */
export const SetMemberRequest = z.object({
  email: z.string().trim().toLowerCase().email('Enter a valid e-mail address'),
  role: z.enum(['viewer', 'commenter', 'sales', 'operations', 'finance', 'leader', 'admin'], {
    error: 'Role must be viewer, commenter, sales, operations, finance, leader or admin',
  }),
});
export type SetMemberRequest = z.infer<typeof SetMemberRequest>;

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

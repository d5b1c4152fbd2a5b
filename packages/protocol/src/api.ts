import { z } from 'zod';
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

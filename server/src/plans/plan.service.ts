import { ErrorCode } from '@accord/protocol';
import type { PlanSummary, Role } from '@accord/protocol';
import type { Plan, Scenario } from '../db/schema.ts';
import { HttpError, notFound } from '../errors.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { PlanRepository } from './plan.repository.ts';

/** The API's view of a plan row. */
export function toPlanSummary(plan: Plan): PlanSummary {
  return { id: plan.id, workspaceId: plan.workspace_id, name: plan.name, createdAt: plan.created_at, updatedAt: plan.updated_at };
}

/** What a synced document is: a plan, or a scenario of a plan (same members, same role matrix). */
export interface DocumentAccess {
  plan: Plan;
  role: Role;
  kind: 'plan' | 'scenario';
  scenario?: Scenario;
}

/** Plan access rules: a plan is visible to the members of its workspace and to nobody else. */
export class PlanService {
  readonly #plans: PlanRepository;
  readonly #users: UserRepository;
  readonly #scenarios: { findById(id: string): Promise<Scenario | undefined> } | undefined;
  constructor(plans: PlanRepository, users: UserRepository, scenarios?: { findById(id: string): Promise<Scenario | undefined> }) {
    this.#plans = plans;
    this.#users = users;
    this.#scenarios = scenarios;
  }

  /**
   * Access to a synced document: a plan, or a scenario with its plan's members and roles. An
   * archived scenario is read-only (role `viewer`). Anything else answers 404, like a missing plan.
   */
  async getDocumentAccess(userId: string, documentId: string): Promise<DocumentAccess> {
    const scenario = await this.#scenarios?.findById(documentId);
    if (!scenario) return { ...(await this.getPlanForUser(userId, documentId)), kind: 'plan' };
    const { plan, role } = await this.getPlanForUser(userId, scenario.plan_id);
    return { plan, role: scenario.status === 'archived' ? 'viewer' : role, kind: 'scenario', scenario };
  }

  /**
   * The plan and the user's role in its workspace. A plan of another workspace answers exactly
   * like a missing one, so ids cannot be probed.
   */
  async getPlanForUser(userId: string, planId: string): Promise<{ plan: Plan; role: Role }> {
    const plan = await this.#plans.findById(planId);
    const role = plan && (await this.#users.findRole(userId, plan.workspace_id));
    if (!plan || !role) throw notFound('Plan');
    return { plan, role };
  }

  /**
   * The user's role in a workspace; 404 when not a member (so workspaces cannot be probed), 403
   * when `required` is given and the role is not it.
   */
  async requireRole(userId: string, workspaceId: string, required?: Role): Promise<Role> {
    const role = await this.#users.findRole(userId, workspaceId);
    if (!role) throw new HttpError(404, ErrorCode.notFound, 'Workspace not found.');
    if (required && role !== required) throw new HttpError(403, ErrorCode.forbidden, `Only a workspace ${required} can do this.`);
    return role;
  }

  /** The plans of a workspace the user belongs to. */
  async listPlansForUser(userId: string, workspaceId: string): Promise<Plan[]> {
    await this.requireRole(userId, workspaceId);
    return this.#plans.listByWorkspace(workspaceId);
  }
}

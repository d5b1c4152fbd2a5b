import * as Y from 'yjs';
import { ErrorCode, isRole, type Role } from '@accord/protocol';
import { writePlanData } from '@accord/plan-model';
import type { PlanData } from '@accord/plan-calc';
import { randomId } from '../db/ids.ts';
import { nowIso } from '../db/database.ts';
import type { User } from '../db/schema.ts';
import { HttpError } from '../errors.ts';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../auth/password.ts';
import type { SessionService } from '../auth/session.service.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { PlanRepository } from '../plans/plan.repository.ts';
import type { DocumentRepository } from '../sync/document.repository.ts';
import type { AccessEvents } from '../auth/access-events.ts';

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const notAMember = (email: string) =>
  new HttpError(404, ErrorCode.notFound, `${email} is not a member of this workspace; invite them to add them.`);

/** Administrative actions shared by the command line, the seed and (later) the admin pages. Each is audited. */
export class AdminService {
  readonly #users: UserRepository;
  readonly #plans: PlanRepository;
  readonly #documents: DocumentRepository;
  readonly #sessions: SessionService;
  readonly #access: AccessEvents;

  constructor(users: UserRepository, plans: PlanRepository, documents: DocumentRepository, sessions: SessionService, access: AccessEvents) {
    this.#users = users;
    this.#plans = plans;
    this.#documents = documents;
    this.#sessions = sessions;
    this.#access = access;
  }

  async createUser(actor: string, input: { email: string; name: string; password: string }): Promise<User> {
    const email = input.email.trim().toLowerCase();
    if (!EMAIL_PATTERN.test(email)) throw new HttpError(400, ErrorCode.badRequest, `"${input.email}" is not an e-mail address.`);
    if (!input.name.trim()) throw new HttpError(400, ErrorCode.badRequest, 'A user needs a name.');
    if (input.password.length < MIN_PASSWORD_LENGTH && input.password !== 'demo') {
      throw new HttpError(400, ErrorCode.badRequest, `Passwords need at least ${MIN_PASSWORD_LENGTH} characters.`);
    }
    if (await this.#users.findUserByEmail(email))
      throw new HttpError(409, ErrorCode.conflict, `A user with e-mail ${email} exists already.`);
    const user: User = {
      id: randomId(),
      email,
      name: input.name.trim(),
      password_hash: await hashPassword(input.password),
      created_at: nowIso(),
    };
    await this.#users.insertUser(user);
    await this.#audit(actor, 'user.create', user.id, { email });
    return user;
  }

  /** Sets a new password and ends every session of the user. */
  async resetPassword(actor: string, email: string, password: string): Promise<void> {
    if (password.length < MIN_PASSWORD_LENGTH)
      throw new HttpError(400, ErrorCode.badRequest, `Passwords need at least ${MIN_PASSWORD_LENGTH} characters.`);
    const user = await this.getUserByEmail(email);
    await this.#users.updatePasswordHash(user.id, await hashPassword(password));
    await this.#sessions.invalidateAll(user.id);
    await this.#audit(actor, 'user.reset-password', user.id, undefined);
  }

  async createWorkspace(actor: string, name: string): Promise<{ id: string; name: string }> {
    if (!name.trim()) throw new HttpError(400, ErrorCode.badRequest, 'A workspace needs a name.');
    const workspace = { id: randomId(), name: name.trim(), created_at: nowIso() };
    await this.#users.insertWorkspace(workspace);
    await this.#audit(actor, 'workspace.create', workspace.id, { name: workspace.name });
    return workspace;
  }

  /**
   * Adds a member or changes their role, by e-mail (the `set-role` command: the server's operator
   * may add an account directly; the web invites instead).
   */
  async setRole(actor: string, workspaceId: string, email: string, role: string): Promise<string> {
    if (!isRole(role))
      throw new HttpError(
        400,
        ErrorCode.badRequest,
        `"${role}" is not a role; use viewer, commenter, sales, operations, finance, leader or admin.`,
      );
    if (!(await this.#users.findWorkspaceById(workspaceId))) throw new HttpError(404, ErrorCode.notFound, `No workspace ${workspaceId}.`);
    const user = await this.getUserByEmail(email);
    await this.#users.upsertMembership(workspaceId, user.id, role satisfies Role, nowIso());
    await this.#audit(actor, 'membership.set-role', user.id, { workspaceId, role });
    this.#access.emit({ type: 'membership-changed', userId: user.id });
    return user.id;
  }

  /**
   * Changes the role of a member (the web's member list). Someone who is not a member is invited
   * instead; the refusal is the same whether or not an account exists for the address. The last
   * admin of a workspace keeps the role, so somebody can still manage it.
   */
  async changeMemberRole(actor: string, workspaceId: string, email: string, role: Role): Promise<string> {
    const address = email.trim().toLowerCase();
    const member = await this.#users.findMemberByEmail(workspaceId, address);
    if (!member) throw notAMember(address);
    if (member.role === 'admin' && role !== 'admin') await this.#keepAnAdmin(workspaceId, address);
    if (member.role !== role) {
      await this.#users.upsertMembership(workspaceId, member.userId, role, nowIso());
      await this.#audit(actor, 'membership.set-role', member.userId, { workspaceId, role, from: member.role });
      this.#access.emit({ type: 'membership-changed', userId: member.userId });
    }
    return member.userId;
  }

  /** Removes a member from a workspace (their account stays); the last admin stays. */
  async removeMember(actor: string, workspaceId: string, email: string): Promise<string> {
    const address = email.trim().toLowerCase();
    const member = await this.#users.findMemberByEmail(workspaceId, address);
    if (!member) throw notAMember(address);
    if (member.role === 'admin') await this.#keepAnAdmin(workspaceId, address);
    await this.#users.deleteMembership(workspaceId, member.userId);
    await this.#audit(actor, 'membership.remove', member.userId, { workspaceId });
    this.#access.emit({ type: 'membership-changed', userId: member.userId });
    return member.userId;
  }

  async #keepAnAdmin(workspaceId: string, email: string): Promise<void> {
    if ((await this.#users.countAdmins(workspaceId)) <= 1)
      throw new HttpError(409, ErrorCode.conflict, `${email} is the last admin of this workspace; make someone else admin first.`);
  }

  /** Creates a plan whose document starts as `data` (`details` go to the audit log, e.g. how it was started). */
  async createPlan(actor: string, workspaceId: string, data: PlanData, details: Record<string, unknown> = {}): Promise<{ id: string }> {
    if (!(await this.#users.findWorkspaceById(workspaceId))) throw new HttpError(404, ErrorCode.notFound, `No workspace ${workspaceId}.`);
    const now = nowIso();
    const plan = {
      id: randomId(),
      workspace_id: workspaceId,
      name: data.meta.name,
      created_at: now,
      updated_at: now,
      baseline_snapshot_id: null,
      cycle: data.meta.horizonStart,
      cycle_stage: data.meta.cycleStage,
    };
    const doc = new Y.Doc();
    writePlanData(doc, data);
    await this.#plans.insert(plan);
    await this.#documents.compact(plan.id, Y.encodeStateAsUpdate(doc), 0, now);
    doc.destroy();
    await this.#audit(actor, 'plan.create', plan.id, { workspaceId, name: plan.name, ...details });
    return { id: plan.id };
  }

  async getUserByEmail(email: string): Promise<User> {
    const user = await this.#users.findUserByEmail(email.trim().toLowerCase());
    if (!user) throw new HttpError(404, ErrorCode.notFound, `No user with e-mail ${email}.`);
    return user;
  }

  #audit(actor: string, action: string, target: string, details: unknown): Promise<void> {
    return this.#users.insertAudit({ actor, action, target, details, created_at: nowIso() });
  }
}

import { sha256 } from '@oslojs/crypto/sha2';
import { constantTimeEqual } from '@oslojs/crypto/subtle';
import {
  actionRolesText,
  ErrorCode,
  INVITATION_LIFETIME_DAYS,
  mayAct,
  type CreateInvitationResponse,
  type InvitationInfo,
  type InvitationView,
  type Role,
} from '@accord/protocol';
import { randomId } from '../db/ids.ts';
import { nowIso } from '../db/database.ts';
import type { Invitation, User } from '../db/schema.ts';
import { HttpError } from '../errors.ts';
import type { AccessEvents } from '../auth/access-events.ts';
import type { SessionService } from '../auth/session.service.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { AdminService } from './admin.service.ts';
import type { InvitationRepository } from './invitation.repository.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

function hashSecret(secret: string): Uint8Array {
  return sha256(new TextEncoder().encode(secret));
}

/** One answer for every link that does not work, so a link tells nothing about why. */
const linkGone = () =>
  new HttpError(
    404,
    ErrorCode.notFound,
    'This invitation link does not work any more: it was used, withdrawn or has expired. Ask an admin of the workspace for a new one.',
  );

/**
 * Members join a workspace by invitation (docs/decisions.md, "Members join by invitation"): an
 * admin invites an e-mail address with a role and gets a one-time link, the same answer whether
 * or not an account exists for the address; the person who opens the link signs in with that
 * address (or, when they have no account, sets their name and password) and only then becomes a
 * member. Links are `<id>.<secret>` like session tokens (only a SHA-256 of the secret is stored),
 * work once, for seven days, and admins can withdraw them; every step is in the audit log.
 */
export class InvitationService {
  readonly #repo: InvitationRepository;
  readonly #users: UserRepository;
  readonly #admin: AdminService;
  readonly #sessions: SessionService;
  readonly #access: AccessEvents;
  readonly #now: () => Date;

  constructor(deps: {
    repo: InvitationRepository;
    users: UserRepository;
    admin: AdminService;
    sessions: SessionService;
    access: AccessEvents;
    now?: () => Date;
  }) {
    this.#repo = deps.repo;
    this.#users = deps.users;
    this.#admin = deps.admin;
    this.#sessions = deps.sessions;
    this.#access = deps.access;
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Invites `email` with `role` (admins). Looks at memberships only, never at whether an account
   * exists, so the answer cannot tell. A newer invitation of the same address withdraws the older ones.
   */
  async create(actorId: string, workspaceId: string, email: string, role: Role): Promise<CreateInvitationResponse> {
    await this.#requireAdmin(actorId, workspaceId);
    const address = email.trim().toLowerCase();
    if (await this.#users.findMemberByEmail(workspaceId, address))
      throw new HttpError(
        409,
        ErrorCode.conflict,
        `${address} is a member of this workspace already; change their role in the list instead.`,
      );
    const now = this.#now();
    const at = nowIso(now);
    await this.#repo.revokePending(workspaceId, address, at);
    const id = randomId();
    const secret = randomId();
    const invitation: Invitation = {
      id,
      workspace_id: workspaceId,
      email: address,
      role,
      secret_hash: hashSecret(secret),
      created_by: actorId,
      created_at: at,
      expires_at: nowIso(new Date(now.getTime() + INVITATION_LIFETIME_DAYS * DAY_MS)),
      accepted_at: null,
      accepted_by: null,
      revoked_at: null,
    };
    await this.#repo.insert(invitation);
    await this.#audit(`user:${actorId}`, 'invitation.create', id, { workspaceId, email: address, role });
    const view = (await this.list(actorId, workspaceId)).find((i) => i.id === id)!;
    return { invitation: view, link: `/invitations/${id}.${secret}` };
  }

  /** A workspace's invitations, newest first (admins). */
  async list(actorId: string, workspaceId: string): Promise<InvitationView[]> {
    await this.#requireAdmin(actorId, workspaceId);
    const now = nowIso(this.#now());
    return (await this.#repo.listByWorkspace(workspaceId)).map((row) => ({
      id: row.id,
      email: row.email,
      role: row.role,
      invitedBy: { id: row.created_by, name: row.created_by_name ?? 'the server operator' },
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      status: row.accepted_at ? 'accepted' : row.revoked_at ? 'revoked' : row.expires_at <= now ? 'expired' : 'pending',
      acceptedAt: row.accepted_at,
    }));
  }

  /** Withdraws a pending invitation (admins); its link stops working. */
  async revoke(actorId: string, workspaceId: string, invitationId: string): Promise<void> {
    await this.#requireAdmin(actorId, workspaceId);
    if (!(await this.#repo.revoke(workspaceId, invitationId, nowIso(this.#now()))))
      throw new HttpError(404, ErrorCode.notFound, 'No pending invitation with this id in this workspace.');
    await this.#audit(`user:${actorId}`, 'invitation.revoke', invitationId, { workspaceId });
  }

  /** What the invitation page shows; anyone holding the link may see it. */
  async info(token: string): Promise<InvitationInfo> {
    const invitation = await this.#pending(token);
    const workspace = await this.#users.findWorkspaceById(invitation.workspace_id);
    const inviter = invitation.created_by ? await this.#users.findUserById(invitation.created_by) : undefined;
    return {
      workspaceName: workspace?.name ?? 'a workspace',
      email: invitation.email,
      role: invitation.role,
      invitedBy: inviter?.name ?? 'An administrator',
      expiresAt: invitation.expires_at,
    };
  }

  /** The signed-in user accepts: only with the invited address. Returns the workspace joined. */
  async accept(token: string, user: User): Promise<{ workspaceId: string }> {
    const invitation = await this.#pending(token);
    if (user.email !== invitation.email)
      throw new HttpError(
        403,
        ErrorCode.forbidden,
        `This invitation is for ${invitation.email}, and you are signed in as ${user.email}. Sign out and sign in as ${invitation.email}, or ask for an invitation to ${user.email}.`,
      );
    await this.#join(invitation, user.id, `user:${user.id}`);
    return { workspaceId: invitation.workspace_id };
  }

  /**
   * Someone without an account accepts: a new account for the invited address with the name and
   * password they chose, then membership and a session (returned for the cookie). When an account
   * exists for the address, its owner signs in with it instead: nobody takes over an account by link.
   */
  async register(token: string, name: string, password: string): Promise<{ user: User; sessionToken: string; workspaceId: string }> {
    const invitation = await this.#pending(token);
    if (await this.#users.findUserByEmail(invitation.email))
      throw new HttpError(
        409,
        ErrorCode.conflict,
        `${invitation.email} has an Accord account already: sign in with it to accept the invitation.`,
      );
    const user = await this.#admin.createUser(`invitation:${invitation.id}`, { email: invitation.email, name, password });
    await this.#join(invitation, user.id, `user:${user.id}`);
    const { token: sessionToken } = await this.#sessions.create(user.id);
    return { user, sessionToken, workspaceId: invitation.workspace_id };
  }

  async #join(invitation: Invitation, userId: string, actor: string): Promise<void> {
    if (!(await this.#repo.acceptAndJoin(invitation, userId, nowIso(this.#now())))) throw linkGone();
    await this.#audit(actor, 'invitation.accept', invitation.id, { workspaceId: invitation.workspace_id, role: invitation.role });
    // An open session of this user (another tab) picks up the new workspace and role.
    this.#access.emit({ type: 'membership-changed', userId });
  }

  /** The pending invitation a token names, with its secret checked in constant time; 404 otherwise. */
  async #pending(token: string): Promise<Invitation> {
    const [id, secret, extra] = token.split('.');
    if (!id || !secret || extra !== undefined || id.length > 64 || secret.length > 64) throw linkGone();
    const invitation = await this.#repo.findById(id);
    if (!invitation || !constantTimeEqual(hashSecret(secret), new Uint8Array(invitation.secret_hash))) throw linkGone();
    if (invitation.accepted_at || invitation.revoked_at || invitation.expires_at <= nowIso(this.#now())) throw linkGone();
    return invitation;
  }

  async #requireAdmin(actorId: string, workspaceId: string): Promise<void> {
    const role = await this.#users.findRole(actorId, workspaceId);
    if (!role) throw new HttpError(404, ErrorCode.notFound, 'Workspace not found.');
    if (!mayAct(role, 'manageMembers'))
      throw new HttpError(
        403,
        ErrorCode.forbidden,
        `Inviting and managing members is for ${actionRolesText('manageMembers')}; you are ${role}.`,
      );
  }

  #audit(actor: string, action: string, target: string, details: unknown): Promise<void> {
    return this.#users.insertAudit({ actor, action, target, details, created_at: nowIso(this.#now()) });
  }
}

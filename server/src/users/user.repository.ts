import type { Role } from '@accord/protocol';
import type { Db } from '../db/database.ts';
import type { User } from '../db/schema.ts';

/** Queries on users, workspaces and memberships. */
export class UserRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  findUserByEmail(email: string): Promise<User | undefined> {
    return this.#db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  findUserById(id: string): Promise<User | undefined> {
    return this.#db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async insertUser(user: User): Promise<void> {
    await this.#db.insertInto('users').values(user).execute();
  }

  async updatePasswordHash(userId: string, passwordHash: string): Promise<void> {
    await this.#db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
  }

  async countUsers(): Promise<number> {
    const row = await this.#db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertWorkspace(workspace: { id: string; name: string; created_at: string }): Promise<void> {
    await this.#db.insertInto('workspaces').values(workspace).execute();
  }

  findWorkspaceById(id: string) {
    return this.#db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async upsertMembership(workspaceId: string, userId: string, role: Role, createdAt: string): Promise<void> {
    await this.#db
      .insertInto('memberships')
      .values({ workspace_id: workspaceId, user_id: userId, role, created_at: createdAt })
      .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doUpdateSet({ role }))
      .execute();
  }

  /** The user's memberships with workspace names, ordered by workspace name. */
  listMemberships(userId: string) {
    return this.#db
      .selectFrom('memberships')
      .innerJoin('workspaces', 'workspaces.id', 'memberships.workspace_id')
      .select(['memberships.workspace_id as workspaceId', 'workspaces.name as workspaceName', 'memberships.role as role'])
      .where('memberships.user_id', '=', userId)
      .orderBy('workspaces.name')
      .execute();
  }

  /** The members of a workspace with their roles, by name. */
  listMembers(workspaceId: string) {
    return this.#db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id as userId', 'users.name as name', 'users.email as email', 'memberships.role as role'])
      .where('memberships.workspace_id', '=', workspaceId)
      .orderBy('users.name')
      .execute();
  }

  /** The member of a workspace with this e-mail, or undefined (no account, or not a member: one query either way). */
  findMemberByEmail(workspaceId: string, email: string) {
    return this.#db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id as userId', 'users.name as name', 'users.email as email', 'memberships.role as role'])
      .where('memberships.workspace_id', '=', workspaceId)
      .where('users.email', '=', email)
      .executeTakeFirst();
  }

  /** How many admins a workspace has. */
  async countAdmins(workspaceId: string): Promise<number> {
    const row = await this.#db
      .selectFrom('memberships')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId)
      .where('role', '=', 'admin')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Removes a membership; false when there was none. */
  async deleteMembership(workspaceId: string, userId: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('memberships')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** The user's role in a workspace, or undefined when not a member. */
  async findRole(userId: string, workspaceId: string): Promise<Role | undefined> {
    const row = await this.#db
      .selectFrom('memberships')
      .select('role')
      .where('user_id', '=', userId)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    return row?.role;
  }

  async insertAudit(entry: { actor: string; action: string; target: string | null; details: unknown; created_at: string }): Promise<void> {
    await this.#db
      .insertInto('audit_log')
      .values({ ...entry, details: entry.details === undefined ? null : JSON.stringify(entry.details) })
      .execute();
  }
}

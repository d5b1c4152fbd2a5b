import type { Role } from '@accord/protocol';
import type { Db } from '../db/database.ts';
import type { Invitation } from '../db/schema.ts';

/** Queries on workspace invitations. */
export class InvitationRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async insert(invitation: Invitation): Promise<void> {
    await this.#db.insertInto('invitations').values(invitation).execute();
  }

  findById(id: string): Promise<Invitation | undefined> {
    return this.#db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** A workspace's invitations with the inviter's name, newest first. */
  listByWorkspace(workspaceId: string) {
    return this.#db
      .selectFrom('invitations')
      .leftJoin('users', 'users.id', 'invitations.created_by')
      .selectAll('invitations')
      .select('users.name as created_by_name')
      .where('invitations.workspace_id', '=', workspaceId)
      .orderBy('invitations.created_at', 'desc')
      .execute();
  }

  /** Withdraws the pending invitations of an address to a workspace; returns how many. */
  async revokePending(workspaceId: string, email: string, at: string): Promise<number> {
    const result = await this.#db
      .updateTable('invitations')
      .set({ revoked_at: at })
      .where('workspace_id', '=', workspaceId)
      .where('email', '=', email)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Withdraws one pending invitation; false when it was not pending. */
  async revoke(workspaceId: string, id: string, at: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('invitations')
      .set({ revoked_at: at })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .where('accepted_at', 'is', null)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * Uses a pending, unexpired invitation and makes `userId` a member with its role, in one
   * transaction; false (nothing changed) when it was used, withdrawn or expired meanwhile.
   */
  async acceptAndJoin(invitation: { id: string; workspace_id: string; role: Role }, userId: string, at: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const used = await trx
        .updateTable('invitations')
        .set({ accepted_at: at, accepted_by: userId })
        .where('id', '=', invitation.id)
        .where('accepted_at', 'is', null)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', at)
        .executeTakeFirst();
      if (Number(used.numUpdatedRows) === 0) return false;
      await trx
        .insertInto('memberships')
        .values({ workspace_id: invitation.workspace_id, user_id: userId, role: invitation.role, created_at: at })
        .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doUpdateSet({ role: invitation.role }))
        .execute();
      return true;
    });
  }
}

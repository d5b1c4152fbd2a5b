import type { Db } from '../db/database.ts';
import type { ApiToken } from '../db/schema.ts';

/** Queries on personal API tokens. */
export class TokenRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async insert(token: ApiToken): Promise<void> {
    await this.#db.insertInto('api_tokens').values(token).execute();
  }

  findById(id: string): Promise<ApiToken | undefined> {
    return this.#db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listForUser(userId: string): Promise<ApiToken[]> {
    return this.#db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').execute();
  }

  async markUsed(id: string, at: string): Promise<void> {
    await this.#db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
  }

  /** Revokes a token of this user; false when there is none. */
  async revoke(id: string, userId: string, at: string): Promise<boolean> {
    const result = await this.#db
      .updateTable('api_tokens')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

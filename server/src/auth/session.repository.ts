import type { Db } from '../db/database.ts';
import type { Session } from '../db/schema.ts';

/** Queries on sessions. */
export class SessionRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async insert(session: Session): Promise<void> {
    await this.#db.insertInto('sessions').values(session).execute();
  }

  findById(id: string): Promise<Session | undefined> {
    return this.#db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async updateExpiry(id: string, expiresAt: string): Promise<void> {
    await this.#db.updateTable('sessions').set({ expires_at: expiresAt }).where('id', '=', id).execute();
  }

  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  async deleteAllForUser(userId: string): Promise<number> {
    const result = await this.#db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteExpired(nowIso: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('expires_at', '<=', nowIso).execute();
  }
}

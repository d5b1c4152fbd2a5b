import type { Db } from '../db/database.ts';
import type { Plan } from '../db/schema.ts';

/** Queries on plans. */
export class PlanRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async insert(plan: Plan): Promise<void> {
    await this.#db.insertInto('plans').values(plan).execute();
  }

  findById(id: string): Promise<Plan | undefined> {
    return this.#db.selectFrom('plans').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listByWorkspace(workspaceId: string): Promise<Plan[]> {
    return this.#db.selectFrom('plans').selectAll().where('workspace_id', '=', workspaceId).orderBy('name').execute();
  }

  async touch(id: string, updatedAt: string): Promise<void> {
    await this.#db.updateTable('plans').set({ updated_at: updatedAt }).where('id', '=', id).execute();
  }
}

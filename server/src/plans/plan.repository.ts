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

  /** A plan of the workspace with this name (names compared case-insensitively), if any. */
  findByName(workspaceId: string, name: string): Promise<Plan | undefined> {
    return this.#db
      .selectFrom('plans')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb(eb.fn('lower', ['name']), '=', name.toLowerCase()))
      .executeTakeFirst();
  }

  /** Mirrors the document's cycle and stage into the plan row (for listings). */
  async setCycle(id: string, cycle: string, stage: string): Promise<void> {
    await this.#db.updateTable('plans').set({ cycle, cycle_stage: stage }).where('id', '=', id).execute();
  }

  /** When the user last opened each plan of a workspace. */
  async listVisits(userId: string, workspaceId: string): Promise<Map<string, string>> {
    const rows = await this.#db
      .selectFrom('plan_visits')
      .innerJoin('plans', 'plans.id', 'plan_visits.plan_id')
      .select(['plan_visits.plan_id', 'plan_visits.visited_at'])
      .where('plan_visits.user_id', '=', userId)
      .where('plans.workspace_id', '=', workspaceId)
      .execute();
    return new Map(rows.map((r) => [r.plan_id, r.visited_at]));
  }

  async findVisit(userId: string, planId: string): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom('plan_visits')
      .select('visited_at')
      .where('user_id', '=', userId)
      .where('plan_id', '=', planId)
      .executeTakeFirst();
    return row?.visited_at;
  }

  /**
   * How many cells of a plan others changed after `since`, each cell once (the cell history; changes
   * with no user are the server's, e.g. a baseline run, and count too).
   */
  async countChangesSince(planId: string, userId: string, since: string): Promise<number> {
    const changed = this.#db
      .selectFrom('cell_history')
      .select(['root', 'cell_key'])
      .distinct()
      .where('document_id', '=', planId)
      .where('created_at', '>', since)
      .where((eb) => eb.or([eb('user_id', 'is', null), eb('user_id', '!=', userId)]))
      .as('changed');
    const row = await this.#db
      .selectFrom(changed)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async recordVisit(userId: string, planId: string, at: string): Promise<void> {
    await this.#db
      .insertInto('plan_visits')
      .values({ user_id: userId, plan_id: planId, visited_at: at })
      .onConflict((oc) => oc.columns(['user_id', 'plan_id']).doUpdateSet({ visited_at: at }))
      .execute();
  }
}

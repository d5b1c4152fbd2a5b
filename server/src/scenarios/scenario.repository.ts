import type { Db } from '../db/database.ts';
import type { Scenario, ScenarioTable } from '../db/schema.ts';

/** A scenario row with the names of its owner and creator. */
export type ScenarioWithNames = Scenario & { owner_name: string; creator_name: string };

/** Queries on scenarios and on what refers to them. */
export class ScenarioRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Inserts the scenario row and its document's initial state in one transaction. */
  async insert(scenario: Scenario, initialState: Uint8Array): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('scenarios').values(scenario).execute();
      await trx
        .insertInto('document_states')
        .values({ document_id: scenario.id, state: initialState, updated_at: scenario.created_at })
        .execute();
    });
  }

  findById(id: string): Promise<Scenario | undefined> {
    return this.#db.selectFrom('scenarios').selectAll().where('id', '=', id).executeTakeFirst();
  }

  #withNames() {
    return this.#db
      .selectFrom('scenarios')
      .innerJoin('users as owner', 'owner.id', 'scenarios.owner_id')
      .innerJoin('users as creator', 'creator.id', 'scenarios.created_by')
      .selectAll('scenarios')
      .select(['owner.name as owner_name', 'creator.name as creator_name']);
  }

  findWithNames(id: string): Promise<ScenarioWithNames | undefined> {
    return this.#withNames().where('scenarios.id', '=', id).executeTakeFirst();
  }

  /** A plan's scenarios, newest first; `status` undefined lists all. */
  listByPlan(planId: string, status: ScenarioTable['status'] | undefined): Promise<ScenarioWithNames[]> {
    let query = this.#withNames().where('scenarios.plan_id', '=', planId);
    if (status) query = query.where('scenarios.status', '=', status);
    return query.orderBy('scenarios.created_at', 'desc').orderBy('scenarios.id').execute();
  }

  async setStatus(id: string, status: ScenarioTable['status'], updatedAt: string): Promise<void> {
    await this.#db.updateTable('scenarios').set({ status, updated_at: updatedAt }).where('id', '=', id).execute();
  }

  async touch(id: string, updatedAt: string): Promise<void> {
    await this.#db.updateTable('scenarios').set({ updated_at: updatedAt }).where('id', '=', id).execute();
  }

  /** Links (JSON) of the plan's decisions whose links mention the id; the caller parses them. */
  decisionLinksMentioning(planId: string, id: string): Promise<{ id: string; links: string }[]> {
    return this.#db
      .selectFrom('decisions')
      .select(['id', 'links'])
      .where('plan_id', '=', planId)
      .where('links', 'like', `%${id}%`)
      .execute();
  }

  /** Ids of the plan's snapshots whose recorded decisions mention the id. */
  async snapshotsMentioning(planId: string, id: string): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('snapshots')
      .select('id')
      .where('plan_id', '=', planId)
      .where('decisions', 'like', `%${id}%`)
      .execute();
    return rows.map((r) => r.id);
  }

  /** Removes the scenario and everything stored of its document, in one transaction. */
  async delete(id: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('scenarios').where('id', '=', id).execute();
      await trx.deleteFrom('document_updates').where('document_id', '=', id).execute();
      await trx.deleteFrom('document_states').where('document_id', '=', id).execute();
      await trx.deleteFrom('cell_history').where('document_id', '=', id).execute();
      await trx.deleteFrom('comment_mentions').where('document_id', '=', id).execute();
      await trx.deleteFrom('comment_messages').where('document_id', '=', id).execute();
    });
  }
}

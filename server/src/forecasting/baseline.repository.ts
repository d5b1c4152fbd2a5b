import type { BaselineProductFit, BaselineStatus } from '@accord/protocol';
import type { Db } from '../db/database.ts';

// SQLite allows 32,766 bound parameters per statement: 3 columns × 2,000 rows stays well below.
const FITS_PER_INSERT = 2_000;

/** The baseline job's last run per plan and the per-product fits of the last finished one. */
export class BaselineRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async findStatus(planId: string): Promise<BaselineStatus | undefined> {
    const row = await this.#db.selectFrom('baseline_runs').select('status').where('plan_id', '=', planId).executeTakeFirst();
    return row ? (JSON.parse(row.status) as BaselineStatus) : undefined;
  }

  /** Records a run's status (a run starting, or one that failed) and keeps the last fits. */
  async saveStatus(planId: string, status: BaselineStatus, at: string): Promise<void> {
    await upsertRun(this.#db, planId, status, at);
  }

  /** Records a finished run: its status and its fits, which replace the previous run's, in one transaction. */
  async saveFinished(planId: string, status: BaselineStatus, fits: BaselineProductFit[], at: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await upsertRun(trx, planId, status, at);
      await trx.deleteFrom('baseline_fits').where('plan_id', '=', planId).execute();
      for (let i = 0; i < fits.length; i += FITS_PER_INSERT) {
        await trx
          .insertInto('baseline_fits')
          .values(
            fits.slice(i, i + FITS_PER_INSERT).map((fit) => ({ plan_id: planId, product_id: fit.productId, fit: JSON.stringify(fit) })),
          )
          .execute();
      }
    });
  }

  async findFit(planId: string, productId: string): Promise<BaselineProductFit | undefined> {
    const row = await this.#db
      .selectFrom('baseline_fits')
      .select('fit')
      .where('plan_id', '=', planId)
      .where('product_id', '=', productId)
      .executeTakeFirst();
    return row ? (JSON.parse(row.fit) as BaselineProductFit) : undefined;
  }

  /** Plans whose last run was still running when the server stopped. */
  async interrupted(): Promise<string[]> {
    const rows = await this.#db.selectFrom('baseline_runs').select('plan_id').where('state', '=', 'running').execute();
    return rows.map((r) => r.plan_id);
  }
}

async function upsertRun(db: Db, planId: string, status: BaselineStatus, at: string): Promise<void> {
  const values = { state: status.state, status: JSON.stringify(status), updated_at: at };
  await db
    .insertInto('baseline_runs')
    .values({ plan_id: planId, ...values })
    .onConflict((oc) => oc.column('plan_id').doUpdateSet(values))
    .execute();
}

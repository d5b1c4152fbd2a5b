import { gunzipSync, gzipSync } from 'node:zlib';
import type { BaselineCellChange, BaselineChangeRecord, BaselineProductFit, BaselineStatus } from '@accord/protocol';
import type { Db } from '../db/database.ts';

// SQLite allows 32,766 bound parameters per statement: 3 columns × 2,000 rows stays well below.
const FITS_PER_INSERT = 2_000;
/** Changes kept per plan: a cycle's worth of imports and reruns, with room to spare. */
export const KEPT_CHANGES = 20;

/** A change record as stored: what the API shows, without what depends on who asks. */
export type StoredChange = Omit<BaselineChangeRecord, 'restorable' | 'restoreRefusal'>;

/** A change to write: its record, every changed cell, and the fits that were current before it. */
export interface NewChange {
  record: StoredChange;
  cells: BaselineCellChange[];
  fitsBefore: BaselineProductFit[];
}

const pack = (value: unknown): Uint8Array => new Uint8Array(gzipSync(JSON.stringify(value)));
const unpack = <T>(bytes: Uint8Array): T => JSON.parse(gunzipSync(bytes).toString('utf8')) as T;

/**
 * The baseline job's last run per plan, the per-product fits of the last finished one, and the
 * record of every change a run or a restore made to the statistical layer (the last few per plan).
 */
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

  /**
   * Records a finished run in one transaction: its status, its fits (which replace the previous
   * run's), and, when it changed cells, its change record with the fits it replaced.
   */
  async saveFinished(
    planId: string,
    status: BaselineStatus,
    fits: BaselineProductFit[],
    at: string,
    change?: Omit<NewChange, 'fitsBefore'>,
  ): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await upsertRun(trx, planId, status, at);
      if (change) await insertChange(trx, planId, { ...change, fitsBefore: await allFits(trx, planId) });
      await replaceFits(trx, planId, fits);
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

  /** The plan's kept changes, newest first. */
  async listChanges(planId: string): Promise<StoredChange[]> {
    const rows = await this.#db
      .selectFrom('baseline_changes')
      .select(['record'])
      .where('plan_id', '=', planId)
      .orderBy('finished_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map((row) => JSON.parse(row.record) as StoredChange);
  }

  async findChange(planId: string, changeId: string): Promise<StoredChange | undefined> {
    const row = await this.#db
      .selectFrom('baseline_changes')
      .select('record')
      .where('plan_id', '=', planId)
      .where('id', '=', changeId)
      .executeTakeFirst();
    return row ? (JSON.parse(row.record) as StoredChange) : undefined;
  }

  /** Every cell a change wrote, with its value before and after. */
  async findChangeCells(planId: string, changeId: string): Promise<BaselineCellChange[] | undefined> {
    const row = await this.#db
      .selectFrom('baseline_changes')
      .select('cells')
      .where('plan_id', '=', planId)
      .where('id', '=', changeId)
      .executeTakeFirst();
    return row ? unpack<BaselineCellChange[]>(row.cells) : undefined;
  }

  /**
   * Records a restore in one transaction: the restore's own change (so it can be undone in turn),
   * the restored change marked as restored (its record too), and the fits from before that change
   * put back.
   */
  async saveRestore(planId: string, restoredId: string, restore: Omit<NewChange, 'fitsBefore'>): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('baseline_changes')
        .select(['record', 'fits_before'])
        .where('plan_id', '=', planId)
        .where('id', '=', restoredId)
        .executeTakeFirstOrThrow();
      const restored = JSON.parse(row.record) as StoredChange;
      const trigger = restore.record.trigger;
      if (trigger.type !== 'restore') throw new Error('a restore must be triggered by a restore');
      restored.restored = {
        at: restore.record.finishedAt,
        userId: trigger.userId,
        userName: trigger.userName,
        changeId: restore.record.id,
      };
      await insertChange(trx, planId, { ...restore, fitsBefore: await allFits(trx, planId) });
      await trx
        .updateTable('baseline_changes')
        .set({
          record: JSON.stringify(restored),
          restored_at: restore.record.finishedAt,
          restored_by: trigger.userId,
          restored_by_change: restore.record.id,
        })
        .where('id', '=', restoredId)
        .execute();
      await replaceFits(trx, planId, unpack<BaselineProductFit[]>(row.fits_before));
    });
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

async function allFits(db: Db, planId: string): Promise<BaselineProductFit[]> {
  const rows = await db.selectFrom('baseline_fits').select('fit').where('plan_id', '=', planId).execute();
  return rows.map((row) => JSON.parse(row.fit) as BaselineProductFit);
}

async function replaceFits(db: Db, planId: string, fits: BaselineProductFit[]): Promise<void> {
  await db.deleteFrom('baseline_fits').where('plan_id', '=', planId).execute();
  for (let i = 0; i < fits.length; i += FITS_PER_INSERT) {
    await db
      .insertInto('baseline_fits')
      .values(fits.slice(i, i + FITS_PER_INSERT).map((fit) => ({ plan_id: planId, product_id: fit.productId, fit: JSON.stringify(fit) })))
      .execute();
  }
}

/** Inserts a change and drops the plan's changes beyond the newest KEPT_CHANGES. */
async function insertChange(db: Db, planId: string, change: NewChange): Promise<void> {
  await db
    .insertInto('baseline_changes')
    .values({
      id: change.record.id,
      plan_id: planId,
      kind: change.record.kind,
      finished_at: change.record.finishedAt,
      record: JSON.stringify(change.record),
      cells: pack(change.cells),
      fits_before: pack(change.fitsBefore),
      restored_at: null,
      restored_by: null,
      restored_by_change: null,
    })
    .execute();
  const kept = db
    .selectFrom('baseline_changes')
    .select('id')
    .where('plan_id', '=', planId)
    .orderBy('finished_at', 'desc')
    .orderBy('id', 'desc')
    .limit(KEPT_CHANGES);
  await db.deleteFrom('baseline_changes').where('plan_id', '=', planId).where('id', 'not in', kept).execute();
}

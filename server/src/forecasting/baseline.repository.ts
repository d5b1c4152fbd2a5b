import { gunzipSync, gzipSync } from 'node:zlib';
import { sql, type RawBuilder } from 'kysely';
import type { BaselineCellChange, BaselineChangeRecord, BaselineProductFit, BaselineStatus } from '@accord/protocol';
import { dialectOf, type Db } from '../db/database.ts';

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

/** Who holds a plan's baseline lease, and for how long it lasts from each claim or renewal. */
export interface Lease {
  owner: string;
  ms: number;
}

/** A run still marked running whose lease lapsed (its instance died or stopped): any instance may take it over. */
export interface LapsedRun {
  planId: string;
  status: BaselineStatus;
  /** A run asked for on another instance while the lease was held (JSON as given to `claimRun`). */
  queued: string | null;
}

/** How a finished or failed run was put on record. */
export interface EndedRun {
  /** False when another instance had taken the lease over meanwhile: nothing was written. */
  recorded: boolean;
  /** A run asked for on another instance while this one ran, to run next (JSON as given to `claimRun`). */
  queued: string | null;
}

// The database's clock as ISO-8601 UTC text (the format of every timestamp column), so that the
// instances sharing a database compare leases by one clock, not each by its own.
function dbNow(db: Db): RawBuilder<string> {
  return dialectOf(db) === 'postgres'
    ? sql<string>`to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
}
function dbNowPlus(db: Db, ms: number): RawBuilder<string> {
  const seconds = (ms / 1000).toFixed(3);
  return dialectOf(db) === 'postgres'
    ? sql<string>`to_char((clock_timestamp() + make_interval(secs => ${seconds}::double precision)) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ${`+${seconds} seconds`})`;
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
   * run's), and, when it changed cells, its change record with the fits it replaced. With a
   * `lease`, the run is recorded only while its owner holds it, and the lease is let go.
   */
  async saveFinished(
    planId: string,
    status: BaselineStatus,
    fits: BaselineProductFit[],
    at: string,
    change?: Omit<NewChange, 'fitsBefore'>,
    lease?: Lease,
  ): Promise<EndedRun> {
    const postgres = dialectOf(this.#db) === 'postgres';
    return this.#db.transaction().execute(async (trx) => {
      const ended = lease ? await endLease(trx, postgres, planId, lease.owner) : { recorded: true, queued: null };
      if (!ended.recorded) return ended;
      await upsertRun(trx, planId, status, at);
      if (change) await insertChange(trx, planId, { ...change, fitsBefore: await allFits(trx, planId) });
      await replaceFits(trx, planId, fits);
      return ended;
    });
  }

  /** Records a run that failed and lets go of its lease (as saveFinished, without fits). */
  async saveFailed(planId: string, status: BaselineStatus, at: string, lease: Lease): Promise<EndedRun> {
    const postgres = dialectOf(this.#db) === 'postgres';
    return this.#db.transaction().execute(async (trx) => {
      const ended = await endLease(trx, postgres, planId, lease.owner);
      if (ended.recorded) await upsertRun(trx, planId, status, at);
      return ended;
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

  /** Plans whose last run is marked running (going on somewhere, or cut short). */
  async interrupted(): Promise<string[]> {
    const rows = await this.#db.selectFrom('baseline_runs').select('plan_id').where('state', '=', 'running').execute();
    return rows.map((r) => r.plan_id);
  }

  /**
   * Claims the plan's baseline lease for `lease.owner` and records the run as running with
   * `status`, in one statement: 'claimed' unless another instance holds a lease that has not
   * lapsed ('held'). When held and `queue` is given, it is recorded for the holder to run next.
   * On SQLite one process owns the file (the data-directory lock), so a lease of another owner is
   * a process that ended, and is taken over at once.
   */
  async claimRun(planId: string, status: BaselineStatus, at: string, lease: Lease, queue?: string): Promise<'claimed' | 'held'> {
    const postgres = dialectOf(this.#db) === 'postgres';
    for (let attempt = 0; ; attempt++) {
      const values = {
        state: status.state,
        status: JSON.stringify(status),
        updated_at: at,
        lease_owner: lease.owner,
        lease_expires_at: dbNowPlus(this.#db, lease.ms),
      };
      const claimed = await this.#db
        .insertInto('baseline_runs')
        .values({ plan_id: planId, ...values, queued: null })
        .onConflict((oc) => {
          const update = oc.column('plan_id').doUpdateSet({ ...values, queued: null });
          return postgres
            ? update.where((eb) =>
                eb.or([
                  eb('baseline_runs.lease_owner', 'is', null),
                  eb('baseline_runs.lease_owner', '=', lease.owner),
                  eb('baseline_runs.lease_expires_at', '<', dbNow(this.#db)),
                ]),
              )
            : update;
        })
        .returning('plan_id')
        .executeTakeFirst();
      if (claimed) return 'claimed';
      if (queue === undefined) return 'held';
      const queued = await this.#db
        .updateTable('baseline_runs')
        .set({ queued: queue })
        .where('plan_id', '=', planId)
        .where('lease_owner', '<>', lease.owner)
        .where('lease_expires_at', '>=', dbNow(this.#db))
        .executeTakeFirst();
      if (Number(queued.numUpdatedRows) === 1) return 'held';
      // The holder let go between the two statements: claim again.
      if (attempt >= 3) throw new Error(`the baseline lease of plan ${planId} changed hands too often to claim or queue a run`);
    }
  }

  /** Extends the lease and records the run's progress; false when `lease.owner` no longer holds it (another instance took over). */
  async renewLease(planId: string, status: BaselineStatus, at: string, lease: Lease): Promise<boolean> {
    const renewed = await this.#db
      .updateTable('baseline_runs')
      .set({ status: JSON.stringify(status), updated_at: at, lease_expires_at: dbNowPlus(this.#db, lease.ms) })
      .where('plan_id', '=', planId)
      .where('lease_owner', '=', lease.owner)
      .executeTakeFirst();
    return Number(renewed.numUpdatedRows) === 1;
  }

  /**
   * Lets go of the lease without ending the run, which stays marked running (a stop cut it short):
   * any instance's check for lapsed runs takes it over at once.
   */
  async releaseLease(planId: string, owner: string): Promise<void> {
    await this.#db
      .updateTable('baseline_runs')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('plan_id', '=', planId)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /**
   * Runs marked running that no live instance holds: never leased (asked for during a stop),
   * released, or leased by an instance that stopped renewing. On SQLite every lease but `owner`'s
   * (see claimRun).
   */
  async lapsedRuns(owner: string): Promise<LapsedRun[]> {
    const postgres = dialectOf(this.#db) === 'postgres';
    const rows = await this.#db
      .selectFrom('baseline_runs')
      .select(['plan_id', 'status', 'queued'])
      .where('state', '=', 'running')
      .where((eb) =>
        eb.or([
          eb('lease_owner', 'is', null),
          postgres
            ? eb.and([eb('lease_owner', '<>', owner), eb('lease_expires_at', '<', dbNow(this.#db))])
            : eb('lease_owner', '<>', owner),
        ]),
      )
      .orderBy('plan_id')
      .execute();
    return rows.map((row) => ({ planId: row.plan_id, status: JSON.parse(row.status) as BaselineStatus, queued: row.queued }));
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

/**
 * Lets go of `owner`'s lease inside a transaction that ends its run, reading (and clearing) a run
 * queued meanwhile; not recorded when another instance holds the lease now.
 */
async function endLease(trx: Db, postgres: boolean, planId: string, owner: string): Promise<EndedRun> {
  const select = trx.selectFrom('baseline_runs').select(['lease_owner', 'queued']).where('plan_id', '=', planId);
  // The row stays locked until the commit, so a run queued from now on waits and then claims.
  const row = await (postgres ? select.forUpdate() : select).executeTakeFirst();
  if (row && row.lease_owner !== null && row.lease_owner !== owner) return { recorded: false, queued: null };
  await trx
    .updateTable('baseline_runs')
    .set({ lease_owner: null, lease_expires_at: null, queued: null })
    .where('plan_id', '=', planId)
    .execute();
  return { recorded: true, queued: row?.queued ?? null };
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

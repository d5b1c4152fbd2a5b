import { sql, type Kysely } from 'kysely';
import type { SqlDialect } from './dialect.ts';
import type { Database } from './schema.ts';

/**
 * The first key of every PostgreSQL advisory lock Accord takes ('accd' in ASCII), so that its locks
 * never collide with another application's on the same database.
 */
export const ADVISORY_LOCK_SPACE = 0x61636364;

/**
 * The first key of the lock a compaction of one document tries to take ('acdc': Accord document
 * compaction); the second is `hashtext(document id)`. Two documents whose ids hash alike only ever
 * skip a compaction, which the next one makes up for.
 */
export const COMPACTION_LOCK_SPACE = 0x61636463;

/** The second key: one per kind of work that instances sharing a database must do one at a time. */
export const AdvisoryLock = {
  /** Appending to the snapshot hash chain: read the last link, insert the next. */
  snapshotChain: 1,
  /** Seeding the demo workspace into an empty database at start-up. */
  seed: 2,
} as const;
export type AdvisoryLock = (typeof AdvisoryLock)[keyof typeof AdvisoryLock];

/**
 * Holds `lock` until the transaction `trx` ends (pg_advisory_xact_lock): another instance asking
 * for it waits until this one commits or rolls back. On SQLite nothing is needed: one process
 * owns the file (the data-directory lock) and Kysely runs its transactions one at a time.
 */
export async function lockForTransaction(trx: Kysely<Database>, dialect: SqlDialect, lock: AdvisoryLock): Promise<void> {
  if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${ADVISORY_LOCK_SPACE}, ${lock})`.execute(trx);
}

/**
 * Runs `work` while holding `lock` on a connection of its own (pg_advisory_lock), for work that
 * spans many transactions, such as seeding; waits as long as another instance holds it. On SQLite
 * it just runs `work`.
 */
export async function withSessionLock<T>(
  db: Kysely<Database>,
  dialect: SqlDialect,
  lock: AdvisoryLock,
  work: () => Promise<T>,
): Promise<T> {
  if (dialect !== 'postgres') return work();
  return db.connection().execute(async (connection) => {
    // The pool's lock_timeout is for row and table locks; this one may wait for a whole seed.
    await sql`set lock_timeout = 0`.execute(connection);
    await sql`select pg_advisory_lock(${ADVISORY_LOCK_SPACE}, ${lock})`.execute(connection);
    try {
      return await work();
    } finally {
      await sql`select pg_advisory_unlock(${ADVISORY_LOCK_SPACE}, ${lock})`.execute(connection);
      await sql`reset lock_timeout`.execute(connection);
    }
  });
}

import type { Kysely } from 'kysely';

// Frozen: describes the schema as it shipped. Never edit it; add a migration.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Several instances may share the database (#19): the instance running a plan's baseline holds a
  // lease on it (its id, and when the lease lapses unless renewed), and a run asked for on another
  // instance meanwhile waits in `queued` (JSON: what started it, the season length) for the holder
  // to run next. One column per statement: SQLite adds one column per ALTER TABLE.
  await db.schema.alterTable('baseline_runs').addColumn('lease_owner', 'text').execute();
  await db.schema.alterTable('baseline_runs').addColumn('lease_expires_at', 'text').execute();
  await db.schema.alterTable('baseline_runs').addColumn('queued', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('baseline_runs').dropColumn('queued').execute();
  await db.schema.alterTable('baseline_runs').dropColumn('lease_expires_at').execute();
  await db.schema.alterTable('baseline_runs').dropColumn('lease_owner').execute();
}

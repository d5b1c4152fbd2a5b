import { sql, type Kysely } from 'kysely';
import { addSerialId, columnTypes, type SqlDialect } from '../dialect.ts';

// Frozen: describes the schema as it shipped. Never edit it; add a migration.
// (The dialect branches came later, for PostgreSQL; on SQLite this runs exactly as it shipped.)

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { blob } = columnTypes(dialect);
  // Index of comment messages (the document holds the threads): for inboxes and mentions.
  await db.schema
    .createTable('comment_messages')
    .addColumn('document_id', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('author_id', 'text', (c) => c.notNull())
    .addColumn('thread_author_id', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('anchor', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('comment_messages_pk', ['document_id', 'thread_id', 'message_id'])
    .execute();
  await db.schema
    .createTable('comment_mentions')
    .addColumn('document_id', 'text', (c) => c.notNull())
    .addColumn('thread_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('comment_mentions_pk', ['document_id', 'thread_id', 'message_id', 'user_id'])
    .execute();
  await db.schema.createIndex('comment_mentions_user').on('comment_mentions').column('user_id').execute();
  await db.schema
    .createTable('inbox_reads')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('decisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('rationale', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('due_date', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open','in-progress','done','dropped')`))
    .addColumn('links', 'text', (c) => c.notNull())
    .addColumn('cycle', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('decided_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('decisions_plan').on('decisions').columns(['plan_id', 'due_date']).execute();
  await addSerialId(db.schema.createTable('decision_history'), dialect)
    .addColumn('decision_id', 'text', (c) => c.notNull().references('decisions.id').onDelete('cascade'))
    .addColumn('changed_by', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .addColumn('changes', 'text', (c) => c.notNull())
    .execute();

  // Locked consensus versions. Immutable: the triggers below refuse any UPDATE or DELETE, so not
  // even a direct SQL statement can rewrite an agreed plan (PostgreSQL gets equivalent triggers).
  await db.schema
    .createTable('snapshots')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('chain_index', 'integer', (c) => c.notNull().unique())
    .addColumn('plan_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('cycle', 'text', (c) => c.notNull())
    .addColumn('locked_by', 'text', (c) => c.notNull())
    .addColumn('locked_at', 'text', (c) => c.notNull())
    .addColumn('state', blob, (c) => c.notNull())
    .addColumn('tables', 'text', (c) => c.notNull())
    .addColumn('decisions', 'text', (c) => c.notNull())
    .addColumn('previous_hash', 'text')
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('snapshots_plan').on('snapshots').columns(['plan_id', 'locked_at']).execute();
  if (dialect === 'postgres') {
    // The same refusal as SQLite's triggers, with the same message; TRUNCATE, which skips row
    // triggers, is refused too.
    await sql`create function snapshots_immutable() returns trigger language plpgsql as $$ begin raise exception 'snapshots are immutable'; end $$`.execute(
      db,
    );
    await sql`create trigger snapshots_no_update before update on snapshots for each row execute function snapshots_immutable()`.execute(
      db,
    );
    await sql`create trigger snapshots_no_delete before delete on snapshots for each row execute function snapshots_immutable()`.execute(
      db,
    );
    await sql`create trigger snapshots_no_truncate before truncate on snapshots for each statement execute function snapshots_immutable()`.execute(
      db,
    );
  } else {
    await sql`create trigger snapshots_no_update before update on snapshots begin select raise(abort, 'snapshots are immutable'); end`.execute(
      db,
    );
    await sql`create trigger snapshots_no_delete before delete on snapshots begin select raise(abort, 'snapshots are immutable'); end`.execute(
      db,
    );
  }

  // The monthly cycle: an owner and a due date per stage of each plan.
  await db.schema
    .createTable('cycle_stages')
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id').onDelete('cascade'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text')
    .addColumn('due_date', 'text')
    .addPrimaryKeyConstraint('cycle_stages_pk', ['plan_id', 'stage'])
    .execute();
  await db.schema.alterTable('plans').addColumn('baseline_snapshot_id', 'text').execute();
}

export async function down(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  await db.schema.alterTable('plans').dropColumn('baseline_snapshot_id').execute();
  for (const table of [
    'cycle_stages',
    'snapshots',
    'decision_history',
    'decisions',
    'inbox_reads',
    'comment_mentions',
    'comment_messages',
  ]) {
    await db.schema.dropTable(table).execute();
  }
  if (dialect === 'postgres') await sql`drop function snapshots_immutable()`.execute(db);
}

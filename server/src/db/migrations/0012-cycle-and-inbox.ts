import type { Kysely } from 'kysely';

// Frozen: describes the schema as it shipped. Never edit it; add a migration.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Where each plan's cycle stands, mirrored from its document (`meta.cycleStage`, `meta.horizonStart`)
  // by the server's cycle actions, so listing a workspace's plans does not load every document.
  // Null until the server first reads the document of a plan created before this migration.
  await db.schema.alterTable('plans').addColumn('cycle_stage', 'text').execute();
  await db.schema.alterTable('plans').addColumn('cycle', 'text').execute();

  // What happened to a plan's cycle: stages closed and reopened (with the leader's reason), the
  // consensus locked, the next cycle started. The audit log has the same; this is what the cycle bar reads.
  await db.schema
    .createTable('cycle_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id').onDelete('cascade'))
    .addColumn('cycle', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('user_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('cycle_events_plan').on('cycle_events').columns(['plan_id', 'created_at']).execute();

  // Inbox entries that are not comments: a decision assigned to someone, a decision's status
  // changed (for who decided it), a stage opened (for its owner).
  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text')
    .execute();
  await db.schema.createIndex('notifications_user').on('notifications').columns(['user_id', 'created_at']).execute();

  // Comment entries a user opened (each one read on its own, next to "mark all as read").
  await db.schema
    .createTable('inbox_item_reads')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.notNull())
    .addColumn('read_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('inbox_item_reads_pk', ['user_id', 'item_id'])
    .execute();

  // When each member last opened each plan: "changes since my last visit".
  await db.schema
    .createTable('plan_visits')
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id').onDelete('cascade'))
    .addColumn('visited_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('plan_visits_pk', ['user_id', 'plan_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('plan_visits').execute();
  await db.schema.dropTable('inbox_item_reads').execute();
  await db.schema.dropTable('notifications').execute();
  await db.schema.dropTable('cycle_events').execute();
  await db.schema.alterTable('plans').dropColumn('cycle').execute();
  await db.schema.alterTable('plans').dropColumn('cycle_stage').execute();
}

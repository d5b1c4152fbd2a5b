import { sql, type Kysely } from 'kysely';
import { columnTypes, type SqlDialect } from '../dialect.ts';

// Frozen: describes the schema as it shipped. Never edit it; add a migration.
// (The dialect branch came later, for PostgreSQL; on SQLite this runs exactly as it shipped.)

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { blob } = columnTypes(dialect);
  // A scenario is a second Yjs document of a plan; its id is its document id in
  // document_states / document_updates / cell_history, like a plan's.
  await db.schema
    .createTable('scenarios')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('active','archived')`))
    // 'live' or the id of the snapshot it was forked from.
    .addColumn('forked_from', 'text', (c) => c.notNull())
    // The plan's encoded state at the fork: the common ancestor of the three-way merge view.
    .addColumn('fork_state', blob, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scenarios_plan').on('scenarios').columns(['plan_id', 'status', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('scenarios').execute();
}

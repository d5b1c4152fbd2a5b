import { sql, type Kysely } from 'kysely';
import { columnTypes, type SqlDialect } from '../dialect.ts';

// Frozen: describes the schema as it shipped. Never edit it; add a migration.

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { blob } = columnTypes(dialect);
  // Each change a baseline run (or a restore) made to a plan's statistical layer, so that none is
  // silent: the record a planner reads (JSON: what started it, counts, the biggest changes, products
  // whose forecast changed shape), every changed cell with its value before and after, and the
  // per-product fits that were current before it (both gzipped JSON), which a restore puts back.
  await db.schema
    .createTable('baseline_changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('run','restore')`))
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .addColumn('record', 'text', (c) => c.notNull())
    .addColumn('cells', blob, (c) => c.notNull())
    .addColumn('fits_before', blob, (c) => c.notNull())
    // Set when a later restore put this change's previous values back.
    .addColumn('restored_at', 'text')
    .addColumn('restored_by', 'text')
    .addColumn('restored_by_change', 'text')
    .execute();
  await db.schema.createIndex('baseline_changes_plan').on('baseline_changes').columns(['plan_id', 'finished_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('baseline_changes').execute();
}

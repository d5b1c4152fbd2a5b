import { sql, type Kysely } from 'kysely';

// Frozen: describes the schema as it shipped. Never edit it; add a migration.

export async function up(db: Kysely<unknown>): Promise<void> {
  // The last run of a plan's statistical baseline job: its status (JSON, as the API shows it) and,
  // in its own column, its state, so that runs a restart interrupted can be found and resumed.
  await db.schema
    .createTable('baseline_runs')
    .addColumn('plan_id', 'text', (c) => c.primaryKey().references('plans.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('idle','running','done','failed')`))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // How each product's baseline was fitted in the plan's last finished run (JSON).
  await db.schema
    .createTable('baseline_fits')
    .addColumn('plan_id', 'text', (c) => c.notNull().references('plans.id').onDelete('cascade'))
    .addColumn('product_id', 'text', (c) => c.notNull())
    .addColumn('fit', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('baseline_fits_pk', ['plan_id', 'product_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('baseline_fits').execute();
  await db.schema.dropTable('baseline_runs').execute();
}

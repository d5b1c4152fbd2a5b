import type { Kysely } from 'kysely';
import { addSerialId, columnTypes, type SqlDialect } from '../dialect.ts';

// Frozen: describes the schema as it shipped. Never edit it; add a migration.
// (The dialect branches came later, for PostgreSQL; on SQLite this runs exactly as it shipped.)

export async function up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void> {
  const { blob, real } = columnTypes(dialect);
  // One row per changed cell of an accepted update: the lineage behind every number.
  await addSerialId(db.schema.createTable('cell_history'), dialect)
    .addColumn('document_id', 'text', (c) => c.notNull())
    .addColumn('root', 'text', (c) => c.notNull())
    .addColumn('cell_key', 'text', (c) => c.notNull())
    .addColumn('old_value', real)
    .addColumn('new_value', real)
    .addColumn('user_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('cell_history_cell').on('cell_history').columns(['document_id', 'root', 'cell_key', 'id']).execute();
  await db.schema.createIndex('cell_history_time').on('cell_history').columns(['document_id', 'created_at']).execute();

  // Personal API tokens for scripts: only a SHA-256 of the secret is stored, like sessions.
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', blob, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('api_tokens_user_id').on('api_tokens').column('user_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('api_tokens').execute();
  await db.schema.dropTable('cell_history').execute();
}

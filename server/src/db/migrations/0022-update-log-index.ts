import type { Kysely } from 'kysely';

// Frozen: describes the schema as it shipped. Never edit it; add a migration.

export async function up(db: Kysely<unknown>): Promise<void> {
  // The update log is read and folded by sequence number (document_updates_seq, unique); the index
  // by row id is one more page written by every accepted edit and nothing reads it any more.
  await db.schema.dropIndex('document_updates_document_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('document_updates_document_id').on('document_updates').columns(['document_id', 'id']).execute();
}

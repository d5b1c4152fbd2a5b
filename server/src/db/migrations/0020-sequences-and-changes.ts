import { sql, type Kysely } from 'kysely';

// Frozen: describes the schema as it shipped. Never edit it; add a migration.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Every accepted update of a document gets the next number of that document's own gap-free
  // sequence, assigned in the commit that stores it; a receiver that sees a number skipped knows
  // it missed an update. `document_heads` holds the last number given out.
  await db.schema
    .createTable('document_heads')
    .addColumn('document_id', 'text', (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .alterTable('document_updates')
    .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Updates already logged are numbered in the order they were accepted.
  await sql`update document_updates set seq = (
      select count(*) from document_updates as earlier
      where earlier.document_id = document_updates.document_id and earlier.id <= document_updates.id)`.execute(db);
  await sql`insert into document_heads (document_id, seq)
      select document_id, max(seq) from document_updates group by document_id`.execute(db);
  await db.schema.createIndex('document_updates_seq').on('document_updates').columns(['document_id', 'seq']).unique().execute();
  // The compacted state includes every update up to this number (the updates logged so far were
  // numbered from 1 above, so every existing state is at 0).
  await db.schema
    .alterTable('document_states')
    .addColumn('through_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  // One row per accepted change (a client's update or a server change): who, when, how it was made
  // (typed, pasted, spread, import, merge, baseline…) and a line in planner words. The cells it
  // changed are the cell_history rows with the same document and sequence number.
  await db.schema
    .createTable('document_changes')
    .addColumn('document_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('cells', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('document_changes_pk', ['document_id', 'seq'])
    .execute();
  await db.schema.alterTable('cell_history').addColumn('seq', 'integer').execute();
  await db.schema.createIndex('cell_history_change').on('cell_history').columns(['document_id', 'seq']).execute();

  // Which user a Yjs client id of a document belongs to, recorded when an update first brings
  // structs of that id: nobody else may then write under it (a forged id could claim the next
  // clock range of someone's offline edit and make the server drop it). Ids written by the server
  // have no row and no client may extend them.
  await db.schema
    .createTable('document_clients')
    .addColumn('document_id', 'text', (c) => c.notNull())
    .addColumn('client_id', 'bigint', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('document_clients_pk', ['document_id', 'client_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('document_clients').execute();
  await db.schema.dropIndex('cell_history_change').execute();
  await db.schema.alterTable('cell_history').dropColumn('seq').execute();
  await db.schema.dropTable('document_changes').execute();
  await db.schema.alterTable('document_states').dropColumn('through_seq').execute();
  await db.schema.dropIndex('document_updates_seq').execute();
  await db.schema.alterTable('document_updates').dropColumn('seq').execute();
  await db.schema.dropTable('document_heads').execute();
}

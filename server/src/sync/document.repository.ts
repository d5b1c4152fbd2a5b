import type { Db } from '../db/database.ts';

/** What is stored of one document: the compacted state and the updates accepted after it. */
export interface StoredDocument {
  state: Uint8Array | undefined;
  updates: { id: number; data: Uint8Array }[];
}

/** One changed cell of an update; null is an empty cell. */
export interface CellChange {
  root: string;
  key: string;
  oldValue: number | null;
  newValue: number | null;
}

/** Storage of Yjs documents: an append-only update log compacted into a state blob. */
export class DocumentRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  async load(documentId: string): Promise<StoredDocument> {
    const state = await this.#db.selectFrom('document_states').select('state').where('document_id', '=', documentId).executeTakeFirst();
    const updates = await this.#db
      .selectFrom('document_updates')
      .select(['id', 'data'])
      .where('document_id', '=', documentId)
      .orderBy('id')
      .execute();
    return { state: state?.state, updates };
  }

  /**
   * Appends one accepted update and the cells it changed, in one transaction; resolves once both
   * are committed. Returns the update's log id.
   */
  async append(documentId: string, data: Uint8Array, userId: string | null, createdAt: string, cells: CellChange[] = []): Promise<number> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('document_updates')
        .values({ document_id: documentId, data, user_id: userId, created_at: createdAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      // SQLite allows 32,766 bound parameters per statement: 8 columns × 1,000 rows stays far below.
      for (let i = 0; i < cells.length; i += 1000) {
        await trx
          .insertInto('cell_history')
          .values(
            cells.slice(i, i + 1000).map((c) => ({
              document_id: documentId,
              root: c.root,
              cell_key: c.key,
              old_value: c.oldValue,
              new_value: c.newValue,
              user_id: userId,
              created_at: createdAt,
            })),
          )
          .execute();
      }
      return row.id;
    });
  }

  /** Replaces the state with `state` and drops the updates it includes, in one transaction. */
  async compact(documentId: string, state: Uint8Array, throughUpdateId: number, updatedAt: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('document_states')
        .values({ document_id: documentId, state, updated_at: updatedAt })
        .onConflict((oc) => oc.column('document_id').doUpdateSet({ state, updated_at: updatedAt }))
        .execute();
      await trx.deleteFrom('document_updates').where('document_id', '=', documentId).where('id', '<=', throughUpdateId).execute();
    });
  }
}

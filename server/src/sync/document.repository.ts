import type { Db } from '../db/database.ts';

/** What is stored of one document: the compacted state and the updates accepted after it. */
export interface StoredDocument {
  state: Uint8Array | undefined;
  updates: { id: number; data: Uint8Array }[];
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

  /** Appends one accepted update; resolves once it is committed. Returns its log id. */
  async append(documentId: string, data: Uint8Array, userId: string | null, createdAt: string): Promise<number> {
    const row = await this.#db
      .insertInto('document_updates')
      .values({ document_id: documentId, data, user_id: userId, created_at: createdAt })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
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

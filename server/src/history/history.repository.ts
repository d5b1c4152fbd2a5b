import type { CellChangeView } from '@accord/protocol';
import type { Db } from '../db/database.ts';

/** Queries on the per-cell change log. */
export class HistoryRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  #base(documentId: string) {
    return this.#db
      .selectFrom('cell_history')
      .leftJoin('users', 'users.id', 'cell_history.user_id')
      .select([
        'cell_history.root as root',
        'cell_history.cell_key as key',
        'cell_history.old_value as oldValue',
        'cell_history.new_value as newValue',
        'cell_history.user_id as userId',
        'users.name as userName',
        'cell_history.created_at as at',
      ])
      .where('cell_history.document_id', '=', documentId);
  }

  /** Every change of one cell, newest first. */
  cellHistory(documentId: string, root: string, key: string, limit: number): Promise<CellChangeView[]> {
    return this.#base(documentId)
      .where('cell_history.root', '=', root)
      .where('cell_history.cell_key', '=', key)
      .orderBy('cell_history.id', 'desc')
      .limit(limit)
      .execute();
  }

  /** Changes after a point in time, oldest first ("what changed since you last looked"). */
  changesSince(documentId: string, sinceIso: string, limit: number): Promise<CellChangeView[]> {
    return this.#base(documentId).where('cell_history.created_at', '>', sinceIso).orderBy('cell_history.id').limit(limit).execute();
  }
}

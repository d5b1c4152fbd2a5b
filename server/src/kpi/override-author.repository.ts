import type { Db } from '../db/database.ts';

/** The last person to set a cell, from the per-cell change log. */
export interface LastAuthor {
  key: string;
  userId: string | null;
  userName: string | null;
}

/** Queries on cell_history for forecast value added per author. */
export class OverrideAuthorRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** The last author of every cell of a root that has any history (portable SQL: no bare columns with max()). */
  async lastAuthors(documentId: string, root: string): Promise<LastAuthor[]> {
    return this.#db
      .selectFrom('cell_history')
      .leftJoin('users', 'users.id', 'cell_history.user_id')
      .select(['cell_history.cell_key as key', 'cell_history.user_id as userId', 'users.name as userName'])
      .where('cell_history.id', 'in', (qb) =>
        qb
          .selectFrom('cell_history')
          .select((eb) => eb.fn.max('cell_history.id').as('id'))
          .where('document_id', '=', documentId)
          .where('root', '=', root)
          .groupBy('cell_key'),
      )
      .execute();
  }
}

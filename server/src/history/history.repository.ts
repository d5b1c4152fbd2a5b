import type { CellChangeView, ChangeKind, ChangeView } from '@accord/protocol';
import type { Db } from '../db/database.ts';

/** Queries on the per-cell change log and the changes (one per accepted update) it belongs to. */
export class HistoryRepository {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  #base(documentId: string) {
    return this.#db
      .selectFrom('cell_history')
      .leftJoin('users', 'users.id', 'cell_history.user_id')
      .leftJoin('document_changes', (join) =>
        join.onRef('document_changes.document_id', '=', 'cell_history.document_id').onRef('document_changes.seq', '=', 'cell_history.seq'),
      )
      .select([
        'cell_history.root as root',
        'cell_history.cell_key as key',
        'cell_history.old_value as oldValue',
        'cell_history.new_value as newValue',
        'cell_history.user_id as userId',
        'users.name as userName',
        'cell_history.created_at as at',
        'cell_history.seq as seq',
        'document_changes.kind as kind',
        'document_changes.summary as summary',
      ])
      .where('cell_history.document_id', '=', documentId);
  }

  /** Every change of one cell, newest first. */
  async cellHistory(documentId: string, root: string, key: string, limit: number): Promise<CellChangeView[]> {
    const rows = await this.#base(documentId)
      .where('cell_history.root', '=', root)
      .where('cell_history.cell_key', '=', key)
      .orderBy('cell_history.id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(toCellChange);
  }

  /** Changes after a point in time, oldest first ("what changed since you last looked"). */
  async changesSince(documentId: string, sinceIso: string, limit: number): Promise<CellChangeView[]> {
    const rows = await this.#base(documentId)
      .where('cell_history.created_at', '>', sinceIso)
      .orderBy('cell_history.id')
      .limit(limit)
      .execute();
    return rows.map(toCellChange);
  }

  /** A document's changes, newest first: after `sinceIso` if given, before sequence `beforeSeq` if given (paging). */
  async changes(documentId: string, options: { sinceIso?: string; beforeSeq?: number; limit: number }): Promise<ChangeView[]> {
    let query = this.#changes(documentId);
    if (options.sinceIso !== undefined) query = query.where('document_changes.created_at', '>', options.sinceIso);
    if (options.beforeSeq !== undefined) query = query.where('document_changes.seq', '<', options.beforeSeq);
    const rows = await query.orderBy('document_changes.seq', 'desc').limit(options.limit).execute();
    return rows.map(toChange);
  }

  /** One change and the cells it changed; undefined when the document has no such change. */
  async change(
    documentId: string,
    seq: number,
  ): Promise<{ change: ChangeView; cells: Omit<CellChangeView, 'userId' | 'userName' | 'at' | 'seq' | 'kind' | 'summary'>[] } | undefined> {
    const row = await this.#changes(documentId).where('document_changes.seq', '=', seq).executeTakeFirst();
    if (!row) return undefined;
    const cells = await this.#db
      .selectFrom('cell_history')
      .select(['root', 'cell_key as key', 'old_value as oldValue', 'new_value as newValue'])
      .where('document_id', '=', documentId)
      .where('seq', '=', seq)
      .orderBy('id')
      .execute();
    return { change: toChange(row), cells };
  }

  #changes(documentId: string) {
    return this.#db
      .selectFrom('document_changes')
      .leftJoin('users', 'users.id', 'document_changes.user_id')
      .select([
        'document_changes.seq as seq',
        'document_changes.kind as kind',
        'document_changes.summary as summary',
        'document_changes.user_id as userId',
        'users.name as userName',
        'document_changes.created_at as at',
        'document_changes.cells as cells',
      ])
      .where('document_changes.document_id', '=', documentId);
  }
}

function toCellChange(row: {
  root: string;
  key: string;
  oldValue: number | null;
  newValue: number | null;
  userId: string | null;
  userName: string | null;
  at: string;
  seq: number | null;
  kind: string | null;
  summary: string | null;
}): CellChangeView {
  return { ...row, seq: row.seq === null ? null : Number(row.seq), kind: row.kind as ChangeKind | null };
}

function toChange(row: {
  seq: number;
  kind: string;
  summary: string;
  userId: string | null;
  userName: string | null;
  at: string;
  cells: number;
}): ChangeView {
  return { ...row, seq: Number(row.seq), kind: row.kind as ChangeKind, cells: Number(row.cells) };
}

import type { CellChangeView, ChangeKind, ChangeView } from '@accord/protocol';
import { sql } from 'kysely';
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

  /**
   * A document's changes, newest first: after `sinceIso` if given, before sequence `beforeSeq` if
   * given (paging). Changes with a record (server changes, edits a change note described) and plain
   * edits, which have only their cells, alike.
   */
  async changes(documentId: string, options: { sinceIso?: string; beforeSeq?: number; limit: number }): Promise<ChangeView[]> {
    const since = options.sinceIso ?? '';
    // Sequence numbers are 32-bit integers in the schema; PostgreSQL types the parameter alike.
    const before = Math.min(options.beforeSeq ?? MAX_SEQ, MAX_SEQ);
    const { rows } = await sql<ChangeRow>`
      select c.seq as "seq", c.kind as "kind", c.summary as "summary", c.user_id as "userId", u.name as "userName",
             c.created_at as "at", c.cells as "cells"
        from document_changes c left join users u on u.id = c.user_id
       where c.document_id = ${documentId} and c.created_at > ${since} and c.seq < ${before}
      union all
      select h.seq, 'edited', '', min(h.user_id), min(u.name), min(h.created_at), count(*)
        from cell_history h left join users u on u.id = h.user_id
       where h.document_id = ${documentId} and h.seq is not null and h.seq < ${before} and h.created_at > ${since}
         and not exists (select 1 from document_changes c where c.document_id = h.document_id and c.seq = h.seq)
       group by h.seq
      order by 1 desc
      limit ${options.limit}`.execute(this.#db);
    return rows.map(toChange);
  }

  /** One change and the cells it changed; undefined when the document has no such change. */
  async change(
    documentId: string,
    seq: number,
  ): Promise<{ change: ChangeView; cells: Omit<CellChangeView, 'userId' | 'userName' | 'at' | 'seq' | 'kind' | 'summary'>[] } | undefined> {
    const [change] = await this.changes(documentId, { beforeSeq: seq + 1, limit: 1 });
    if (!change || change.seq !== seq) return undefined;
    const cells = await this.#db
      .selectFrom('cell_history')
      .select(['root', 'cell_key as key', 'old_value as oldValue', 'new_value as newValue'])
      .where('document_id', '=', documentId)
      .where('seq', '=', seq)
      .orderBy('id')
      .execute();
    return { change, cells };
  }
}

const MAX_SEQ = 2_147_483_647;

interface ChangeRow {
  seq: number;
  kind: string;
  summary: string;
  userId: string | null;
  userName: string | null;
  at: string;
  cells: number;
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
  // A cell of a plain edit belongs to a change with no record: it was edited, nothing more said.
  const seq = row.seq === null ? null : Number(row.seq);
  return {
    ...row,
    seq,
    kind: (row.kind ?? (seq === null ? null : 'edited')) as ChangeKind | null,
    summary: row.summary ?? (seq === null ? null : ''),
  };
}

function toChange(row: ChangeRow): ChangeView {
  return { ...row, seq: Number(row.seq), kind: row.kind as ChangeKind, cells: Number(row.cells) };
}

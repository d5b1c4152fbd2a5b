import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Db } from '../db/database.ts';
import { testDatabase, testPostgresDatabase, type TestPostgres } from '../db/test-database.ts';
import { SequenceConflictError, type AppendRequest, type CellChange } from './document-store.ts';
import { DocumentRepository } from './document.repository.ts';

const AT = '2027-01-15T09:30:00.000Z';

/** A plain edit by u1 (kind `edited`, no summary) of `cells`, after `afterSeq`. */
function edit(documentId: string, afterSeq: number, cells: CellChange[] = [], more: Partial<AppendRequest> = {}): AppendRequest {
  return {
    documentId,
    update: new Uint8Array([afterSeq + 1, 0, 255, 7]),
    afterSeq,
    userId: 'u1',
    at: AT,
    kind: 'edited',
    summary: '',
    cells,
    newClients: [],
    ...more,
  };
}

/** Everything an append may have written for a document, in insertion order. */
async function written(db: Db, documentId: string) {
  const updates = await db
    .selectFrom('document_updates')
    .select(['seq', 'data', 'user_id', 'created_at'])
    .where('document_id', '=', documentId)
    .orderBy('seq')
    .execute();
  const history = await db
    .selectFrom('cell_history')
    .select(['seq', 'root', 'cell_key', 'old_value', 'new_value', 'user_id', 'created_at'])
    .where('document_id', '=', documentId)
    .orderBy('id')
    .execute();
  const changes = await db
    .selectFrom('document_changes')
    .select(['seq', 'user_id', 'created_at', 'kind', 'summary', 'cells'])
    .where('document_id', '=', documentId)
    .orderBy('seq')
    .execute();
  const clients = await db
    .selectFrom('document_clients')
    .select(['client_id', 'user_id'])
    .where('document_id', '=', documentId)
    .orderBy('client_id')
    .execute();
  return {
    updates: updates.map((u) => ({ ...u, seq: Number(u.seq), data: [...u.data] })),
    history: history.map((h) => ({ ...h, seq: Number(h.seq) })),
    changes: changes.map((c) => ({ ...c, seq: Number(c.seq), cells: Number(c.cells) })),
    clients: clients.map((c) => ({ client_id: Number(c.client_id), user_id: c.user_id })),
  };
}

describe.each(['sqlite', 'postgres'] as const)('DocumentRepository.append on %s', (dialect) => {
  let db: Db;
  let pg: TestPostgres | undefined;
  let documents: DocumentRepository;
  beforeAll(async () => {
    if (dialect === 'postgres') {
      pg = await testPostgresDatabase();
      db = pg.db;
    } else db = await testDatabase();
    documents = new DocumentRepository(db);
  });
  afterAll(async () => {
    if (pg) await pg.drop();
    else await db?.destroy();
  });

  it('numbers a document from 1 and refuses an append that does not follow the last number, writing none of it', async () => {
    expect(await documents.append(edit('numbered', 0, [{ root: 'sales', key: 'A|2027-01', oldValue: null, newValue: 1 }]))).toBe(1);
    expect(await documents.append(edit('numbered', 1))).toBe(2);
    const before = await written(db, 'numbered');

    const stale = edit('numbered', 1, [{ root: 'sales', key: 'A|2027-01', oldValue: 1, newValue: 5 }], {
      kind: 'import',
      summary: 'Actuals import: 1 cell',
      newClients: [42],
    });
    await expect(documents.append(stale)).rejects.toBeInstanceOf(SequenceConflictError);
    // Another instance's first append of a document that already has one.
    await expect(documents.append(edit('numbered', 0))).rejects.toBeInstanceOf(SequenceConflictError);
    expect(await written(db, 'numbered')).toEqual(before);
    expect(before.updates.map((u) => u.seq)).toEqual([1, 2]);
    expect((await documents.load('numbered')).seq).toBe(2);
    expect(await documents.append(edit('numbered', 2))).toBe(3);
  });

  it('stores the update and every cell in order, empty old and new values as null, with who and when', async () => {
    // Keys with the characters an array literal escapes, and more cells than one SQLite batch.
    const odd = [
      'a,b|2027-01',
      'quote"d|2027-02',
      'back\\slash|2027-03',
      '{braces}|2027-04',
      'NULL',
      ' spaced |2027-05',
      'Ünïcødé ✓|2027-06',
    ];
    const cells: CellChange[] = [
      ...odd.map((key, i) => ({ root: 'sales', key, oldValue: i % 2 ? null : i + 0.1, newValue: i % 3 ? 1e9 - i : null })),
      ...Array.from({ length: 2_500 }, (_, i) => ({
        root: i % 2 ? 'production' : 'prices',
        key: `SKU-${i}|2027-${String((i % 12) + 1).padStart(2, '0')}`,
        oldValue: i % 5 === 0 ? null : i / 7,
        newValue: i % 11 === 0 ? null : -i * 0.001,
      })),
    ];
    const request = edit('cells', 0, cells);
    expect(await documents.append(request)).toBe(1);
    const stored = await written(db, 'cells');
    expect(stored.updates).toEqual([{ seq: 1, data: [...request.update], user_id: 'u1', created_at: AT }]);
    expect(stored.history).toEqual(
      cells.map((c) => ({
        seq: 1,
        root: c.root,
        cell_key: c.key,
        old_value: c.oldValue,
        new_value: c.newValue,
        user_id: 'u1',
        created_at: AT,
      })),
    );
    // A plain edit has no change record: it is derived from its cells when read.
    expect(stored.changes).toEqual([]);
  });

  it('writes the change record of a change that says how it was made, and none for a plain edit', async () => {
    const cells: CellChange[] = [
      { root: 'sales', key: 'A|2027-01', oldValue: 1, newValue: 2 },
      { root: 'sales', key: 'A|2027-02', oldValue: null, newValue: 3 },
    ];
    await documents.append(edit('changes', 0, cells));
    await documents.append(edit('changes', 1, cells, { kind: 'pasted', summary: '' }));
    await documents.append(edit('changes', 2, cells, { kind: 'edited', summary: 'Raised the January forecast' }));
    await documents.append(edit('changes', 3, [], { userId: null, kind: 'plan-setup', summary: 'Plan layout upgraded' }));
    expect((await written(db, 'changes')).changes).toEqual([
      { seq: 2, user_id: 'u1', created_at: AT, kind: 'pasted', summary: '', cells: 2 },
      { seq: 3, user_id: 'u1', created_at: AT, kind: 'edited', summary: 'Raised the January forecast', cells: 2 },
      { seq: 4, user_id: null, created_at: AT, kind: 'plan-setup', summary: 'Plan layout upgraded', cells: 0 },
    ]);
  });

  it("records the client ids an update claims as its author's, and none for the server's own change", async () => {
    await documents.append(edit('clients', 0, [], { newClients: [1, 4_294_967_295] }));
    await documents.append(edit('clients', 1, [], { newClients: [7], userId: null }));
    expect((await written(db, 'clients')).clients).toEqual([
      { client_id: 1, user_id: 'u1' },
      { client_id: 4_294_967_295, user_id: 'u1' },
    ]);
    const owners = new Map([
      [1, 'u1'],
      [4_294_967_295, 'u1'],
    ]);
    expect((await documents.load('clients')).clients).toEqual(owners);
    expect(await documents.clientOwners('clients')).toEqual(owners);
    expect(await documents.clientOwners('nobody-wrote-here')).toEqual(new Map());
  });

  it('takes a number the log already holds as a sequence conflict and writes nothing', async () => {
    await documents.append(edit('taken', 0));
    // A row the head does not know of (as if written by hand): the log's unique index refuses it.
    await db
      .insertInto('document_updates')
      .values({ document_id: 'taken', seq: 2, data: new Uint8Array([9]), user_id: null, created_at: AT })
      .execute();
    const before = await written(db, 'taken');
    await expect(
      documents.append(edit('taken', 1, [{ root: 'sales', key: 'A|2027-01', oldValue: 1, newValue: 2 }], { newClients: [5] })),
    ).rejects.toBeInstanceOf(SequenceConflictError);
    expect(await written(db, 'taken')).toEqual(before);
    if (dialect === 'postgres') {
      // The head did not move either: the next append after 1 still fits it, the one after 2 does not.
      await expect(documents.append(edit('taken', 2))).rejects.toBeInstanceOf(SequenceConflictError);
    }
  });

  it('reads the updates after a number, or none when some of them were folded into the state', async () => {
    for (let after = 0; after < 5; after++) await documents.append(edit('after', after));
    const seqs = async (seq: number) => (await documents.updatesAfter('after', seq))?.map((u) => [u.seq, [...u.data]]);
    expect(await seqs(2)).toEqual([3, 4, 5].map((n) => [n, [n, 0, 255, 7]]));
    expect(await seqs(5)).toEqual([]);
    expect(await documents.updatesAfter('never-stored', 0)).toEqual([]);
    await documents.compact('after', new Uint8Array([0, 0]), 3, AT);
    expect(await seqs(2)).toBeUndefined();
    expect((await seqs(3))?.map(([n]) => n)).toEqual([4, 5]);
  });

  it('appends exclusively after the updates it missed, with its cells and change record', async () => {
    await documents.append(edit('exclusive', 0));
    await documents.append(edit('exclusive', 1));
    const seq = await documents.appendExclusive('exclusive', 1, (missed) => {
      expect(missed.map((m) => m.seq)).toEqual([2]);
      const { afterSeq: _, ...request } = edit('exclusive', 0, [{ root: 'actuals', key: 'A|2026-12', oldValue: null, newValue: 10 }], {
        userId: null,
        kind: 'import',
        summary: 'Actuals import: 1 cell',
      });
      return request;
    });
    expect(seq).toBe(3);
    const stored = await written(db, 'exclusive');
    expect(stored.history).toEqual([
      { seq: 3, root: 'actuals', cell_key: 'A|2026-12', old_value: null, new_value: 10, user_id: null, created_at: AT },
    ]);
    expect(stored.changes).toEqual([
      { seq: 3, user_id: null, created_at: AT, kind: 'import', summary: 'Actuals import: 1 cell', cells: 1 },
    ]);
    expect(await documents.appendExclusive('exclusive', 3, () => undefined)).toBeUndefined();
  });
});

describe('DocumentRepository.append on PostgreSQL from several instances', () => {
  let pg: TestPostgres;
  let second: Db;
  beforeAll(async () => {
    pg = await testPostgresDatabase();
    // A second pool on the same database: another instance of the server.
    second = await openPostgres(pg.url);
  });
  afterAll(async () => {
    await second?.destroy();
    await pg?.drop();
  });

  it('gives each number to exactly one of the instances racing for it, and keeps the log without gaps', async () => {
    const instances = [new DocumentRepository(pg.db), new DocumentRepository(second)];
    let head = 0;
    for (let round = 0; round < 30; round++) {
      // Four appends after the same number, two per instance (the first round inserts the head row).
      const outcomes = await Promise.allSettled(
        Array.from({ length: 4 }, (_, i) =>
          instances[i % 2]!.append(
            edit('race', head, [{ root: 'sales', key: `A|${round}`, oldValue: null, newValue: i }], { newClients: [1000 * round + i] }),
          ),
        ),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won).toHaveLength(1);
      expect(won[0]!.value).toBe(head + 1);
      for (const lost of outcomes.filter((o) => o.status === 'rejected')) expect(lost.reason).toBeInstanceOf(SequenceConflictError);
      head++;
    }
    const stored = await written(pg.db, 'race');
    expect(stored.updates.map((u) => u.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(stored.history.map((h) => h.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(stored.clients).toHaveLength(30);
  });
});

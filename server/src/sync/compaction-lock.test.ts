import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import pg from 'pg';
import { COMPACTION_LOCK_SPACE } from '../db/advisory-locks.ts';
import { testPostgresDatabase, type TestPostgres } from '../db/test-database.ts';
import { DocumentRepository } from './document.repository.ts';
import { appendForTest } from './test-registry.ts';

/** Three updates of one cell, stored; returns the document that made them. */
async function storeThree(documents: DocumentRepository, documentId: string): Promise<Y.Doc> {
  const doc = new Y.Doc();
  let last = 0;
  for (const value of [1, 2, 3]) {
    const before = Y.encodeStateVector(doc);
    doc.getMap<number>('sales').set('SKU-1|2027-01', value);
    last = await appendForTest(documents, documentId, Y.encodeStateAsUpdate(doc, before), last);
  }
  return doc;
}

describe('DocumentRepository.compact on PostgreSQL (several instances)', () => {
  let database: TestPostgres;
  let other: pg.Client;
  beforeEach(async () => {
    database = await testPostgresDatabase();
    // Another instance's connection to the same database.
    other = new pg.Client({ connectionString: database.url });
    await other.connect();
  });
  afterEach(async () => {
    await other.end();
    await database.drop();
  });

  it('writes nothing while another instance is folding the same document, and folds once it is done', async () => {
    const documents = new DocumentRepository(database.db);
    const doc = await storeThree(documents, 'plan-1');
    await other.query('begin');
    await other.query('select pg_advisory_xact_lock($1, hashtext($2))', [COMPACTION_LOCK_SPACE, 'plan-1']);

    await documents.compact('plan-1', Y.encodeStateAsUpdate(doc), 3, new Date().toISOString());
    let stored = await documents.load('plan-1');
    expect(stored.stateSeq).toBe(0);
    expect(stored.updates.map((u) => u.seq)).toEqual([1, 2, 3]);

    // Another document is not held up by it.
    const second = await storeThree(documents, 'plan-2');
    await documents.compact('plan-2', Y.encodeStateAsUpdate(second), 3, new Date().toISOString());
    expect((await documents.load('plan-2')).stateSeq).toBe(3);

    await other.query('commit');
    await documents.compact('plan-1', Y.encodeStateAsUpdate(doc), 3, new Date().toISOString());
    stored = await documents.load('plan-1');
    expect(stored.stateSeq).toBe(3);
    expect(stored.updates).toEqual([]);
    const loaded = new Y.Doc();
    Y.applyUpdate(loaded, stored.state!);
    expect(loaded.getMap<number>('sales').get('SKU-1|2027-01')).toBe(3);
  });
});

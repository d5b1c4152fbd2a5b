import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Db } from '../db/database.ts';
import { testDatabase } from '../db/test-database.ts';
import { createLogger } from '../logger.ts';
import { DocumentRepository } from './document.repository.ts';
import { LogCompactor } from './log-compactor.ts';
import { appendForTest } from './test-registry.ts';

const log = createLogger('silent');

describe('LogCompactor', () => {
  let dir: string;
  let db: Db | undefined;
  let compactor: LogCompactor | undefined;
  afterEach(async () => {
    await compactor?.stop();
    await db?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function setUp(): Promise<{ store: DocumentRepository; doc: Y.Doc; append: (n: number) => Promise<number> }> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-compact-'));
    const file = path.join(dir, 'test.sqlite');
    db = await testDatabase(file);
    compactor = new LogCompactor(file, log);
    const store = new DocumentRepository(db, { compactor });
    const doc = new Y.Doc();
    let last = 0;
    const append = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const before = Y.encodeStateVector(doc);
        doc.getMap('sales').set(`p${i % 40}|2031-01`, last + i);
        last = await appendForTest(store, 'd1', Y.encodeStateAsUpdate(doc, before), last);
      }
      return last;
    };
    return { store, doc, append };
  }

  it('folds the stored updates up to a sequence number into the state in a worker, keeping the later ones', async () => {
    const { store, doc, append } = await setUp();
    const through = await append(300);
    const later = await append(20);
    const done = store.compactInBackground('d1', through);
    expect(done).not.toBeNull();
    expect(await done).toBe(true);
    const stored = await store.load('d1');
    expect(stored.state).toBeDefined();
    expect(stored.updates.map((u) => u.seq)).toEqual(Array.from({ length: 20 }, (_, i) => later - 19 + i));
    expect(stored.stateSeq).toBe(through);
    expect(stored.seq).toBe(later);
    // State plus the remaining log is exactly the document.
    const reloaded = new Y.Doc();
    Y.applyUpdate(reloaded, stored.state!);
    for (const update of stored.updates) Y.applyUpdate(reloaded, update.data);
    expect(reloaded.getMap('sales').toJSON()).toEqual(doc.getMap('sales').toJSON());
    expect(Y.encodeStateVector(reloaded)).toEqual(Y.encodeStateVector(doc));
  });

  it('leaves the state alone when the updates it was asked to fold are gone (another compaction folded them)', async () => {
    const { store, doc, append } = await setUp();
    const first = await append(50);
    const second = await append(50);
    // The server's own compaction (as on unload) folds everything first.
    await store.compact('d1', Y.encodeStateAsUpdate(doc), second, new Date().toISOString());
    expect(await store.compactInBackground('d1', first)).toBe(false);
    const stored = await store.load('d1');
    expect(stored.updates).toEqual([]);
    const reloaded = new Y.Doc();
    Y.applyUpdate(reloaded, stored.state!);
    expect(reloaded.getMap('sales').toJSON()).toEqual(doc.getMap('sales').toJSON());
  });

  it('swaps the state in only after a transaction open on the connection has ended, so a rollback cannot undo it', async () => {
    const { store, doc, append } = await setUp();
    const through = await append(100);
    let rollBack!: () => void;
    const gate = new Promise<void>((resolve) => (rollBack = resolve));
    const transaction = db!
      .transaction()
      .execute(async (trx) => {
        await trx
          .insertInto('document_updates')
          .values({ document_id: 'd2', seq: 1, data: new Uint8Array([0, 0]), user_id: null, created_at: '' })
          .execute();
        await gate;
        throw new Error('rolled back');
      })
      .catch((e: unknown) => e);
    let swapped: boolean | undefined;
    const done = store.compactInBackground('d1', through)!.then((result) => (swapped = result));
    // The worker has long encoded the log; the swap still waits for the transaction.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(swapped).toBeUndefined();
    rollBack();
    expect(await transaction).toBeInstanceOf(Error);
    await done;
    expect(swapped).toBe(true);
    const stored = await store.load('d1');
    expect(stored.updates).toEqual([]);
    const reloaded = new Y.Doc();
    Y.applyUpdate(reloaded, stored.state!);
    expect(reloaded.getMap('sales').toJSON()).toEqual(doc.getMap('sales').toJSON());
    expect((await store.load('d2')).updates).toEqual([]);
  });

  it('rejects when its worker fails, and is no longer offered, so rooms compact on the event loop', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-compact-'));
    db = await testDatabase(path.join(dir, 'test.sqlite'));
    // A worker that cannot open its database fails as it starts.
    compactor = new LogCompactor(path.join(dir, 'missing.sqlite'), log);
    const store = new DocumentRepository(db, { compactor });
    await expect(store.compactInBackground('d1', 1_000)!).rejects.toThrow(/unable to open|does not exist|missing/i);
    expect(compactor.available).toBe(false);
    expect(store.compactInBackground('d1', 1_000)).toBeNull();
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { Db } from '../db/database.ts';
import { testDatabase } from '../db/test-database.ts';
import { DocumentRepository } from './document.repository.ts';
import { createLogger } from '../logger.ts';
import { DocumentRegistry } from './document-registry.ts';
import { LocalFanout, LocalFanoutHub, type FanoutMessage } from './fanout.ts';
import { appendForTest, testRegistry } from './test-registry.ts';

/** A fan-out whose outgoing messages can be cut, as a Redis publisher that is reconnecting drops them. */
class BreakableFanout extends LocalFanout {
  broken = false;
  readonly #resync = new Set<() => void>();
  override publish(message: FanoutMessage): void {
    if (!this.broken) super.publish(message);
  }
  override onResync(listener: () => void): () => void {
    this.#resync.add(listener);
    return () => this.#resync.delete(listener);
  }
  /** The connection is back. */
  mend(): void {
    this.broken = false;
    for (const listener of this.#resync) listener();
  }
}

describe('DocumentRegistry', () => {
  let db: Db;
  let documents: DocumentRepository;
  let sync: DocumentRegistry;
  beforeEach(async () => {
    db = await testDatabase();
    documents = new DocumentRepository(db);
    sync = testRegistry({ documents, idleUnloadMs: 50 });
  });
  afterEach(async () => {
    await sync.close(1001, 'test over');
    await db.destroy();
  });

  it('unloads a room that no socket is in (loaded for an API call or a job) after the idle period, keeping its changes', async () => {
    const room = await sync.open('plan-1');
    expect(await sync.open('plan-1')).toBe(room);
    await room.applyServerChange((doc) => doc.getMap<number>('sales').set('SKU-1|2027-01', 42));

    await vi.waitFor(() => expect(room.destroyed).toBe(true), { timeout: 5_000, interval: 20 });
    const reloaded = await sync.open('plan-1');
    expect(reloaded).not.toBe(room);
    expect(reloaded.doc.getMap<number>('sales').get('SKU-1|2027-01')).toBe(42);
  });

  it('loads a plan again only after the room unloading it has stored it', async () => {
    const room = await sync.open('plan-1');
    await room.applyServerChange((doc) => doc.getMap<number>('sales').set('SKU-1|2027-01', 7));
    // Hold the unload's compaction until the test lets it go.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const compact = documents.compact.bind(documents);
    const events: string[] = [];
    documents.compact = async (...args) => {
      events.push('compacting');
      await held;
      await compact(...args);
      events.push('compacted');
    };
    const load = documents.load.bind(documents);
    documents.load = async (id) => {
      events.push('load');
      return load(id);
    };

    // The room goes idle and starts storing itself; meanwhile someone opens the plan again.
    await vi.waitFor(() => expect(events).toEqual(['compacting']), { timeout: 5_000, interval: 10 });
    const again = sync.open('plan-1');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events).toEqual(['compacting']);
    release();
    const reloaded = await again;
    expect(events).toEqual(['compacting', 'compacted', 'load']);
    expect(reloaded.doc.getMap<number>('sales').get('SKU-1|2027-01')).toBe(7);
  });
});

describe('DocumentRepository.load', () => {
  it('reads the state and the log as of one moment, even when a compaction commits meanwhile', async () => {
    const db = await testDatabase();
    try {
      const documents = new DocumentRepository(db);
      const doc = new Y.Doc();
      const updates: Uint8Array[] = [];
      doc.on('update', (update: Uint8Array) => updates.push(update));
      for (const value of [1, 2, 3]) doc.getMap<number>('sales').set(`SKU-${value}|2027-01`, value);
      let last = 0;
      for (const update of updates) last = await appendForTest(documents, 'plan-1', update, last);

      // The compaction is asked for while the load is under way, as when another room unloads.
      const loading = documents.load('plan-1');
      const compacting = documents.compact('plan-1', Y.encodeStateAsUpdate(doc), last, new Date().toISOString());
      const [stored] = await Promise.all([loading, compacting]);
      const loaded = new Y.Doc();
      if (stored.state) Y.applyUpdate(loaded, stored.state);
      for (const update of stored.updates) Y.applyUpdate(loaded, update.data);
      expect(loaded.getMap<number>('sales').toJSON()).toEqual({ 'SKU-1|2027-01': 1, 'SKU-2|2027-01': 2, 'SKU-3|2027-01': 3 });
    } finally {
      await db.destroy();
    }
  });

  it('never lets an older compacted state replace a newer one (two instances compacting)', async () => {
    const db = await testDatabase();
    try {
      const documents = new DocumentRepository(db);
      const doc = new Y.Doc();
      let last = 0;
      for (const value of [1, 2, 3]) {
        const before = Y.encodeStateVector(doc);
        doc.getMap<number>('sales').set('SKU-1|2027-01', value);
        last = await appendForTest(documents, 'plan-2', Y.encodeStateAsUpdate(doc, before), last);
      }
      const newer = Y.encodeStateAsUpdate(doc);
      await documents.compact('plan-2', newer, 3, new Date().toISOString());
      // Another instance that had only seen up to 2 compacts late.
      const older = new Y.Doc();
      older.getMap<number>('sales').set('SKU-1|2027-01', 2);
      await documents.compact('plan-2', Y.encodeStateAsUpdate(older), 2, new Date().toISOString());
      const stored = await documents.load('plan-2');
      expect(stored.stateSeq).toBe(3);
      expect([...stored.state!]).toEqual([...newer]);
    } finally {
      await db.destroy();
    }
  });
});

describe('DocumentRegistry across instances', () => {
  it('tells an instance that is not polling what it missed while another instance’s messages could not go out', async () => {
    const db = await testDatabase();
    const documents = new DocumentRepository(db);
    const hub = new LocalFanoutHub();
    const fanoutA = new BreakableFanout('a', hub);
    const log = createLogger('silent');
    const a = new DocumentRegistry({ documents, fanout: fanoutA, log, idleUnloadMs: 60_000 });
    const b = new DocumentRegistry({ documents, fanout: new LocalFanout('b', hub), log, idleUnloadMs: 60_000 });
    try {
      const roomA = await a.open('plan-1');
      const roomB = await b.open('plan-1');
      await roomA.applyServerChange((doc) => doc.getMap<number>('sales').set('SKU-1|2027-01', 1));
      await vi.waitFor(() => expect(roomB.doc.getMap<number>('sales').get('SKU-1|2027-01')).toBe(1), { timeout: 2_000, interval: 10 });

      // A's messages are dropped; B's fan-out is healthy, so B does not poll the store.
      fanoutA.broken = true;
      await roomA.applyServerChange((doc) => doc.getMap<number>('sales').set('SKU-1|2027-01', 2));
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(roomB.doc.getMap<number>('sales').get('SKU-1|2027-01')).toBe(1);

      // A's connection is back: its head tells B, which reads the missed update from the store.
      fanoutA.mend();
      await vi.waitFor(() => expect(roomB.doc.getMap<number>('sales').get('SKU-1|2027-01')).toBe(2), { timeout: 2_000, interval: 10 });
      expect(roomB.seq).toBe(roomA.seq);
    } finally {
      await a.close(1001, 'test over');
      await b.close(1001, 'test over');
      await db.destroy();
    }
  });
});

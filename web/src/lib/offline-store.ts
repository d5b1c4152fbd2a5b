import * as Y from 'yjs';

/**
 * The browser's copy of the edits made in this tab to a plan document, in IndexedDB: edits made
 * offline survive a closed tab and are merged (and sent) when the plan is next opened.
 *
 * Written for Accord instead of using y-indexeddb, whose database layout it keeps (an `updates`
 * store of Yjs updates, a `custom` store), because y-indexeddb encodes the whole document when it
 * opens and again every 500 updates. For a plan of 1,000 SKUs that is a 7 MB encode, a stall of a
 * few hundred milliseconds on the main thread in the middle of a meeting. This store never encodes
 * the document, and stores only what the server may lack:
 *
 * - updates that came from the server (`serverOrigin`, the provider) are never stored: the server
 *   has them, and the page always starts from the server's state. In a meeting, a page that only
 *   watches writes nothing;
 * - it is given this tab's own updates from the moment the document was created, and stores those
 *   bytes as they are;
 * - when it opens, it applies what an earlier visit stored, then replaces the stored rows with
 *   only what that added (edits the server may lack) and this tab's updates;
 * - small rows are merged into one in idle time once there are many.
 */
export class OfflineStore {
  /** Resolves once earlier rows are applied and the rows are rewritten; rejects if IndexedDB fails. */
  readonly whenSynced: Promise<void>;
  #db: IDBDatabase | null = null;
  #rows = 0;
  #destroyed = false;
  #compaction: number | undefined;
  readonly #serverOrigin: unknown;
  readonly #onUpdate = (update: Uint8Array, origin: unknown) => {
    if (origin !== this && origin !== this.#serverOrigin) this.#add(update);
  };

  /**
   * @param name the IndexedDB database (one per document)
   * @param doc the document to keep
   * @param since this tab's updates to the document before the store opened
   * @param serverOrigin the origin of updates that came from the server (not stored)
   */
  constructor(
    readonly name: string,
    readonly doc: Y.Doc,
    since: readonly Uint8Array[] = [],
    serverOrigin: unknown = undefined,
  ) {
    this.#serverOrigin = serverOrigin;
    const pending = [...since];
    // Updates arriving while the database opens are kept in order with the earlier ones.
    const early = (update: Uint8Array, origin: unknown) => {
      if (origin !== this && origin !== serverOrigin) pending.push(update);
    };
    doc.on('update', early);
    const opened = openDatabase(name);
    // However the opening ends (IndexedDB refused, or the store destroyed meanwhile), stop collecting.
    void opened.then(
      () => undefined,
      () => doc.off('update', early),
    );
    this.whenSynced = opened.then(async (db) => {
      if (this.#destroyed) {
        doc.off('update', early);
        db.close();
        return;
      }
      this.#db = db;
      const stored = await request(db.transaction(UPDATES, 'readonly').objectStore(UPDATES).getAll());
      let restored: Uint8Array | null = null;
      const capture = (update: Uint8Array, origin: unknown) => {
        if (origin === this) restored = update;
      };
      doc.on('update', capture);
      try {
        Y.transact(doc, () => stored.forEach((row) => Y.applyUpdate(doc, row as Uint8Array)), this, false);
      } finally {
        doc.off('update', capture);
        doc.off('update', early);
      }
      if (this.#destroyed) return;
      doc.on('update', this.#onUpdate);
      // Rows with gaps (changes whose dependencies never arrived) stay as they are; otherwise only
      // what they added to this copy is worth keeping, with what arrived since.
      const complete = doc.store.pendingStructs === null && doc.store.pendingDs === null;
      const rows = [...(restored ? [restored] : []), ...pending];
      const tx = db.transaction(UPDATES, 'readwrite');
      const updates = tx.objectStore(UPDATES);
      if (complete) updates.clear();
      for (const row of rows) updates.add(row);
      await done(tx);
      this.#rows = (complete ? 0 : stored.length) + rows.length;
    });
  }

  #add(update: Uint8Array): void {
    if (!this.#db || this.#destroyed) return;
    this.#db.transaction(UPDATES, 'readwrite').objectStore(UPDATES).add(update);
    this.#rows += 1;
    if (this.#rows >= COMPACT_ROWS && this.#compaction === undefined) {
      this.#compaction = idle(() => void this.#compact());
    }
  }

  /** Merges the small rows into one, in one transaction with their removal. */
  async #compact(): Promise<void> {
    const db = this.#db;
    if (!db || this.#destroyed) return;
    try {
      const tx = db.transaction(UPDATES, 'readwrite');
      const updates = tx.objectStore(UPDATES);
      const [keys, values] = await Promise.all([request(updates.getAllKeys()), request(updates.getAll())]);
      const small = keys.flatMap((key, i) => ((values[i] as Uint8Array).byteLength <= SMALL_ROW_BYTES ? [i] : []));
      if (small.length > 1) {
        const merged = Y.mergeUpdates(small.map((i) => values[i] as Uint8Array));
        for (const i of small) updates.delete(keys[i]!);
        updates.add(merged);
      }
      await done(tx);
      this.#rows = keys.length - small.length + (small.length > 1 ? 1 : small.length);
    } finally {
      this.#compaction = undefined;
    }
  }

  /** Stops keeping the document; what is stored stays for the next visit. */
  async destroy(): Promise<void> {
    this.#destroyed = true;
    this.doc.off('update', this.#onUpdate);
    if (this.#compaction !== undefined) cancelIdle(this.#compaction);
    await this.whenSynced.catch(() => undefined);
    this.#db?.close();
  }

  /** Stops keeping the document and deletes what was stored. */
  async clearData(): Promise<void> {
    await this.destroy();
    await deleteOfflineCopy(this.name);
  }
}

/** Deletes a stored copy, also one no store of this tab has opened (an earlier visit's). */
export function deleteOfflineCopy(name: string): Promise<void> {
  if (typeof indexedDB === 'undefined') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    // Another tab still has it open: it is deleted once that tab closes it; nothing here waits for that.
    req.onblocked = () => resolve();
    req.onerror = () => reject(req.error ?? new Error('IndexedDB delete failed'));
  });
}

const UPDATES = 'updates';
// Merging is cheap for small rows: a few hundred edits of a cell or a pasted range each.
const COMPACT_ROWS = 500;
const SMALL_ROW_BYTES = 64 * 1024;

async function openDatabase(name: string, version?: number): Promise<IDBDatabase> {
  const open = indexedDB.open(name, version);
  open.onupgradeneeded = () => {
    const db = open.result;
    // y-indexeddb's layout, so copies it stored before are read (and `custom` stays valid for it).
    if (!db.objectStoreNames.contains(UPDATES)) db.createObjectStore(UPDATES, { autoIncrement: true });
    if (!db.objectStoreNames.contains('custom')) db.createObjectStore('custom');
  };
  const db = await request(open);
  if (db.objectStoreNames.contains(UPDATES)) return db;
  // Created empty by someone else (another library, a curious devtools session): add the stores.
  db.close();
  return openDatabase(name, db.version + 1);
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

function idle(run: () => void): number {
  return typeof requestIdleCallback === 'function' ? requestIdleCallback(run, { timeout: 5000 }) : window.setTimeout(run, 200);
}

function cancelIdle(handle: number): void {
  if (typeof cancelIdleCallback === 'function') cancelIdleCallback(handle);
  else clearTimeout(handle);
}

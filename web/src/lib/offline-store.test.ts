import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { OfflineStore } from './offline-store.ts';

/** How many `update` listeners the document has (Yjs keeps them in its observable's map). */
const updateListeners = (doc: Y.Doc) => (doc as unknown as { _observers: Map<string, Set<unknown>> })._observers.get('update')?.size ?? 0;

describe('OfflineStore', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('stops collecting the edits made while it opens when IndexedDB refuses to open', async () => {
    vi.stubGlobal('indexedDB', {
      open: () => {
        const open = { error: new DOMException('denied', 'SecurityError') } as unknown as IDBOpenDBRequest;
        queueMicrotask(() => open.onerror?.(new Event('error')));
        return open;
      },
    });
    const doc = new Y.Doc();
    const before = updateListeners(doc);
    const store = new OfflineStore('accord-test', doc);
    expect(updateListeners(doc)).toBe(before + 1);
    await expect(store.whenSynced).rejects.toBeDefined();
    expect(updateListeners(doc)).toBe(before);
  });
});

import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { unsentChanges } from './unsent.ts';

/** A server copy with two cells and a comment thread, and a client copy synced from it. */
function synced(): { server: Y.Doc; client: Y.Doc } {
  const server = new Y.Doc();
  server.getMap('sales').set('P1|2031-01', 10);
  server.getMap('sales').set('P1|2031-02', 20);
  const thread = new Y.Map<unknown>();
  server.getMap('comments').set('t1', thread);
  thread.set('resolved', false);
  const client = new Y.Doc();
  Y.applyUpdate(client, Y.encodeStateAsUpdate(server));
  return { server, client };
}

/** A fresh copy of what the server holds, as a new session would sync it. */
function freshFrom(server: Y.Doc): Y.Doc {
  const fresh = new Y.Doc();
  Y.applyUpdate(fresh, Y.encodeStateAsUpdate(server));
  return fresh;
}

describe('unsentChanges', () => {
  it('finds nothing when the server has everything the old copy holds', () => {
    const { server, client } = synced();
    expect(unsentChanges(client, freshFrom(server), () => true)).toEqual({ kind: 'none' });
  });

  it('hands back the whole unsent update when the role may write everything it touches', () => {
    const { server, client } = synced();
    client.getMap('sales').set('P1|2031-01', 11);
    client.getMap('sales').delete('P1|2031-02');
    (client.getMap('comments').get('t1') as Y.Map<unknown>).set('resolved', true);
    const fresh = freshFrom(server);
    const unsent = unsentChanges(client, fresh, (root) => root === 'sales' || root === 'comments');
    expect(unsent.kind).toBe('all');
    if (unsent.kind !== 'all') return;
    Y.applyUpdate(fresh, unsent.update);
    expect(fresh.getMap('sales').toJSON()).toEqual({ 'P1|2031-01': 11 });
    expect((fresh.getMap('comments').get('t1') as Y.Map<unknown>).get('resolved')).toBe(true);
  });

  it('keeps only the allowed cells, deletions included, when part of it is no longer allowed', () => {
    const { server, client } = synced();
    client.getMap('sales').set('P1|2031-01', 11);
    client.getMap('sales').delete('P1|2031-02');
    client.getMap('finance').set('P1|2031-01', 5);
    (client.getMap('comments').get('t1') as Y.Map<unknown>).set('resolved', true);
    const unsent = unsentChanges(client, freshFrom(server), (root) => root === 'sales');
    expect(unsent).toEqual({
      kind: 'cells',
      cells: [
        { root: 'sales', key: 'P1|2031-01', value: 11 },
        { root: 'sales', key: 'P1|2031-02', value: null },
      ],
      droppedRoots: expect.arrayContaining(['finance', 'comments']) as string[],
    });
  });

  it('does not count edits the server already has, even when others edited since', () => {
    const { server, client } = synced();
    client.getMap('sales').set('P1|2031-01', 11);
    Y.applyUpdate(server, Y.encodeStateAsUpdate(client)); // it reached the server
    server.getMap('finance').set('P1|2031-01', 7); // someone else's later edit
    expect(unsentChanges(client, freshFrom(server), () => false)).toEqual({ kind: 'none' });
  });
});

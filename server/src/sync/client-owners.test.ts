import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '@accord/protocol';
import type { Db } from '../db/database.ts';
import { testDatabase } from '../db/test-database.ts';
import { createLogger } from '../logger.ts';
import { DocumentRepository } from './document.repository.ts';
import { LocalFanout, LocalFanoutHub } from './fanout.ts';
import { PlanRoom, TokenBucket, type Connection, type Peer } from './plan-room.ts';
import { encodeUpdate } from './protocol.ts';

const log = createLogger('silent');

/** A socket stand-in that only records how it was closed. */
class ClosingPeer implements Peer {
  readonly closes: number[] = [];
  open = true;
  bufferedAmount = 0;
  send(): void {}
  close(code: number): void {
    this.closes.push(code);
    this.open = false;
  }
}

function connect(room: PlanRoom, userId: string): { peer: ClosingPeer; conn: Connection } {
  const peer = new ClosingPeer();
  const conn: Connection = {
    peer,
    userId,
    role: 'sales',
    credential: { type: 'session', id: `s-${userId}` },
    log,
    clientIds: new Set(),
    rate: new TokenBucket(1_000, 1_000),
    lastSentAt: 0,
  };
  room.connect(conn);
  return { peer, conn };
}

/** A client's edit of a cell, as the update bytes it would send. */
function edit(client: Y.Doc, key: string, value: number): Uint8Array {
  const before = Y.encodeStateVector(client);
  client.getMap('sales').set(key, value);
  return Y.encodeStateAsUpdate(client, before);
}

/**
 * Two instances (two rooms of one document on one store, joined by a fan-out hub): a client whose
 * socket moves from one to the other (its instance died, the load balancer picked another) keeps
 * writing under its client id, which the first instance recorded as its own; someone else may not.
 */
describe('client ids across instances', () => {
  let db: Db;
  let a: PlanRoom;
  let b: PlanRoom;
  beforeEach(async () => {
    db = await testDatabase();
    const store = new DocumentRepository(db);
    const hub = new LocalFanoutHub();
    a = await PlanRoom.load('doc-1', store, log, { fanout: new LocalFanout('a', hub) });
    b = await PlanRoom.load('doc-1', store, log, { fanout: new LocalFanout('b', hub) });
  });
  afterEach(async () => {
    a.destroy();
    b.destroy();
    await db.destroy();
  });

  it('accepts a client’s next edit on another instance under the id it wrote under on the first, and refuses another user’s', async () => {
    const client = new Y.Doc();
    const onA = connect(a, 'ana');
    a.receive(onA.conn, encodeUpdate(edit(client, 'SKU-1|2031-01', 1)), true);
    await a.flush();
    await vi.waitFor(() => expect(b.doc.getMap('sales').get('SKU-1|2031-01')).toBe(1));

    // Ana's socket moves to b and goes on editing under the same client id.
    const onB = connect(b, 'ana');
    b.receive(onB.conn, encodeUpdate(edit(client, 'SKU-1|2031-01', 2)), true);
    await b.flush();
    expect(onB.peer.closes).toEqual([]);
    expect(b.doc.getMap('sales').get('SKU-1|2031-01')).toBe(2);

    // Someone else writing under Ana's id is refused on b too.
    const forger = new Y.Doc();
    Y.applyUpdate(forger, Y.encodeStateAsUpdate(client));
    // After the apply: Yjs gives a document a new id when an update brings structs under its own.
    forger.clientID = client.clientID;
    const mallory = connect(b, 'mallory');
    b.receive(mallory.conn, encodeUpdate(edit(forger, 'SKU-2|2031-01', 666)), true);
    await b.flush();
    expect(mallory.peer.closes).toEqual([CloseCode.permissionDenied]);
    expect(b.doc.getMap('sales').get('SKU-2|2031-01')).toBeUndefined();
  });
});

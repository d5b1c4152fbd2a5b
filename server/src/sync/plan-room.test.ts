import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { pino } from 'pino';
import type { Db } from '../db/database.ts';
import { testDatabase } from '../db/test-database.ts';
import { LogCompactor } from './log-compactor.ts';
import { createLogger } from '../logger.ts';
import { DocumentRepository } from './document.repository.ts';
import type { DocumentStore } from './document-store.ts';
import { HistoryRepository } from '../history/history.repository.ts';
import { HOLD, MAX_BUFFERED_BYTES, PlanRoom, TokenBucket, type Connection, type Peer } from './plan-room.ts';
import { HEARTBEAT, decodeClientMessage, encodeAwareness, encodeSyncStep1, encodeUpdate } from './protocol.ts';
import { CHANGE_NOTE_MESSAGE, CloseCode, type ChangeNote } from '@accord/protocol';
import * as encoding from 'lib0/encoding';

/** A socket stand-in: records what the room sends; the test delivers frames through the room. */
class FakePeer implements Peer {
  readonly sent: Uint8Array[] = [];
  readonly closes: number[] = [];
  open = true;
  bufferedAmount = 0;
  send(data: Uint8Array): void {
    this.sent.push(data);
  }
  close(code: number): void {
    this.closes.push(code);
    this.open = false;
  }
  /** The document updates among what was sent (sync step 2 and update messages). */
  updates(): Uint8Array[] {
    return this.sent.map((frame) => decodeClientMessage(frame)).flatMap((m) => (m.type === 'update' ? [m.update] : []));
  }
}

const log = createLogger('silent');

function changeNote(note: ChangeNote): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, CHANGE_NOTE_MESSAGE);
  encoding.writeVarString(encoder, JSON.stringify(note));
  return encoding.toUint8Array(encoder);
}

describe('PlanRoom', () => {
  let db: Db;
  let store: DocumentRepository;
  beforeEach(async () => {
    db = await testDatabase();
    store = new DocumentRepository(db);
  });
  afterEach(() => db.destroy());

  function connect(
    room: PlanRoom,
    role: Connection['role'] = 'sales',
    connLog: Connection['log'] = log,
    userId = 'u1',
  ): { socket: FakePeer & { deliver(frame: Uint8Array): void; conn: Connection }; client: Y.Doc } {
    const peer = new FakePeer();
    const conn: Connection = {
      peer,
      userId,
      role,
      credential: { type: 'session', id: 's1' },
      log: connLog,
      clientIds: new Set(),
      rate: new TokenBucket(1_000, 1_000),
      lastSentAt: 0,
    };
    room.connect(conn);
    const client = new Y.Doc();
    Y.applyUpdate(client, Y.encodeStateAsUpdate(room.doc));
    const socket = Object.assign(peer, { conn, deliver: (frame: Uint8Array) => room.receive(conn, frame, true) });
    return { socket, client };
  }

  /** A client's edit of a cell, as the update bytes it would send. */
  function clientEdit(client: Y.Doc, root: string, key: string, value: number): Uint8Array {
    const before = Y.encodeStateVector(client);
    client.getMap(root).set(key, value);
    return Y.encodeStateAsUpdate(client, before);
  }

  it('makes a server change live, stored and broadcast, then judges client edits that build on it', async () => {
    const room = await PlanRoom.load('doc-1', store, log);
    const { socket, client } = connect(room);
    await room.applyServerChange(
      (doc) => {
        for (let i = 0; i < 50; i++) doc.getMap('sales').set(`p${i}|2031-01`, i);
      },
      { kind: 'import', summary: 'Actuals import: 50 cells' },
    );
    // The change is live; the sockets got the very bytes that were stored, as change 1.
    expect(room.doc.getMap('sales').get('p7|2031-01')).toBe(7);
    expect(room.seq).toBe(1);
    const broadcast = socket.updates();
    expect(broadcast).toHaveLength(1);
    const stored = await store.load('doc-1');
    expect(stored.updates.map((u) => [...u.data])).toEqual([[...broadcast[0]!]]);

    // The client overwrites a cell the server just wrote: its item's origin is the server's item.
    Y.applyUpdate(client, broadcast[0]!);
    socket.deliver(encodeUpdate(clientEdit(client, 'sales', 'p7|2031-01', 700)));
    await room.flush();
    expect(socket.closes).toEqual([]);
    expect(room.doc.getMap('sales').get('p7|2031-01')).toBe(700);

    // A second server change keeps both edits.
    await room.applyServerChange((doc) => doc.getMap('sales').set('p8|2031-01', 800));
    await room.flush();
    expect(room.doc.getMap('sales').toJSON()).toMatchObject({ 'p7|2031-01': 700, 'p8|2031-01': 800, 'p9|2031-01': 9 });

    // What is stored loads back to exactly the live state.
    const reloaded = await PlanRoom.load('doc-1', store, log);
    expect(reloaded.doc.getMap('sales').toJSON()).toEqual(room.doc.getMap('sales').toJSON());
    expect(Y.encodeStateVector(reloaded.doc)).toEqual(Y.encodeStateVector(room.doc));
    expect(reloaded.seq).toBe(3);
    // Each change is one record with its cells, in order.
    const changes = await new HistoryRepository(db).changes('doc-1', { limit: 10 });
    expect(changes.map((c) => [c.seq, c.kind, c.summary, c.cells, c.userId])).toEqual([
      [3, 'edited', '', 1, null],
      [2, 'edited', '', 1, 'u1'],
      [1, 'import', 'Actuals import: 50 cells', 50, null],
    ]);
    // Only the change that says more than its cells has a record of its own.
    expect(await db.selectFrom('document_changes').select('seq').where('document_id', '=', 'doc-1').execute()).toEqual([{ seq: 1 }]);
    const history = await db.selectFrom('cell_history').selectAll().where('document_id', '=', 'doc-1').where('seq', '=', 2).execute();
    expect(history.map((h) => [h.cell_key, h.old_value, h.new_value])).toEqual([['p7|2031-01', 7, 700]]);
    room.destroy();
    reloaded.destroy();
  });

  it('loads the live document again from the store when a server change throws halfway', async () => {
    const room = await PlanRoom.load('doc-2', store, log);
    const { socket } = connect(room);
    await room.applyServerChange((doc) => doc.getMap('sales').set('a|2031-01', 1));
    await expect(
      room.applyServerChange((doc) => {
        doc.getMap('sales').set('b|2031-01', 2);
        throw new Error('validation failed');
      }),
    ).rejects.toThrow('validation failed');
    expect(room.doc.getMap('sales').get('b|2031-01')).toBeUndefined();
    expect(socket.updates()).toHaveLength(1);
    expect((await store.load('doc-2')).updates).toHaveLength(1);
    // The room carries on: the next change and a client edit both land.
    await room.applyServerChange((doc) => doc.getMap('sales').set('c|2031-01', 3));
    const { socket: second, client } = connect(room);
    second.deliver(encodeUpdate(clientEdit(client, 'sales', 'a|2031-01', 10)));
    await room.flush();
    expect(second.closes).toEqual([]);
    expect(room.doc.getMap('sales').toJSON()).toEqual({ 'a|2031-01': 10, 'c|2031-01': 3 });
    room.destroy();
  });

  it('keeps presence working after the live document was loaded again', async () => {
    const room = await PlanRoom.load('doc-3', store, log);
    const first = room.doc;
    await expect(
      room.applyServerChange((doc) => {
        doc.getMap('sales').set('a|2031-01', 1);
        throw new Error('halfway');
      }),
    ).rejects.toThrow('halfway');
    expect(room.doc).not.toBe(first);
    expect(first.isDestroyed).toBe(true);
    // Presence still flows from one socket to another.
    const { socket: watcher } = connect(room);
    const { socket: speaker } = connect(room);
    const presence = new awarenessProtocol.Awareness(new Y.Doc());
    presence.setLocalState({ user: { id: 'u1', role: 'sales' }, cell: 'a|2031-01' });
    speaker.deliver(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(presence, [presence.clientID])));
    await room.flush();
    const received = watcher.sent.map((frame) => decodeClientMessage(frame)).filter((m) => m.type === 'awareness');
    expect(received).toHaveLength(1);
    expect(room.awareness.getStates().get(presence.clientID)).toMatchObject({ cell: 'a|2031-01' });
    presence.destroy();
    room.destroy();
  });

  it('sends an accepted edit to every other socket, not back to its sender', async () => {
    const room = await PlanRoom.load('doc-6', store, log);
    const { socket: sender, client } = connect(room);
    const { socket: other } = connect(room);
    const update = clientEdit(client, 'sales', 'a|2031-01', 42);
    sender.deliver(encodeUpdate(update));
    await room.flush();
    expect(other.updates().map((u) => [...u])).toEqual([[...update]]);
    expect(sender.updates()).toEqual([]);
    expect(room.doc.getMap('sales').get('a|2031-01')).toBe(42);
    room.destroy();
  });

  it('never commits an edit inside a transaction that another part of the server has open', async () => {
    const room = await PlanRoom.load('doc-8', store, log);
    const { socket: sender, client } = connect(room);
    const { socket: other } = connect(room);
    const update = clientEdit(client, 'sales', 'a|2031-01', 8);
    let endTransaction: (() => void) | undefined;
    const rolledBack = db
      .transaction()
      .execute(async (trx) => {
        await trx
          .insertInto('document_states')
          .values({ document_id: 'other', state: new Uint8Array([0, 0]), updated_at: 'x' })
          .execute();
        // The edit arrives while this transaction is open (it waits on the event loop here).
        await new Promise<void>((resolve) => {
          endTransaction = resolve;
          setTimeout(() => sender.deliver(encodeUpdate(update)), 0);
        });
        throw new Error('roll back');
      })
      .catch((e: unknown) => e);
    await expect.poll(() => endTransaction !== undefined).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Not sent while it could still be rolled back with someone else's transaction.
    expect(other.updates()).toEqual([]);
    endTransaction!();
    expect(await rolledBack).toBeInstanceOf(Error);
    await room.flush();
    // The other transaction was rolled back; the edit was committed on its own and then sent.
    expect(await db.selectFrom('document_states').select('document_id').where('document_id', '=', 'other').execute()).toEqual([]);
    expect((await store.load('doc-8')).updates.map((u) => [...u.data])).toEqual([[...update]]);
    expect(other.updates().map((u) => [...u])).toEqual([[...update]]);
    expect(sender.closes).toEqual([]);
    room.destroy();
  });

  it('sends the heartbeat only to sockets that were sent nothing lately', async () => {
    const room = await PlanRoom.load('doc-9', store, log);
    const { socket: sender, client } = connect(room);
    const { socket: watcher } = connect(room);
    const heartbeats = (socket: FakePeer) => socket.sent.filter((frame) => Buffer.compare(frame, HEARTBEAT) === 0).length;
    const beforeEdit = performance.now();
    // The watcher is sent the edit; the sender is not (no echo), so only the sender is quiet.
    await new Promise((resolve) => setTimeout(resolve, 5));
    watcher.sent.length = 0;
    sender.sent.length = 0;
    sender.deliver(encodeUpdate(clientEdit(client, 'sales', 'a|2031-01', 1)));
    await room.flush();
    room.heartbeat(beforeEdit + 1);
    expect(heartbeats(sender)).toBe(1);
    expect(heartbeats(watcher)).toBe(0);
    // Once everybody has been quiet long enough, everybody gets one.
    room.heartbeat(performance.now());
    expect([heartbeats(sender), heartbeats(watcher)]).toEqual([2, 1]);
    room.destroy();
  });

  it('ignores presence without a user quietly and warns when it names someone else', async () => {
    const warnings: { msg: string }[] = [];
    const capture = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line) as { msg: string }) });
    const room = await PlanRoom.load('doc-10', store, log);
    const { socket: speaker } = connect(room, 'sales', capture);
    const publish = (state: unknown) => {
      const presence = new awarenessProtocol.Awareness(new Y.Doc());
      presence.setLocalState(state as Record<string, unknown>);
      speaker.deliver(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(presence, [presence.clientID])));
      const id = presence.clientID;
      presence.destroy();
      return id;
    };
    // What a plain y-websocket client publishes (and renews every 15 s): no presence, no warning.
    const anonymous = publish({});
    await room.flush();
    expect(room.awareness.getStates().has(anonymous)).toBe(false);
    expect(warnings).toEqual([]);
    // Someone else's name: refused and logged.
    const forged = publish({ user: { id: 'u2', role: 'sales' } });
    await room.flush();
    expect(room.awareness.getStates().has(forged)).toBe(false);
    expect(warnings.map((w) => w.msg)).toEqual(['awareness update impersonates another user; ignored']);
    // Their own: shown.
    const own = publish({ user: { id: 'u1', role: 'sales' } });
    await room.flush();
    expect(room.awareness.getStates().has(own)).toBe(true);
    room.destroy();
  });

  it('has a heartbeat that clients take as a message that changes nothing', () => {
    const message = decodeClientMessage(HEARTBEAT);
    expect(message.type).toBe('awareness');
    const presence = new awarenessProtocol.Awareness(new Y.Doc());
    presence.setLocalState({ user: { id: 'u1' } });
    const changes: unknown[] = [];
    presence.on('update', (change: unknown) => changes.push(change));
    awarenessProtocol.applyAwarenessUpdate(presence, (message as { update: Uint8Array }).update, 'server');
    expect(changes).toEqual([]);
    expect(presence.getStates().size).toBe(1);
    presence.destroy();
  });

  it('folds the update log in the background after 500 edits and keeps taking edits meanwhile', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-room-'));
    const file = path.join(dir, 'room.sqlite');
    const fileDb = await testDatabase(file);
    const compactor = new LogCompactor(file, log);
    const fileStore = new DocumentRepository(fileDb, { compactor });
    try {
      const room = await PlanRoom.load('doc-5', fileStore, log);
      const { socket, client } = connect(room);
      for (let i = 0; i < 520; i++) socket.deliver(encodeUpdate(clientEdit(client, 'sales', `p${i % 30}|2031-01`, i)));
      await room.flush();
      expect(socket.closes).toEqual([]);
      // The worker folded the first 500 (or more) into the state; what is stored is still the document.
      await expect.poll(async () => (await fileStore.load('doc-5')).updates.length, { timeout: 10_000, interval: 50 }).toBeLessThan(30);
      const stored = await fileStore.load('doc-5');
      expect(stored.state).toBeDefined();
      const reloaded = new Y.Doc();
      Y.applyUpdate(reloaded, stored.state!);
      for (const update of stored.updates) Y.applyUpdate(reloaded, update.data);
      expect(reloaded.getMap('sales').toJSON()).toEqual(room.doc.getMap('sales').toJSON());
      await room.compact();
      room.destroy();
    } finally {
      await compactor.stop();
      await fileDb.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('folds the live document after 500 edits without holding up the edits that follow (no worker: PostgreSQL)', async () => {
    let release!: () => void;
    const writing = new Promise<void>((resolve) => (release = resolve));
    const folds: number[] = [];
    // The same store, with no background compactor and a fold that takes until the test lets it finish.
    const slowFold: DocumentStore = {
      load: (id) => store.load(id),
      clientOwners: (id) => store.clientOwners(id),
      append: (request) => store.append(request),
      appendExclusive: (id, afterSeq, build) => store.appendExclusive(id, afterSeq, build),
      annotate: (id, seq, note) => store.annotate(id, seq, note),
      updatesAfter: (id, seq) => store.updatesAfter(id, seq),
      compactInBackground: () => null,
      compact: async (id, state, throughSeq, updatedAt) => {
        folds.push(throughSeq);
        await writing;
        await store.compact(id, state, throughSeq, updatedAt);
      },
    };
    const room = await PlanRoom.load('doc-6', slowFold, log);
    const { socket, client } = connect(room);
    for (let i = 0; i < 510; i++) socket.deliver(encodeUpdate(clientEdit(client, 'sales', `p${i % 30}|2031-01`, i)));
    // Every edit is stored while the fold of the first 500 is still being written.
    await room.flush();
    expect(folds).toEqual([500]);
    let stored = await store.load('doc-6');
    expect([stored.seq, stored.stateSeq, stored.updates.length]).toEqual([510, 0, 510]);

    release();
    await room.compactionSettled();
    stored = await store.load('doc-6');
    expect([stored.seq, stored.stateSeq, stored.updates.length]).toEqual([510, 500, 10]);
    const reloaded = new Y.Doc();
    Y.applyUpdate(reloaded, stored.state!);
    for (const update of stored.updates) Y.applyUpdate(reloaded, update.data);
    expect(reloaded.getMap('sales').toJSON()).toEqual(room.doc.getMap('sales').toJSON());
    expect(socket.closes).toEqual([]);
    room.destroy();
  });

  it('holds an edit that arrives before the offline edit it builds on, and takes both once that arrives', async () => {
    const room = await PlanRoom.load('doc-11', store, log);
    const { socket, client } = connect(room);
    const offline = clientEdit(client, 'sales', 'a|2031-01', 1);
    const live = clientEdit(client, 'sales', 'a|2031-01', 2); // its item's origin is the offline edit
    socket.deliver(encodeUpdate(live));
    await room.flush();
    expect(socket.closes).toEqual([]);
    expect(room.doc.getMap('sales').get('a|2031-01')).toBeUndefined();
    // The sync step 2 carries the offline edit: both are judged, stored and applied, in order.
    socket.deliver(encodeUpdate(offline));
    await room.flush();
    expect(socket.closes).toEqual([]);
    expect(room.doc.getMap('sales').get('a|2031-01')).toBe(2);
    expect((await store.load('doc-11')).updates).toHaveLength(2);
    room.destroy();
  });

  it('closes a socket whose held edits never get what they depend on (4400), and one holding too many', async () => {
    const room = await PlanRoom.load('doc-12', store, log);
    const { socket, client } = connect(room);
    clientEdit(client, 'sales', 'a|2031-01', 1); // never sent
    for (let i = 0; i <= HOLD.updates; i++) socket.deliver(encodeUpdate(clientEdit(client, 'sales', `b${i}|2031-01`, i)));
    await room.flush();
    expect(socket.closes).toEqual([CloseCode.malformedMessage]);
    expect((await store.load('doc-12')).updates).toHaveLength(0);
    room.destroy();
  });

  it('refuses edits under a client id another user wrote under, also after a reload', async () => {
    const room = await PlanRoom.load('doc-13', store, log);
    const { socket: owner, client } = connect(room, 'sales', log, 'u1');
    owner.deliver(encodeUpdate(clientEdit(client, 'sales', 'a|2031-01', 1)));
    await room.flush();
    room.destroy();
    // The same client id, now on a socket of another sales user.
    const again = await PlanRoom.load('doc-13', store, log);
    const { socket: thief, client: copy } = connect(again, 'sales', log, 'u2');
    copy.clientID = client.clientID;
    thief.deliver(encodeUpdate(clientEdit(copy, 'sales', 'a|2031-01', 666)));
    await again.flush();
    expect(thief.closes).toEqual([CloseCode.permissionDenied]);
    expect(again.doc.getMap('sales').get('a|2031-01')).toBe(1);
    // Its owner, back with a new socket (a reload), may go on under it.
    const { socket: back } = connect(again, 'sales', log, 'u1');
    back.deliver(encodeUpdate(clientEdit(client, 'sales', 'a|2031-01', 3)));
    await again.flush();
    expect(back.closes).toEqual([]);
    expect(again.doc.getMap('sales').get('a|2031-01')).toBe(3);
    again.destroy();
  });

  it('closes a socket that does not read what it is sent (4508) instead of queueing without bound', async () => {
    const room = await PlanRoom.load('doc-14', store, log);
    await room.applyServerChange((doc) => doc.getMap('sales').set('a|2031-01', 1));
    const { socket } = connect(room, 'viewer');
    socket.bufferedAmount = MAX_BUFFERED_BYTES - 10; // what a socket that stopped reading has queued
    socket.deliver(encodeSyncStep1(new Uint8Array([0])));
    await room.flush();
    expect(socket.closes).toEqual([CloseCode.slowReader]);
    expect(room.connections.size).toBe(0);
    room.destroy();
  });

  it('closes a socket that sends a sync step 1 whose state vector does not decode (4400)', async () => {
    const room = await PlanRoom.load('doc-15', store, log);
    const { socket } = connect(room, 'viewer');
    socket.deliver(new Uint8Array([0x00, 0x00, 0x02, 0x01, 0x05]));
    await room.flush();
    expect(socket.closes).toEqual([CloseCode.malformedMessage]);
    room.destroy();
  });

  it('stores how an edit was made when its change note follows it', async () => {
    const room = await PlanRoom.load('doc-16', store, log);
    const { socket, client } = connect(room);
    socket.deliver(encodeUpdate(clientEdit(client, 'sales', 'a|2031-01', 5)));
    socket.deliver(changeNote({ kind: 'spread', summary: 'Sparkling · Sales forecast · Q1 +5%' }));
    // A second note has no fresh change to describe: dropped.
    socket.deliver(changeNote({ kind: 'typed', summary: 'ignored' }));
    await room.flush();
    expect(socket.closes).toEqual([]);
    const changes = await db.selectFrom('document_changes').select(['kind', 'summary']).where('document_id', '=', 'doc-16').execute();
    expect(changes).toEqual([{ kind: 'spread', summary: 'Sparkling · Sales forecast · Q1 +5%' }]);
    room.destroy();
  });

  it('drops presence echoes quietly and keeps the sender’s own entries of the same message', async () => {
    const warnings: { msg: string }[] = [];
    const capture = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line) as { msg: string }) });
    const room = await PlanRoom.load('doc-17', store, log);
    const { socket: ana } = connect(room, 'sales', log, 'u1');
    const { socket: ben } = connect(room, 'operations', capture, 'u2');
    const anaPresence = new awarenessProtocol.Awareness(new Y.Doc());
    anaPresence.setLocalState({ user: { id: 'u1', role: 'sales' }, cell: 'a' });
    ana.deliver(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(anaPresence, [anaPresence.clientID])));
    await room.flush();
    // Ben's client heard Ana's presence and, like the official client, sends it back with his own.
    const benPresence = new awarenessProtocol.Awareness(new Y.Doc());
    awarenessProtocol.applyAwarenessUpdate(
      benPresence,
      awarenessProtocol.encodeAwarenessUpdate(anaPresence, [anaPresence.clientID]),
      'server',
    );
    benPresence.setLocalState({ user: { id: 'u2', role: 'operations' }, cell: 'b' });
    ben.deliver(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(benPresence, [anaPresence.clientID, benPresence.clientID])));
    await room.flush();
    expect(warnings).toEqual([]);
    expect(room.awareness.getStates().get(benPresence.clientID)).toMatchObject({ cell: 'b' });
    // A newer state for Ana's id from Ben's socket is a forgery: dropped and logged.
    anaPresence.setLocalState({ user: { id: 'u1', role: 'sales' }, cell: 'forged' });
    ben.deliver(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(anaPresence, [anaPresence.clientID])));
    await room.flush();
    expect(room.awareness.getStates().get(anaPresence.clientID)).toMatchObject({ cell: 'a' });
    expect(warnings.map((w) => w.msg)).toEqual(['awareness update impersonates another user; ignored']);
    anaPresence.destroy();
    benPresence.destroy();
    room.destroy();
  });
});

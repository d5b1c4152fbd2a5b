import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { pino } from 'pino';
import type { WebSocket } from 'ws';
import type { Db } from '../db/database.ts';
import { testDatabase } from '../db/test-database.ts';
import { LogCompactor } from './log-compactor.ts';
import { createLogger } from '../logger.ts';
import { DocumentRepository } from './document.repository.ts';
import { PlanRoom, TokenBucket, type Connection } from './plan-room.ts';
import { HEARTBEAT, decodeClientMessage, encodeAwareness, encodeUpdate } from './protocol.ts';

/** A socket stand-in: records what the room sends and lets the test deliver frames. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  readonly sent: Uint8Array[] = [];
  readonly closes: number[] = [];
  send(data: Uint8Array, callback: (err?: Error) => void): void {
    this.sent.push(data);
    callback();
  }
  close(code: number): void {
    this.closes.push(code);
    this.readyState = 3;
  }
  deliver(frame: Uint8Array): void {
    this.emit('message', Buffer.from(frame), true);
  }
  /** The document updates among what was sent (sync step 2 and update messages). */
  updates(): Uint8Array[] {
    return this.sent.map((frame) => decodeClientMessage(frame)).flatMap((m) => (m.type === 'update' ? [m.update] : []));
  }
}

const log = createLogger('silent');

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
  ): { socket: FakeSocket; client: Y.Doc } {
    const socket = new FakeSocket();
    const conn: Connection = {
      ws: socket as unknown as WebSocket,
      userId: 'u1',
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
    const previousLive = room.doc;
    await room.applyServerChange((doc) => {
      for (let i = 0; i < 50; i++) doc.getMap('sales').set(`p${i}|2031-01`, i);
    });
    // The changed copy went live; the sockets got the very bytes that were stored.
    expect(room.doc).not.toBe(previousLive);
    expect(room.doc.getMap('sales').get('p7|2031-01')).toBe(7);
    const broadcast = socket.updates();
    expect(broadcast).toHaveLength(1);
    const stored = await store.load('doc-1');
    expect(stored.updates.map((u) => [...u.data])).toEqual([[...broadcast[0]!]]);

    // The client overwrites a cell the server just wrote: its item's origin is the server's item,
    // so the guard's copy (the old live document) must have caught up to accept it.
    Y.applyUpdate(client, broadcast[0]!);
    socket.deliver(encodeUpdate(clientEdit(client, 'sales', 'p7|2031-01', 700)));
    await room.flush();
    expect(socket.closes).toEqual([]);
    expect(room.doc.getMap('sales').get('p7|2031-01')).toBe(700);

    // A second server change, made on the caught-up copy, keeps both edits.
    await room.applyServerChange((doc) => doc.getMap('sales').set('p8|2031-01', 800));
    await room.flush();
    expect(room.doc.getMap('sales').toJSON()).toMatchObject({ 'p7|2031-01': 700, 'p8|2031-01': 800, 'p9|2031-01': 9 });

    // What is stored loads back to exactly the live state.
    const reloaded = await PlanRoom.load('doc-1', store, log);
    expect(reloaded.doc.getMap('sales').toJSON()).toEqual(room.doc.getMap('sales').toJSON());
    expect(Y.encodeStateVector(reloaded.doc)).toEqual(Y.encodeStateVector(room.doc));
    room.destroy();
    reloaded.destroy();
  });

  it('leaves the live document untouched when a server change throws halfway', async () => {
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

  it('keeps presence working after the first live document is replaced and destroyed', async () => {
    const room = await PlanRoom.load('doc-3', store, log);
    const first = room.doc;
    await room.applyServerChange((doc) => doc.getMap('sales').set('a|2031-01', 1));
    await room.flush();
    // A refused update destroys the guard's copy, which is the first live document by now.
    const { socket: refused, client } = connect(room);
    refused.deliver(encodeUpdate(clientEdit(client, 'finance', 'x', 1)));
    await room.flush();
    expect(refused.closes).toHaveLength(1);
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

  it('prepares the staging copy soon after an editor joins and after a refused update, not for viewers only', async () => {
    const room = await PlanRoom.load('doc-4', store, log);
    // A viewer alone: no copy is built (it would only cost memory).
    connect(room, 'viewer');
    await new Promise((resolve) => setTimeout(resolve, 800));
    await room.flush();
    expect(room.stagingReady).toBe(false);
    // Someone who may edit joins: the copy is ready before their first edit.
    const { socket, client } = connect(room);
    await expect.poll(() => room.stagingReady, { timeout: 5_000, interval: 50 }).toBe(true);
    // A refused update drops the copy (it may hold part of the refused change) and a new one follows.
    socket.deliver(encodeUpdate(clientEdit(client, 'finance', 'x', 1)));
    await room.flush();
    expect(socket.closes).toHaveLength(1);
    expect(room.stagingReady).toBe(false);
    const { socket: editor, client: editorDoc } = connect(room);
    await expect.poll(() => room.stagingReady, { timeout: 5_000, interval: 50 }).toBe(true);
    // The prepared copy judges the next edit like any other.
    editor.deliver(encodeUpdate(clientEdit(editorDoc, 'sales', 'a|2031-01', 5)));
    await room.flush();
    expect(editor.closes).toEqual([]);
    expect(room.doc.getMap('sales').get('a|2031-01')).toBe(5);
    room.destroy();
  });

  it('drops the staging copy a while after the last person who may edit left, and after a server change only viewers see', async () => {
    const room = await PlanRoom.load('doc-9', store, log, { stagingIdleMs: 300 });
    connect(room, 'viewer');
    const { socket } = connect(room, 'sales');
    await expect.poll(() => room.stagingReady, { timeout: 5_000, interval: 50 }).toBe(true);
    // An editor who leaves and is back within the grace period (a blip, a reload) keeps the copy.
    socket.emit('close');
    const { socket: back } = connect(room, 'sales');
    await new Promise((resolve) => setTimeout(resolve, 600));
    await room.flush();
    expect(room.stagingReady).toBe(true);
    back.emit('close');
    await expect.poll(() => room.stagingReady, { timeout: 5_000, interval: 50 }).toBe(false);
    // An import while only a viewer is in: the change needs a copy, which is not kept afterwards.
    await room.applyServerChange((doc) => doc.getMap<number>('sales').set('a|2031-01', 3));
    await room.flush();
    expect(room.stagingReady).toBe(false);
    expect(room.doc.getMap('sales').get('a|2031-01')).toBe(3);
    // An editor joining later gets a copy that holds the change, and their edit is judged on it.
    const { socket: editor, client } = connect(room, 'sales');
    await expect.poll(() => room.stagingReady, { timeout: 5_000, interval: 50 }).toBe(true);
    editor.deliver(encodeUpdate(clientEdit(client, 'sales', 'b|2031-01', 4)));
    await room.flush();
    expect(editor.closes).toEqual([]);
    expect(room.doc.getMap('sales').toJSON()).toEqual({ 'a|2031-01': 3, 'b|2031-01': 4 });
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
    const heartbeats = (socket: FakeSocket) => socket.sent.filter((frame) => Buffer.compare(frame, HEARTBEAT) === 0).length;
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
});

import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import { CloseCode, isStage, type ChangeKind, type Role, type Stage } from '@accord/protocol';
import { migratePlanDoc, ROOTS, schemaVersionOf, SCHEMA_VERSION, type RootName } from '@accord/plan-model';
import type { Credential } from '../auth/principal.ts';
import type { Logger } from '../logger.ts';
import { SequenceConflictError, type CellChange, type DocumentStore, type StoredUpdate } from './document-store.ts';
import type { Fanout, FanoutMessage } from './fanout.ts';
import { judgeUpdate, type GuardVerdict } from './update-guard.ts';
import {
  HEARTBEAT,
  decodeAwarenessEntries,
  decodeClientMessage,
  encodeAwareness,
  encodeAwarenessEntries,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  type AwarenessEntry,
} from './protocol.ts';

/** The socket of a connection as the room sees it (the endpoint adapts a WebSocket). */
export interface Peer {
  send(message: Uint8Array): void;
  close(code: number, reason: string): void;
  /** Bytes queued for the socket and not yet written to the network. */
  readonly bufferedAmount: number;
  readonly open: boolean;
}

/** One authenticated socket in a room. */
export interface Connection {
  peer: Peer;
  userId: string;
  role: Role;
  credential: Credential;
  log: Logger;
  /** Awareness client ids this socket has published, removed when it closes. */
  clientIds: Set<number>;
  /** Messages this socket may still send now (see MESSAGE_RATE). */
  rate: TokenBucket;
  /** performance.now() of the last message sent to this socket (the heartbeat goes to quiet ones). */
  lastSentAt: number;
  /** Updates waiting for changes this socket has not sent yet (see HOLD). */
  held?: HeldUpdates;
  /** The sequence number of this socket's last stored update, which a change note describes. */
  lastSeq?: number;
}

/** Updates held for a connection until it sends what they depend on. */
interface HeldUpdates {
  updates: Uint8Array[];
  bytes: number;
  timer: ReturnType<typeof setTimeout>;
}

// An awareness state is a name, a role and a selected cell: 8 KiB is generous and keeps one
// client from making every other client parse megabytes ten times a second.
const MAX_AWARENESS_BYTES = 8 * 1024;
// Fold the update log into the state blob every this many updates, so loads stay fast.
const COMPACT_EVERY_UPDATES = 500;
// One update is far below this; a frame above it is refused with 4413 (ws itself drops frames
// above its own hard limit with 1009).
export const MAX_UPDATE_BYTES = 8 * 1024 * 1024;
// Typing, pasting and moving the cursor send a few messages a second; 100 a second sustained with
// bursts of 500 (a reconnect replaying queued edits) leaves honest clients untouched.
export const MESSAGE_RATE = { perSecond: 100, burst: 500 } as const;
// A client that reconnects sends its live edits as soon as the socket opens, sometimes before its
// sync step 2 has carried the offline edits they build on. Such updates wait, per socket, for what
// they depend on: at most this many, this many bytes and this long, then the socket is closed.
export const HOLD = { updates: 64, bytes: 4 * 1024 * 1024, ms: 10_000 } as const;
// A socket that stops reading makes the server queue what it sends: past this, it is closed (4508)
// and reconnects when it reads again. One full state of the largest plan (~7 MB) always fits.
export const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** A token bucket: `burst` messages at once, refilled at `perSecond`. */
export class TokenBucket {
  #tokens: number;
  #last: number;
  readonly #perSecond: number;
  readonly #burst: number;
  constructor(perSecond: number, burst: number, now = performance.now()) {
    this.#perSecond = perSecond;
    this.#burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }
  /** Takes one token; false when the bucket is empty. */
  take(now = performance.now()): boolean {
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#perSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Origin of transactions made by the server itself (seed, load, server changes). */
export const SERVER_ORIGIN = Symbol('server');
/** Origin of updates another instance committed and published. */
const REMOTE_ORIGIN = Symbol('remote');

/** What a server change is, for the cell history. */
export interface ServerChangeOptions {
  /** Attribute the change to this person (e.g. a scenario merge); null: the server's own. */
  userId?: string | null;
  kind?: ChangeKind;
  /**
   * One line in planner words, e.g. "Actuals import: 336 cells"; a function is called once the
   * change has run (so it can count what it did).
   */
  summary?: string | (() => string);
}

export interface PlanRoomOptions {
  fanout?: Fanout;
}

/**
 * A loaded plan document and its sockets. Every message of every socket goes through one queue,
 * so updates are judged, stored and applied in the order they arrived. A client's update is judged
 * from its structs against the live document (update-guard.ts), committed with the next number of
 * the document's sequence, published to the other instances, sent to every other socket, and only
 * then applied: nothing anyone reads is unstored. A server change runs in one transaction of the
 * live document whose update is stored before anyone is sent it; if it throws or cannot be stored,
 * the live document is loaded again from the store.
 */
export class PlanRoom {
  readonly documentId: string;
  #live: Y.Doc;
  // Presence does not belong to the plan document (which is replaced when it is reloaded), so the
  // awareness instance gets a document of its own for its client id.
  readonly awareness = new awarenessProtocol.Awareness(new Y.Doc());
  readonly connections = new Set<Connection>();
  readonly #store: DocumentStore;
  readonly #log: Logger;
  readonly #fanout: Fanout | undefined;
  readonly #unsubscribe: () => void;
  #queue: Promise<void> = Promise.resolve();
  /** The document's sequence number this room's live document is at. */
  #seq = 0;
  #stateSeq = 0;
  #updatesSinceCompaction = 0;
  #fullStateCache: Uint8Array | undefined;
  #fullStateV2Cache: Uint8Array | undefined;
  /** Client id → user, from the store and from the updates this room accepted. */
  readonly #clientOwners: Map<number, string>;
  #closed = false;
  readonly #hasStoredState: boolean;
  /** A background compaction in flight, if any. */
  #compaction: Promise<void> | undefined;
  /** Called after an accepted update changed comments (the server re-indexes them for inboxes). */
  onCommentsChanged: ((room: PlanRoom) => void) | undefined;

  private constructor(documentId: string, store: DocumentStore, log: Logger, fanout: Fanout | undefined, stored: LoadedDoc) {
    this.documentId = documentId;
    this.#store = store;
    this.#log = log;
    this.#fanout = fanout;
    this.#live = stored.doc;
    this.#seq = stored.seq;
    this.#stateSeq = stored.stateSeq;
    this.#updatesSinceCompaction = stored.updates;
    this.#clientOwners = stored.clients;
    this.#fullStateCache = stored.fullState;
    this.#hasStoredState = stored.hasState;
    this.#live.on('afterTransaction', this.#forgetFullState);
    this.awareness.setLocalState(null);
    this.awareness.on('update', ({ added, updated, removed }: AwarenessChange, origin: unknown) => {
      const changed = [...added, ...updated, ...removed];
      if (origin && typeof origin === 'object' && 'clientIds' in origin) {
        const conn = origin as Connection;
        for (const id of added) conn.clientIds.add(id);
        for (const id of removed) conn.clientIds.delete(id);
      }
      const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed);
      this.#broadcast(encodeAwareness(update));
      if (origin !== REMOTE_ORIGIN) this.#fanout?.publish({ type: 'awareness', documentId: this.documentId, update });
    });
    this.#unsubscribe =
      fanout?.subscribe(documentId, {
        message: (message) => this.#onFanout(message),
        // Updates stored by others between loading and listening were not sent here.
        listening: () => {
          if (this.#closed) return;
          this.catchUpFromStore().catch((e: unknown) => this.#log.error({ err: e, documentId }, 'catching up from the store failed'));
        },
      }) ?? (() => undefined);
  }

  /** The live plan document. Read it between awaits: reloading replaces it. */
  get doc(): Y.Doc {
    return this.#live;
  }

  /** The document's last sequence number as this room knows it. */
  get seq(): number {
    return this.#seq;
  }

  readonly #forgetFullState = (): void => {
    this.#fullStateCache = undefined;
    this.#fullStateV2Cache = undefined;
  };

  /** The whole live document in the V2 encoding (for the HTTP bootstrap), once queued work is done; cached until the next change. */
  async encodedStateV2(): Promise<Uint8Array> {
    await this.flush();
    this.#fullStateV2Cache ??= Y.encodeStateAsUpdateV2(this.#live);
    return this.#fullStateV2Cache;
  }

  /** Loads a document completely (state, then the update log) before anyone can sync with it. */
  static async load(documentId: string, store: DocumentStore, log: Logger, options: PlanRoomOptions = {}): Promise<PlanRoom> {
    const room = new PlanRoom(documentId, store, log, options.fanout, await loadDoc(store, documentId));
    // A document written by an older Accord is brought up to date once, as a stored server change.
    if (room.#hasStoredState && schemaVersionOf(room.doc) < SCHEMA_VERSION) {
      await room.applyServerChange((doc) => migratePlanDoc(doc), {
        kind: 'plan-setup',
        summary: `Plan layout upgraded to version ${SCHEMA_VERSION}`,
      });
      log.info({ documentId, to: SCHEMA_VERSION }, 'plan document migrated');
    }
    return room;
  }

  /** Adds a socket: sends the server's state vector and everyone's presence. */
  connect(conn: Connection): void {
    this.connections.add(conn);
    this.#send(conn, encodeSyncStep1(Y.encodeStateVector(this.doc)));
    const states = this.awareness.getStates();
    if (states.size > 0) {
      this.#send(conn, encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...states.keys()])));
    }
  }

  /** Takes one frame from a socket: checked at once for size and rate, handled in the queue. */
  receive(conn: Connection, frame: Uint8Array, isBinary: boolean): void {
    if (!isBinary) {
      this.#close(conn, CloseCode.malformedMessage, 'text frames are not part of the protocol');
      return;
    }
    if (!conn.rate.take()) {
      this.#close(conn, CloseCode.rateLimited, `more than ${MESSAGE_RATE.perSecond} messages a second; reconnect later`);
      return;
    }
    if (frame.byteLength > MAX_UPDATE_BYTES) {
      this.#close(conn, CloseCode.messageTooLarge, `frames are limited to ${MAX_UPDATE_BYTES} bytes`);
      return;
    }
    this.#enqueue(() => this.#handleFrame(conn, frame));
  }

  /** Removes a socket that closed. */
  disconnect(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    if (conn.held) clearTimeout(conn.held.timer);
    conn.held = undefined;
    awarenessProtocol.removeAwarenessStates(this.awareness, [...conn.clientIds], null);
  }

  /** Resolves when every message received so far has been handled. */
  flush(): Promise<void> {
    return this.#queue;
  }

  /** Resolves when the compaction in flight, if any, has been written (or failed). */
  compactionSettled(): Promise<void> {
    return this.#compaction ?? Promise.resolve();
  }

  /** Writes the whole state as the compacted blob and drops the log it replaces. */
  async compact(): Promise<void> {
    await this.#enqueueAndWait(async () => {
      // A background compaction still running has its own snapshot: let it finish first.
      await this.#compaction;
      if (this.#updatesSinceCompaction > 0) await this.#compactHere();
    });
  }

  /**
   * Applies a change made by the server itself (not subject to role checks): one transaction of
   * the live document, stored with its cell history before anyone is sent it. With a `userId` the
   * change is attributed to that person (e.g. a scenario merge). If `change` throws, or storing
   * fails, nothing is stored or sent and the live document is loaded again from the store.
   */
  async applyServerChange(change: (doc: Y.Doc) => void, options: ServerChangeOptions = {}): Promise<void> {
    await this.#enqueueAndWait(() => this.#serverChange(change, options, true));
  }

  async #serverChange(change: (doc: Y.Doc) => void, options: ServerChangeOptions, retry: boolean): Promise<void> {
    {
      const userId = options.userId ?? null;
      let update: Uint8Array | undefined;
      let cells: CellChange[] = [];
      let failure: unknown;
      const build = (missed: StoredUpdate[]) => {
        // Updates another instance stored since this room's last: applied first (and sent on).
        for (const m of missed) this.#applyRemote(m);
        const live = this.#live;
        const capture = (u: Uint8Array) => (update = update ? Y.mergeUpdates([update, u]) : u);
        const collect = (tr: Y.Transaction) => (cells = changedCells(live, tr));
        live.on('update', capture);
        live.on('afterTransaction', collect);
        try {
          Y.transact(live, () => change(live), SERVER_ORIGIN);
        } catch (e: unknown) {
          failure = e;
        } finally {
          live.off('update', capture);
          live.off('afterTransaction', collect);
        }
        if (failure !== undefined || update === undefined) return undefined;
        return {
          documentId: this.documentId,
          update,
          userId,
          at: new Date().toISOString(),
          kind: options.kind ?? 'edited',
          summary: typeof options.summary === 'function' ? options.summary() : (options.summary ?? ''),
          cells,
          newClients: [],
        };
      };
      let seq: number | undefined;
      try {
        seq = await this.#store.appendExclusive(this.documentId, this.#seq, build);
      } catch (e: unknown) {
        failure ??= e;
      }
      if (failure !== undefined) {
        // A change that threw halfway, or one not stored, must not stay readable.
        if (update !== undefined || failure instanceof SequenceConflictError) await this.#reload();
        // What this room missed was folded into the stored state before the change was made: the
        // change runs again on the reloaded document.
        if (failure instanceof SequenceConflictError && update === undefined && retry) return this.#serverChange(change, options, false);
        throw failure;
      }
      if (seq === undefined || update === undefined) return;
      this.#accepted(seq);
      this.#fanout?.publish({ type: 'update', documentId: this.documentId, seq, update });
      this.#broadcast(encodeUpdate(update));
      this.#compactIfDue();
    }
  }

  /**
   * Sends the HEARTBEAT to every socket that was sent nothing since `quietSince` (a
   * performance.now() time): y-websocket clients drop a connection that brings no message for 30 s.
   */
  heartbeat(quietSince: number): void {
    for (const conn of this.connections) if (conn.lastSentAt <= quietSince) this.#send(conn, HEARTBEAT);
  }

  /** Closes every socket (e.g. on shutdown) and stops accepting messages. */
  closeAll(code: number, reason: string): void {
    for (const conn of [...this.connections]) this.#close(conn, code, reason);
  }

  /** Closes the sockets that match (a user signed out everywhere, a revoked token, a changed role). */
  closeWhere(match: (conn: Connection) => boolean, code: number, reason: string): void {
    for (const conn of [...this.connections]) if (match(conn)) this.#close(conn, code, reason);
  }

  /** True once the room was unloaded; a socket that raced the unload must reconnect. */
  get destroyed(): boolean {
    return this.#closed;
  }

  destroy(): void {
    this.#closed = true;
    this.#unsubscribe();
    for (const conn of this.connections) if (conn.held) clearTimeout(conn.held.timer);
    this.awareness.destroy();
    this.awareness.doc.destroy();
    this.#live.destroy();
  }

  async #handleFrame(conn: Connection, frame: Uint8Array): Promise<void> {
    if (this.#closed || !this.connections.has(conn)) return;
    let message;
    try {
      message = decodeClientMessage(frame);
    } catch (e: unknown) {
      conn.log.warn({ err: e }, 'malformed sync frame');
      this.#close(conn, CloseCode.malformedMessage, `malformed y-websocket message: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    switch (message.type) {
      case 'syncStep1':
        this.#send(conn, encodeSyncStep2(this.#encodeStateFor(message.stateVector)));
        return;
      case 'update':
        await this.#handleUpdate(conn, message.update);
        return;
      case 'awareness':
        this.#handleAwareness(conn, message.update);
        return;
      case 'changeNote':
        await this.#annotate(conn, message.note);
        return;
      case 'queryAwareness':
        this.#send(conn, encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()])));
        return;
    }
  }

  #stage(): Stage {
    const stage = this.doc.getMap<unknown>('meta').get('cycleStage');
    return isStage(stage) ? stage : 'data-gathering';
  }

  #ownerOf(conn: Connection): (client: number) => string | undefined {
    return (client) => {
      const stored = this.#clientOwners.get(client);
      if (stored !== undefined) return stored;
      // An id another open socket announced in its presence is that person's, even before they write.
      for (const other of this.connections) if (other !== conn && other.clientIds.has(client)) return other.userId;
      return undefined;
    };
  }

  #judge(conn: Connection, update: Uint8Array): GuardVerdict {
    return judgeUpdate(this.#live, update, { role: conn.role, userId: conn.userId, stage: this.#stage() }, this.#ownerOf(conn));
  }

  async #handleUpdate(conn: Connection, update: Uint8Array): Promise<void> {
    // A sync step 2 from a client that has nothing new is an empty update (no structs, no deletes).
    if (update.byteLength === 2 && update[0] === 0 && update[1] === 0) return;
    let verdict = this.#judge(conn, update);
    if (verdict.type === 'pending' && this.#fanout?.distributed) {
      // What it builds on may be another instance's update this one has not heard of yet.
      await this.#catchUp();
      verdict = this.#judge(conn, update);
    }
    if (verdict.type === 'pending') {
      this.#hold(conn, update, verdict.reason);
      return;
    }
    if (!(await this.#accept(conn, update, verdict))) return;
    await this.#retryHeld(conn);
    this.#compactIfDue();
  }

  /**
   * Stores, publishes, sends and applies an update the guard judged (refusing it otherwise).
   * Resolves true when the connection is still open and may go on.
   */
  async #accept(conn: Connection, update: Uint8Array, judged: GuardVerdict): Promise<boolean> {
    let verdict = judged;
    let ownersRead = false;
    for (let attempt = 0; ; attempt++) {
      if (verdict.type === 'forbidden' && !ownersRead && this.#fanout?.distributed) {
        // With several instances an honest update can look forbidden here for two reasons. The
        // sender may have written under its client id on another instance first (it reconnected
        // here): that instance recorded the id as the sender's in the store, which this room has not
        // read. Or it carries other people's changes it received from another instance that this
        // one has not heard of yet (a reconnecting client's sync step 2 sends everything the server
        // lacks; what it received was stored before it was sent). Catch up from the store, read the
        // owners again and judge once more; a forged id stays forbidden.
        ownersRead = true;
        await this.#catchUp();
        for (const [client, user] of await this.#store.clientOwners(this.documentId)) this.#clientOwners.set(client, user);
        verdict = this.#judge(conn, update);
        continue;
      }
      if (verdict.type === 'pending') {
        this.#close(conn, CloseCode.malformedMessage, verdict.reason);
        return false;
      }
      if (verdict.type !== 'accepted') {
        conn.log.warn({ verdict }, 'update refused');
        this.#close(conn, verdict.type === 'forbidden' ? CloseCode.permissionDenied : CloseCode.malformedMessage, verdict.reason);
        return false;
      }
      if (!verdict.changed) return true;
      const cells = cellChanges(this.#live, verdict.cells);
      try {
        const seq = await this.#store.append({
          documentId: this.documentId,
          update,
          afterSeq: this.#seq,
          userId: conn.userId,
          at: new Date().toISOString(),
          kind: 'edited',
          summary: '',
          cells,
          newClients: verdict.newClients,
        });
        for (const client of verdict.newClients) this.#clientOwners.set(client, conn.userId);
        conn.lastSeq = seq;
        this.#fanout?.publish({ type: 'update', documentId: this.documentId, seq, update });
        // The sender already holds its update; echoing it would only make it decode its own edit again.
        this.#broadcast(encodeUpdate(update), conn);
        Y.applyUpdate(this.#live, update, conn);
        this.#accepted(seq);
        if (verdict.roots.includes('comments')) this.onCommentsChanged?.(this);
        return true;
      } catch (e: unknown) {
        if (e instanceof SequenceConflictError && attempt < 5) {
          // Another instance stored an update first: catch up, then judge this one again.
          await this.#catchUp();
          verdict = this.#judge(conn, update);
          continue;
        }
        // Not stored, so not applied and not broadcast; the sender keeps it and resends it when it
        // reconnects (its sync step 2 carries everything the server lacks).
        conn.log.error({ err: e }, 'storing an update failed');
        this.#close(conn, CloseCode.storageFailed, 'the server could not store your change; reconnecting will resend it');
        return false;
      }
    }
  }

  /** An update that depends on changes not received yet waits (HOLD) for the same socket to send them. */
  #hold(conn: Connection, update: Uint8Array, reason: string): void {
    const held = conn.held;
    if (held && (held.updates.length >= HOLD.updates || held.bytes + update.byteLength > HOLD.bytes)) {
      this.#close(conn, CloseCode.malformedMessage, reason);
      return;
    }
    if (!held) {
      const timer = setTimeout(() => {
        if (!conn.held) return;
        conn.held = undefined;
        this.#close(conn, CloseCode.malformedMessage, `${reason}, and they did not arrive`);
      }, HOLD.ms);
      timer.unref();
      conn.held = { updates: [update], bytes: update.byteLength, timer };
    } else {
      held.updates.push(update);
      held.bytes += update.byteLength;
    }
  }

  /** Judges the held updates of a connection again, in order, now that it sent more. */
  async #retryHeld(conn: Connection): Promise<void> {
    while (conn.held && this.connections.has(conn)) {
      const held = conn.held;
      const verdict = this.#judge(conn, held.updates[0]!);
      if (verdict.type === 'pending') return;
      const update = held.updates.shift()!;
      held.bytes -= update.byteLength;
      if (held.updates.length === 0) {
        clearTimeout(held.timer);
        conn.held = undefined;
      }
      if (!(await this.#accept(conn, update, verdict))) return;
    }
  }

  /** A change note names how the socket's last stored update was made. */
  async #annotate(conn: Connection, note: { kind: ChangeKind; summary: string }): Promise<void> {
    const seq = conn.lastSeq;
    if (seq === undefined) return;
    conn.lastSeq = undefined;
    try {
      await this.#store.annotate(this.documentId, seq, note);
    } catch (e: unknown) {
      // The change itself is stored; only how it was made is lost.
      conn.log.error({ err: e }, 'storing a change note failed');
    }
  }

  #handleAwareness(conn: Connection, update: Uint8Array): void {
    if (update.byteLength > MAX_AWARENESS_BYTES) {
      this.#close(conn, CloseCode.messageTooLarge, `presence updates are limited to ${MAX_AWARENESS_BYTES} bytes`);
      return;
    }
    let entries: AwarenessEntry[];
    try {
      entries = decodeAwarenessEntries(update);
    } catch {
      this.#close(conn, CloseCode.malformedMessage, 'malformed awareness update');
      return;
    }
    const own: AwarenessEntry[] = [];
    for (const entry of entries) {
      const { clientId, clock, state } = entry;
      const owner = [...this.connections].find((c) => c !== conn && c.clientIds.has(clientId));
      const known = this.awareness.meta.get(clientId)?.clock ?? -1;
      // The official client sends on every change it hears, others' included: an entry no newer
      // than what the server has is such an echo, and is dropped quietly.
      if (clientId !== this.awareness.clientID && clock <= known && (owner || !conn.clientIds.has(clientId))) continue;
      const user = (state as { user?: { id?: unknown; role?: unknown } } | null)?.user;
      // A client that never said who it is (a plain y-websocket client publishes `{}` and renews it
      // every 15 s) has no presence to show: ignored, without a warning each time.
      if (!owner && state !== null && user === undefined) continue;
      if (owner || (state !== null && (user?.id !== conn.userId || user?.role !== conn.role))) {
        conn.log.warn({ clientId }, 'awareness update impersonates another user; ignored');
        continue;
      }
      own.push(entry);
    }
    if (own.length === 0) return;
    awarenessProtocol.applyAwarenessUpdate(this.awareness, own.length === entries.length ? update : encodeAwarenessEntries(own), conn);
  }

  /** Applies what other instances stored that this room has not heard of (a lost message, Redis down). */
  catchUpFromStore(): Promise<void> {
    return this.#enqueueAndWait(() => this.#catchUp());
  }

  /** Another instance's message about this document. */
  #onFanout(message: FanoutMessage): void {
    if (this.#closed) return;
    if (message.type === 'awareness') {
      awarenessProtocol.applyAwarenessUpdate(this.awareness, message.update, REMOTE_ORIGIN);
      return;
    }
    if (message.type === 'presenceQuery') {
      // An instance that just opened the document: tell it who is here (only this instance's own
      // sockets; the others answer for theirs).
      const here = [...this.connections].flatMap((conn) => [...conn.clientIds]).filter((id) => this.awareness.getStates().has(id));
      if (here.length > 0)
        this.#fanout?.publish({
          type: 'awareness',
          documentId: this.documentId,
          update: awarenessProtocol.encodeAwarenessUpdate(this.awareness, here),
        });
      return;
    }
    this.#enqueue(async () => {
      if (message.seq <= this.#seq) return;
      if (message.type === 'update' && message.seq === this.#seq + 1) this.#applyRemote({ seq: message.seq, data: message.update });
      else await this.#catchUp();
    });
  }

  /**
   * Tells the other instances this room's last sequence number, so one that missed an update this
   * instance published while its fan-out was broken catches up from the store.
   */
  announceHead(): void {
    if (this.#closed || this.#seq === 0) return;
    this.#fanout?.publish({ type: 'head', documentId: this.documentId, seq: this.#seq });
  }

  /** Applies an update another instance stored, in sequence, and sends it to this room's sockets. */
  #applyRemote(stored: StoredUpdate): void {
    Y.applyUpdate(this.#live, stored.data, REMOTE_ORIGIN);
    this.#broadcast(encodeUpdate(stored.data));
    this.#accepted(stored.seq);
  }

  /** Fills a gap in the sequence from the store (an update another instance stored that this one missed). */
  async #catchUp(): Promise<void> {
    const missed = await this.#store.updatesAfter(this.documentId, this.#seq);
    if (missed === undefined) {
      await this.#reload();
      return;
    }
    for (const m of missed) this.#applyRemote(m);
  }

  /** Loads the live document again from the store, keeping the sockets (they hold what is stored). */
  async #reload(): Promise<void> {
    const stored = await loadDoc(this.#store, this.documentId);
    const previous = this.#live;
    previous.off('afterTransaction', this.#forgetFullState);
    // Anything stored that the previous copy lacked goes to the sockets as one update.
    const missing = Y.encodeStateAsUpdate(stored.doc, Y.encodeStateVector(previous));
    this.#live = stored.doc;
    this.#live.on('afterTransaction', this.#forgetFullState);
    this.#seq = stored.seq;
    this.#stateSeq = stored.stateSeq;
    this.#updatesSinceCompaction = stored.updates;
    for (const [client, user] of stored.clients) this.#clientOwners.set(client, user);
    this.#forgetFullState();
    previous.destroy();
    if (missing.byteLength > 2) this.#broadcast(encodeUpdate(missing));
    this.#log.warn({ documentId: this.documentId, seq: this.#seq }, 'live document reloaded from the store');
  }

  /** Bookkeeping after an update with sequence number `seq` is stored and applied. */
  #accepted(seq: number): void {
    this.#seq = Math.max(this.#seq, seq);
    this.#updatesSinceCompaction++;
  }

  #compactIfDue(): void {
    if (this.#updatesSinceCompaction < COMPACT_EVERY_UPDATES || this.#compaction) return;
    const counted = this.#updatesSinceCompaction;
    const through = this.#seq;
    // Off the event loop, from what is stored (a SQLite file's worker); otherwise (PostgreSQL) the
    // live document is encoded here and written while the queue goes on: a fold is several round
    // trips and a WAL flush (~9 ms for a small plan), which the next edits need not wait for.
    // Edits go on meanwhile either way (their numbers are higher than what is folded).
    const folding = this.#store.compactInBackground(this.documentId, through) ?? this.#foldLive(through);
    this.#updatesSinceCompaction = 0;
    this.#compaction = folding
      .then((swapped) => {
        if (swapped) this.#stateSeq = Math.max(this.#stateSeq, through);
      })
      .catch((e: unknown) => {
        // The log still holds every update; compaction is retried after the next one.
        this.#updatesSinceCompaction += counted;
        this.#log.error({ err: e, documentId: this.documentId }, 'compaction failed; the update log keeps every change');
      })
      .finally(() => (this.#compaction = undefined));
  }

  /** Encodes the live document now (it is at `through`) and resolves true once it is stored as the compacted state. */
  async #foldLive(through: number): Promise<boolean> {
    await this.#store.compact(this.documentId, Y.encodeStateAsUpdate(this.doc), through, new Date().toISOString());
    return true;
  }

  /** Writes the live document as the compacted state, on the event loop. */
  async #compactHere(): Promise<void> {
    const through = this.#seq;
    await this.#store.compact(this.documentId, Y.encodeStateAsUpdate(this.doc), through, new Date().toISOString());
    this.#stateSeq = through;
    this.#updatesSinceCompaction = 0;
  }

  /** The state a client lacks; the full state (the common case on join) is cached until the next update. */
  #encodeStateFor(stateVector: Uint8Array): Uint8Array {
    const isEmpty = stateVector.byteLength === 1 && stateVector[0] === 0;
    if (!isEmpty) return Y.encodeStateAsUpdate(this.doc, stateVector);
    this.#fullStateCache ??= Y.encodeStateAsUpdate(this.doc);
    return this.#fullStateCache;
  }

  #close(conn: Connection, code: number, reason: string): void {
    this.disconnect(conn);
    // Close reasons are limited to 123 bytes by RFC 6455.
    conn.peer.close(code, reason.slice(0, 120));
  }

  #send(conn: Connection, message: Uint8Array): void {
    if (!conn.peer.open) return;
    if (conn.peer.bufferedAmount > 0 && conn.peer.bufferedAmount + message.byteLength > MAX_BUFFERED_BYTES) {
      conn.log.warn({ buffered: conn.peer.bufferedAmount }, 'socket does not read what it is sent; closing it');
      this.#close(conn, CloseCode.slowReader, 'your connection fell too far behind; reconnecting');
      return;
    }
    conn.lastSentAt = performance.now();
    conn.peer.send(message);
  }

  #broadcast(message: Uint8Array, except?: Connection): void {
    for (const conn of this.connections) if (conn !== except) this.#send(conn, message);
  }

  #enqueue(task: () => Promise<void>): void {
    this.#queue = this.#queue
      .then(task)
      .catch((e: unknown) => this.#log.error({ err: e, documentId: this.documentId }, 'sync task failed'));
  }

  #enqueueAndWait(task: () => Promise<void>): Promise<void> {
    const result = this.#queue.then(task);
    this.#queue = result.catch((e: unknown) => this.#log.error({ err: e, documentId: this.documentId }, 'sync task failed'));
    return result;
  }
}

interface LoadedDoc {
  doc: Y.Doc;
  seq: number;
  stateSeq: number;
  /** Updates in the log after the state. */
  updates: number;
  clients: Map<number, string>;
  /** The stored state when it is exactly the full state (no updates after it). */
  fullState: Uint8Array | undefined;
  hasState: boolean;
}

async function loadDoc(store: DocumentStore, documentId: string): Promise<LoadedDoc> {
  const stored = await store.load(documentId);
  const doc = new Y.Doc();
  Y.transact(
    doc,
    () => {
      if (stored.state) Y.applyUpdate(doc, stored.state);
      for (const update of stored.updates) Y.applyUpdate(doc, update.data);
    },
    SERVER_ORIGIN,
  );
  return {
    doc,
    seq: stored.seq,
    stateSeq: stored.stateSeq,
    updates: stored.updates.length,
    clients: stored.clients,
    // A compacted state with no later updates is exactly the full state: the first join gets the
    // stored bytes instead of a fresh encode of the whole document.
    fullState: stored.state && stored.updates.length === 0 ? stored.state : undefined,
    hasState: stored.state !== undefined,
  };
}

function isValueRoot(name: string): boolean {
  return Object.hasOwn(ROOTS, name) && ROOTS[name as RootName].kind === 'value';
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

/**
 * The cells an accepted client update changes, old → new, before it is applied: the old value
 * from the live document, the new one what the update writes last for the key (the sender's
 * value; should a concurrent write of the same cell end up ordered after it, that write is
 * recorded as its own change), or empty when it only clears the cell.
 */
function cellChanges(live: Y.Doc, cells: readonly { root: string; key: string; value: number | null }[]): CellChange[] {
  const changes: CellChange[] = [];
  // Cells come by root (a spread: 18,000 of one), so each root's map is looked up once per run.
  let root: string | undefined;
  let map: Y.Map<unknown> | undefined;
  for (const cell of cells) {
    if (cell.root !== root || !map) map = live.getMap((root = cell.root));
    const oldValue = numberOrNull(map.get(cell.key));
    if (oldValue !== cell.value) changes.push({ root, key: cell.key, oldValue, newValue: cell.value });
  }
  return changes;
}

/** The value cells a server change's transaction changed, old → new (read inside the transaction's end). */
function changedCells(doc: Y.Doc, tr: Y.Transaction): CellChange[] {
  const cells: CellChange[] = [];
  for (const [type, keys] of tr.changed) {
    if (type._item !== null) continue;
    const root = Y.findRootTypeKey(type);
    if (!isValueRoot(root)) continue;
    const changes = new Y.YMapEvent(type as unknown as Y.Map<unknown>, tr, keys).changes.keys;
    for (const [key, change] of changes) {
      const oldValue = change.action === 'add' ? null : numberOrNull(change.oldValue);
      const newValue = numberOrNull(doc.getMap(root).get(key));
      if (oldValue !== newValue) cells.push({ root, key, oldValue, newValue });
    }
  }
  return cells;
}

interface AwarenessChange {
  added: number[];
  updated: number[];
  removed: number[];
}

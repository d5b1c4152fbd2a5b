import * as Y from 'yjs';
import * as awarenessProtocol from 'y-protocols/awareness';
import type { WebSocket } from 'ws';
import { CloseCode, isStage, writesAnything, type Role } from '@accord/protocol';
import { migratePlanDoc, ROOTS, schemaVersionOf, SCHEMA_VERSION, type RootName } from '@accord/plan-model';
import type { Credential } from '../auth/principal.ts';
import type { Logger } from '../logger.ts';
import type { CellChange, DocumentRepository } from './document.repository.ts';
import { applyToStaging, cloneDoc } from './update-guard.ts';
import {
  HEARTBEAT,
  decodeAwarenessEntries,
  decodeClientMessage,
  encodeAwareness,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
} from './protocol.ts';

/** One authenticated socket in a room. */
export interface Connection {
  ws: WebSocket;
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
}

// An awareness state is a name, a role and a selected cell: 8 KiB is generous and keeps one
// client from making every other client parse megabytes ten times a second.
const MAX_AWARENESS_BYTES = 8 * 1024;
// The staging copy is built this long after the first person who may edit joins (or after a
// refused update dropped it), once their sync is answered: building it on the first edit made that
// edit wait (~0.5 s for a plan of 1,000 SKUs) and every edit queued behind it. A plan only viewers
// have open is spared the second copy in memory: a server change builds one when it needs it, and
// it is dropped a while after the last person who may edit left (`stagingIdleMs`: not at once, so
// an editor whose connection blips, or who reopens the plan, does not pay for a new copy).
const STAGING_WARMUP_MS = 500;
const STAGING_IDLE_MS = 60_000;
// Fold the update log into the state blob every this many updates, so loads stay fast.
const COMPACT_EVERY_UPDATES = 500;
// One update is far below this; a frame above it is refused with 4413 (ws itself drops frames
// above its own hard limit with 1009).
export const MAX_UPDATE_BYTES = 8 * 1024 * 1024;
// Typing, pasting and moving the cursor send a few messages a second; 100 a second sustained with
// bursts of 500 (a reconnect replaying queued edits) leaves honest clients untouched.
export const MESSAGE_RATE = { perSecond: 100, burst: 500 } as const;

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

/** Origin of transactions made by the server itself (seed, load), as opposed to a Connection. */
export const SERVER_ORIGIN = Symbol('server');

/**
 * A loaded plan document and its sockets. Every message of every socket goes through one queue,
 * so updates are checked, stored and applied in the order they arrived, and an update is
 * committed to the database before anyone else is sent it (the sender is never sent its own).
 *
 * The room holds two documents in the same state: the live one everybody reads, and the guard's
 * staging copy where a change is tried first. A client's update is judged on the copy, stored,
 * then applied to the live document. A server change is made on the copy, stored, and then the
 * two swap roles: the changed copy goes live at once and the old live document catches up later,
 * in the queue, so a bulk change (an import, a baseline) is decoded and integrated once before
 * its caller hears back, not twice.
 */
export class PlanRoom {
  readonly documentId: string;
  #live = new Y.Doc();
  // Presence does not belong to the plan document (which is replaced when a server change goes
  // live), so the awareness instance gets a document of its own for its client id.
  readonly awareness = new awarenessProtocol.Awareness(new Y.Doc());
  readonly connections = new Set<Connection>();
  // The guard's copy of the live document, built on first need: a document opened only to be read
  // (most joins, every cold load) never pays for a second copy.
  #stagingDoc: Y.Doc | undefined;
  // Stored updates the staging copy has not applied yet (it was the live document before a swap).
  #stagingBehind: Uint8Array[] = [];
  readonly #store: DocumentRepository;
  readonly #log: Logger;
  #queue: Promise<void> = Promise.resolve();
  #lastUpdateId = 0;
  #updatesSinceCompaction = 0;
  #fullStateCache: Uint8Array | undefined;
  #fullStateV2Cache: Uint8Array | undefined;
  #closed = false;
  #warmupTimer: ReturnType<typeof setTimeout> | undefined;
  #stagingIdleTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #stagingIdleMs: number;
  /** A background compaction in flight, if any. */
  #compaction: Promise<void> | undefined;
  /** Called after an accepted update changed comments (the server re-indexes them for inboxes). */
  onCommentsChanged: ((room: PlanRoom) => void) | undefined;

  private constructor(documentId: string, store: DocumentRepository, log: Logger, stagingIdleMs: number) {
    this.documentId = documentId;
    this.#store = store;
    this.#log = log;
    this.#stagingIdleMs = stagingIdleMs;
    this.awareness.setLocalState(null);
    // Every change is broadcast as the update bytes the room already holds: no 'update' listener
    // on the live document, so Yjs never re-encodes what it has just decoded.
    this.#live.on('afterTransaction', this.#forgetFullState);
    this.awareness.on('update', ({ added, updated, removed }: AwarenessChange, origin: unknown) => {
      const changed = [...added, ...updated, ...removed];
      if (origin && typeof origin === 'object' && 'clientIds' in origin) {
        const conn = origin as Connection;
        for (const id of added) conn.clientIds.add(id);
        for (const id of removed) conn.clientIds.delete(id);
      }
      this.#broadcast(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed)));
    });
  }

  /** The live plan document. Read it between awaits: a server change replaces it with its staging copy. */
  get doc(): Y.Doc {
    return this.#live;
  }

  readonly #forgetFullState = (): void => {
    this.#fullStateCache = undefined;
    this.#fullStateV2Cache = undefined;
  };

  /** The whole live document in the V2 encoding (for the HTTP bootstrap), cached until the next change. */
  encodedStateV2(): Uint8Array {
    this.#fullStateV2Cache ??= Y.encodeStateAsUpdateV2(this.#live);
    return this.#fullStateV2Cache;
  }

  /**
   * Loads a document completely (state, then the update log) before anyone can sync with it.
   * `stagingIdleMs`: how long the staging copy outlives the last person who may edit.
   */
  static async load(
    documentId: string,
    store: DocumentRepository,
    log: Logger,
    options: { stagingIdleMs?: number } = {},
  ): Promise<PlanRoom> {
    const room = new PlanRoom(documentId, store, log, options.stagingIdleMs ?? STAGING_IDLE_MS);
    const stored = await store.load(documentId);
    Y.transact(
      room.doc,
      () => {
        if (stored.state) Y.applyUpdate(room.doc, stored.state);
        for (const update of stored.updates) Y.applyUpdate(room.doc, update.data);
      },
      SERVER_ORIGIN,
    );
    room.#lastUpdateId = stored.updates.at(-1)?.id ?? 0;
    room.#updatesSinceCompaction = stored.updates.length;
    // A compacted state with no later updates is exactly the full state: the first join gets the
    // stored bytes instead of a fresh encode of the whole document.
    if (stored.state && stored.updates.length === 0) room.#fullStateCache = stored.state;
    // A document written by an older Accord is brought up to date once, as a stored server change.
    if (stored.state && schemaVersionOf(room.doc) < SCHEMA_VERSION) {
      await room.applyServerChange((doc) => migratePlanDoc(doc));
      log.info({ documentId, to: SCHEMA_VERSION }, 'plan document migrated');
    }
    return room;
  }

  /** Adds a socket: sends the server's state vector and everyone's presence. */
  connect(conn: Connection): void {
    this.connections.add(conn);
    if (writesAnything(conn.role)) {
      clearTimeout(this.#stagingIdleTimer);
      this.#stagingIdleTimer = undefined;
      if (this.#stagingDoc === undefined) this.#prepareStaging();
    }
    conn.ws.on('message', (data: Buffer, isBinary: boolean) => {
      const frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
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
    });
    conn.ws.on('close', () => this.#disconnect(conn));
    this.#send(conn, encodeSyncStep1(Y.encodeStateVector(this.doc)));
    const states = this.awareness.getStates();
    if (states.size > 0) {
      this.#send(conn, encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...states.keys()])));
    }
  }

  /** Resolves when every message received so far has been handled. */
  flush(): Promise<void> {
    return this.#queue;
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
   * Applies a change made by the server itself (not subject to role checks), stored first. With a
   * `userId` the change is attributed to that person (e.g. a scenario merge): the value cells it
   * changed are recorded in the cell history under their name, as for their own edits.
   */
  async applyServerChange(change: (doc: Y.Doc) => void, options: { userId?: string | null } = {}): Promise<void> {
    const userId = options.userId ?? null;
    await this.#enqueueAndWait(async () => {
      // The staging copy mirrors the live document, so the change is made there (no copy of the
      // document per change), stored, and only then made live and broadcast.
      const staging = this.#staging();
      const changedCells: { root: string; key: string }[] = [];
      const collect = (tr: Y.Transaction) => {
        for (const [type, keys] of tr.changed) {
          if (type._item !== null) continue;
          const root = [...staging.share].find(([, shared]) => shared === type)?.[0];
          if (root === undefined || !isValueRoot(root)) continue;
          for (const key of keys) if (key !== null) changedCells.push({ root, key });
        }
      };
      let update: Uint8Array | undefined;
      const capture = (u: Uint8Array) => (update = update ? Y.mergeUpdates([update, u]) : u);
      if (userId !== null) staging.on('afterTransaction', collect);
      staging.on('update', capture);
      try {
        Y.transact(staging, () => change(staging), SERVER_ORIGIN);
      } catch (e: unknown) {
        this.#rebuildStaging();
        throw e;
      } finally {
        staging.off('afterTransaction', collect);
        staging.off('update', capture);
      }
      if (update === undefined) return;
      // Old values from the live document (not yet changed), new ones from the staging copy.
      const cells: CellChange[] = changedCells
        .map(({ root, key }) => ({
          root,
          key,
          oldValue: numberOrNull(this.doc.getMap(root).get(key)),
          newValue: numberOrNull(staging.getMap(root).get(key)),
        }))
        .filter((c) => c.oldValue !== c.newValue);
      try {
        await this.#persist(update, userId, cells);
      } catch (e: unknown) {
        this.#rebuildStaging();
        throw e;
      }
      this.#swapLive(update);
      this.#broadcast(encodeUpdate(update));
      await this.#compactIfDue();
    });
    // The old live document applies the change after the caller has its answer, if anyone who
    // may edit still needs a copy; otherwise it is dropped.
    this.#enqueue(async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#closed || this.#stagingBehind.length === 0) return;
      if (this.#editorConnected()) this.#staging();
      else this.#dropStaging();
    });
  }

  /** Makes the staging copy (holding the stored `update`) live; the old live document becomes the copy. */
  #swapLive(update: Uint8Array): void {
    const previous = this.#live;
    const next = this.#stagingDoc!;
    previous.off('afterTransaction', this.#forgetFullState);
    next.on('afterTransaction', this.#forgetFullState);
    this.#live = next;
    this.#stagingDoc = previous;
    this.#stagingBehind.push(update);
    this.#forgetFullState();
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
    clearTimeout(this.#warmupTimer);
    clearTimeout(this.#stagingIdleTimer);
    this.awareness.destroy();
    this.awareness.doc.destroy();
    this.#live.destroy();
    this.#stagingDoc?.destroy();
  }

  async #handleFrame(conn: Connection, frame: Uint8Array): Promise<void> {
    if (this.#closed || !this.connections.has(conn)) return;
    let message;
    try {
      message = decodeClientMessage(frame);
    } catch (e: unknown) {
      conn.log.warn({ err: e }, 'malformed sync frame');
      this.#close(conn, CloseCode.malformedMessage, 'malformed y-websocket message');
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
        // TODO(#18): store the note with the change it describes; accepted, not refused, until then.
        return;
      case 'queryAwareness':
        this.#send(conn, encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, [...this.awareness.getStates().keys()])));
        return;
    }
  }

  async #handleUpdate(conn: Connection, update: Uint8Array): Promise<void> {
    const stage = this.doc.getMap<unknown>('meta').get('cycleStage');
    // A sync step 2 from a client that has nothing new is an empty update (no structs, no deletes).
    if (update.byteLength === 2 && update[0] === 0 && update[1] === 0) return;
    const verdict = applyToStaging(this.#staging(), update, { ...conn, stage: isStage(stage) ? stage : 'data-gathering' });
    if (verdict.type !== 'accepted') {
      this.#rebuildStaging();
      conn.log.warn({ verdict }, 'update refused');
      if (verdict.type === 'forbidden') this.#close(conn, CloseCode.permissionDenied, verdict.reason);
      else this.#close(conn, CloseCode.malformedMessage, verdict.reason);
      return;
    }
    if (!verdict.changed) return;
    // Old values from the live document (not yet changed), new ones from the staging copy.
    const cells: CellChange[] = verdict.cells.map(({ root, key }) => ({
      root,
      key,
      oldValue: numberOrNull(this.doc.getMap(root).get(key)),
      newValue: numberOrNull(this.#staging().getMap(root).get(key)),
    }));
    try {
      await this.#persist(update, conn.userId, cells);
    } catch (e: unknown) {
      // Not stored, so not applied and not broadcast; the sender keeps it and resends it when it
      // reconnects (its sync step 2 carries everything the server lacks).
      this.#rebuildStaging();
      conn.log.error({ err: e }, 'storing an update failed');
      this.#close(conn, CloseCode.storageFailed, 'the server could not store your change; reconnecting will resend it');
      return;
    }
    this.#applyLive(update, conn);
    if (verdict.roots.includes('comments')) this.onCommentsChanged?.(this);
    await this.#compactIfDue();
  }

  /**
   * Sends a stored update's bytes to every other socket, then applies it to the live document:
   * the staging copy already integrated it, so it cannot fail there, and nothing reads the live
   * document in between (the room's queue runs one task at a time). The sender already holds
   * its update; echoing it would only make it decode its own edit again.
   */
  #applyLive(update: Uint8Array, sender: Connection): void {
    this.#broadcast(encodeUpdate(update), sender);
    Y.applyUpdate(this.doc, update, sender);
  }

  #handleAwareness(conn: Connection, update: Uint8Array): void {
    if (update.byteLength > MAX_AWARENESS_BYTES) {
      this.#close(conn, CloseCode.messageTooLarge, `presence updates are limited to ${MAX_AWARENESS_BYTES} bytes`);
      return;
    }
    let entries;
    try {
      entries = decodeAwarenessEntries(update);
    } catch {
      this.#close(conn, CloseCode.malformedMessage, 'malformed awareness update');
      return;
    }
    for (const { clientId, state } of entries) {
      const owner = [...this.connections].find((c) => c !== conn && c.clientIds.has(clientId));
      const user = (state as { user?: { id?: unknown; role?: unknown } } | null)?.user;
      // A client that never said who it is (a plain y-websocket client publishes `{}` and renews it
      // every 15 s) has no presence to show: ignored, without a warning each time.
      if (!owner && state !== null && user === undefined) return;
      if (owner || (state !== null && (user?.id !== conn.userId || user?.role !== conn.role))) {
        conn.log.warn({ clientId }, 'awareness update impersonates another user; ignored');
        return;
      }
    }
    awarenessProtocol.applyAwarenessUpdate(this.awareness, update, conn);
  }

  async #persist(update: Uint8Array, userId: string | null, cells: CellChange[] = []): Promise<void> {
    this.#lastUpdateId = await this.#store.append(this.documentId, update, userId, new Date().toISOString(), cells);
    this.#updatesSinceCompaction++;
  }

  /**
   * The staging copy, brought up to date with the live document: made from the cached full state
   * when there is none (no extra encode), or given the stored updates it lacks since a swap.
   */
  #staging(): Y.Doc {
    if (this.#stagingDoc === undefined) {
      this.#stagingBehind = [];
      this.#stagingDoc = cloneDoc(this.#live, this.#fullStateCache);
    } else if (this.#stagingBehind.length > 0) {
      const behind = this.#stagingBehind;
      this.#stagingBehind = [];
      const staging = this.#stagingDoc;
      Y.transact(staging, () => behind.forEach((update) => Y.applyUpdate(staging, update)), SERVER_ORIGIN);
    }
    return this.#stagingDoc;
  }

  /** Drops the staging copy after a refused or unstored change; it is built again in the background. */
  #rebuildStaging(): void {
    this.#dropStaging();
    this.#prepareStaging();
  }

  #dropStaging(): void {
    this.#stagingDoc?.destroy();
    this.#stagingDoc = undefined;
    this.#stagingBehind = [];
  }

  /**
   * Builds the staging copy in the room's queue a moment from now, if someone who may edit is
   * still connected and no change needed it first.
   */
  #prepareStaging(): void {
    // Already due: editors joining one after another must not push it back each time.
    if (this.#warmupTimer !== undefined) return;
    this.#warmupTimer = setTimeout(() => {
      this.#warmupTimer = undefined;
      this.#enqueue(async () => {
        if (!this.#closed && this.#editorConnected() && this.#stagingDoc === undefined) this.#staging();
      });
    }, STAGING_WARMUP_MS);
    this.#warmupTimer.unref();
  }

  #editorConnected(): boolean {
    return [...this.connections].some((conn) => writesAnything(conn.role));
  }

  /** True while the staging copy exists (tests check it is prepared ahead of the first change). */
  get stagingReady(): boolean {
    return this.#stagingDoc !== undefined;
  }

  async #compactIfDue(): Promise<void> {
    if (this.#updatesSinceCompaction < COMPACT_EVERY_UPDATES || this.#compaction) return;
    const counted = this.#updatesSinceCompaction;
    const background = this.#store.compactInBackground(this.documentId, this.#lastUpdateId);
    if (background) {
      // Off the event loop, from what is stored; edits go on meanwhile (their ids are higher).
      this.#updatesSinceCompaction = 0;
      this.#compaction = background
        .catch((e: unknown) => {
          this.#updatesSinceCompaction += counted;
          this.#log.error({ err: e, documentId: this.documentId }, 'compaction failed; the update log keeps every change');
        })
        .then(() => undefined)
        .finally(() => (this.#compaction = undefined));
      return;
    }
    try {
      await this.#compactHere();
    } catch (e: unknown) {
      // The log still holds every update; compaction is retried after the next one.
      this.#log.error({ err: e, documentId: this.documentId }, 'compaction failed');
    }
  }

  /** Writes the live document as the compacted state, on the event loop. */
  async #compactHere(): Promise<void> {
    await this.#store.compact(this.documentId, Y.encodeStateAsUpdate(this.doc), this.#lastUpdateId, new Date().toISOString());
    this.#updatesSinceCompaction = 0;
  }

  /** The state a client lacks; the full state (the common case on join) is cached until the next update. */
  #encodeStateFor(stateVector: Uint8Array): Uint8Array {
    const isEmpty = stateVector.byteLength === 1 && stateVector[0] === 0;
    if (!isEmpty) return Y.encodeStateAsUpdate(this.doc, stateVector);
    this.#fullStateCache ??= Y.encodeStateAsUpdate(this.doc);
    return this.#fullStateCache;
  }

  #disconnect(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    awarenessProtocol.removeAwarenessStates(this.awareness, [...conn.clientIds], null);
    if (writesAnything(conn.role) && !this.#editorConnected() && this.#stagingIdleTimer === undefined) {
      // The last person who may edit left: free the staging copy if nobody who may edit is back in
      // a while, in the queue (a change there may be using it).
      this.#stagingIdleTimer = setTimeout(() => {
        this.#stagingIdleTimer = undefined;
        this.#enqueue(async () => {
          if (!this.#editorConnected()) this.#dropStaging();
        });
      }, this.#stagingIdleMs);
      this.#stagingIdleTimer.unref();
    }
  }

  #close(conn: Connection, code: number, reason: string): void {
    this.#disconnect(conn);
    // Close reasons are limited to 123 bytes by RFC 6455.
    conn.ws.close(code, reason.slice(0, 120));
  }

  #send(conn: Connection, message: Uint8Array): void {
    if (conn.ws.readyState !== conn.ws.OPEN) return;
    conn.lastSentAt = performance.now();
    conn.ws.send(message, (err) => {
      if (err) this.#close(conn, CloseCode.goingAway, 'send failed');
    });
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

function isValueRoot(name: string): boolean {
  return Object.hasOwn(ROOTS, name) && ROOTS[name as RootName].kind === 'value';
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

interface AwarenessChange {
  added: number[];
  updated: number[];
  removed: number[];
}

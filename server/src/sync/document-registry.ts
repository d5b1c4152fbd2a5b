import type { Logger } from '../logger.ts';
import type { DocumentStore } from './document-store.ts';
import type { Fanout } from './fanout.ts';
import { PlanRoom } from './plan-room.ts';

// While the fan-out is down, loaded documents read what other instances stored this often.
const STORE_POLL_MS = 1_000;

export interface DocumentRegistryOptions {
  documents: DocumentStore;
  /** Other instances holding the same documents (none: a single server). */
  fanout?: Fanout;
  log: Logger;
  /** How long a document nobody has open stays in memory after it was last asked for. */
  idleUnloadMs: number;
}

/**
 * The plan documents loaded in this process, one room each. Services open a plan's live document
 * here (to read it or apply a server change) without knowing about sockets; the WebSocket
 * endpoint opens the same rooms for its connections. A document that no socket has open is stored
 * and unloaded once it has not been asked for during the idle period (DESIGN.md §4, memory).
 */
export class DocumentRegistry {
  readonly #rooms = new Map<string, Promise<PlanRoom>>();
  readonly #idleTimers = new Map<string, NodeJS.Timeout>();
  /** Rooms being stored and dropped on unload: a new room of the same plan loads after that. */
  readonly #unloading = new Map<string, Promise<void>>();
  readonly #options: DocumentRegistryOptions;
  #closing = false;
  readonly #stopResync: () => void;
  readonly #poller: NodeJS.Timeout | undefined;
  /** Called when an accepted update changed a document's comments. */
  onCommentsChanged: ((room: PlanRoom) => void) | undefined;

  constructor(options: DocumentRegistryOptions) {
    this.#options = options;
    const fanout = options.fanout;
    // Messages may have been lost while the fan-out was down: every loaded document catches up from
    // the store when it is back, and every second while it is down (slower, nothing lost). Coming
    // back, each also announces its head: another instance that was already back and stopped
    // polling learns of what this one stored while its messages could not go out.
    this.#stopResync =
      fanout?.onResync(() => {
        this.#catchUpAll();
        this.forEachRoom((room) => room.announceHead());
      }) ?? (() => undefined);
    if (fanout?.distributed) {
      this.#poller = setInterval(() => {
        if (!fanout.healthy) this.#catchUpAll();
      }, STORE_POLL_MS);
      this.#poller.unref();
    }
  }

  #catchUpAll(): void {
    this.forEachRoom((room) =>
      room
        .catchUpFromStore()
        .catch((e: unknown) => this.#options.log.error({ err: e, documentId: room.documentId }, 'catching up from the store failed')),
    );
  }

  /**
   * The loaded room of a document (a plan or a scenario), loading it if needed: one load even
   * when many ask at once. Each call starts the idle period again while no socket is in the room.
   */
  open(documentId: string): Promise<PlanRoom> {
    let room = this.#rooms.get(documentId);
    if (!room) {
      // Loading beside a room that is still compacting on unload could read the log halfway and
      // later compact over what that room stored: wait for it.
      const unloaded = this.#unloading.get(documentId) ?? Promise.resolve();
      room = unloaded
        .then(() => PlanRoom.load(documentId, this.#options.documents, this.#options.log, { fanout: this.#options.fanout }))
        .then((loaded) => {
          loaded.onCommentsChanged = (r) => this.onCommentsChanged?.(r);
          return loaded;
        });
      this.#rooms.set(documentId, room);
      room.catch(() => this.#rooms.delete(documentId));
    }
    const asked = room;
    asked.then(
      (loaded) => {
        if (loaded.connections.size === 0 && this.#rooms.get(documentId) === asked) this.releaseWhenIdle(documentId);
      },
      () => undefined,
    );
    return room;
  }

  /** Keeps a document loaded (a socket joined it). */
  hold(documentId: string): void {
    this.#cancelUnload(documentId);
  }

  /** Starts the idle period of a document (its last socket left, or a service used it). */
  releaseWhenIdle(documentId: string): void {
    if (this.#closing) return;
    this.#cancelUnload(documentId);
    const timer = setTimeout(() => {
      this.#idleTimers.delete(documentId);
      void this.#unload(documentId);
    }, this.#options.idleUnloadMs);
    timer.unref();
    this.#idleTimers.set(documentId, timer);
  }

  /** Runs `action` on every loaded room. */
  forEachRoom(action: (room: PlanRoom) => void): void {
    for (const room of this.#rooms.values()) void room.then(action, () => undefined);
  }

  /** Every room loaded now. */
  async loadedRooms(): Promise<PlanRoom[]> {
    const settled = await Promise.allSettled(this.#rooms.values());
    return settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  /**
   * Closes every socket of a document and drops its room without storing it: for a document whose
   * rows are being deleted (a deleted scenario), so no later compaction writes them back.
   */
  async discard(documentId: string, code: number, reason: string): Promise<void> {
    const pending = this.#rooms.get(documentId);
    if (!pending) return;
    this.#rooms.delete(documentId);
    this.#cancelUnload(documentId);
    const room = await pending.catch(() => undefined);
    if (!room) return;
    room.closeAll(code, reason);
    await room.flush();
    // A fold written after the rows are deleted would bring the state back.
    await room.compactionSettled();
    room.destroy();
  }

  /** Closes the sockets of a loaded document (e.g. an archived scenario), so clients reconnect with their new access. */
  closeSockets(documentId: string, code: number, reason: string): void {
    void this.#rooms.get(documentId)?.then(
      (room) => room.closeAll(code, reason),
      () => undefined,
    );
  }

  /** Closes every room's sockets with `code`, finishes queued work and stores every loaded document. */
  async close(code: number, reason: string): Promise<void> {
    this.#closing = true;
    this.#stopResync();
    clearInterval(this.#poller);
    for (const timer of this.#idleTimers.values()) clearTimeout(timer);
    await Promise.all(this.#unloading.values());
    const rooms = await Promise.allSettled(this.#rooms.values());
    for (const result of rooms) {
      if (result.status !== 'fulfilled') continue;
      const room = result.value;
      room.closeAll(code, reason);
      await room.flush();
      await room.compact();
      room.destroy();
    }
    this.#rooms.clear();
  }

  #cancelUnload(documentId: string): void {
    const timer = this.#idleTimers.get(documentId);
    if (timer) clearTimeout(timer);
    this.#idleTimers.delete(documentId);
  }

  async #unload(documentId: string): Promise<void> {
    const pending = this.#rooms.get(documentId);
    if (!pending) return;
    const room = await pending;
    if (room.connections.size > 0 || this.#rooms.get(documentId) !== pending) return;
    this.#rooms.delete(documentId);
    const stored = (async () => {
      try {
        await room.flush();
        await room.compact();
      } catch (e: unknown) {
        this.#options.log.error({ err: e, documentId }, 'compaction on unload failed; the update log keeps every change');
      }
      room.destroy();
    })();
    this.#unloading.set(documentId, stored);
    await stored;
    if (this.#unloading.get(documentId) === stored) this.#unloading.delete(documentId);
  }
}

import * as encoding from 'lib0/encoding';
import {
  CHANGE_NOTE_MESSAGE,
  CloseCode,
  mustDiscardLocalCopy,
  ROLE_COLORS,
  canWriteAtStage,
  isStage,
  type ChangeNote,
  type PresenceState,
  type Role,
  type Stage,
  type UserView,
} from '@accord/protocol';
import {
  PlanCalculator,
  VALUE_ROOTS,
  isHoldRoot,
  type CatalogChange,
  type CellChange,
  type HoldRoot,
  type PlanMeta,
  type ValueRoot,
} from '@accord/plan-calc';
import {
  ROOTS,
  createThread,
  deleteMessage,
  editMessage,
  getMeta,
  readPlanData,
  readThreads,
  replyToThread,
  sectionOfRoot,
  setThreadResolved,
  type CommentAnchor,
  type CommentThread,
  type EntityRoot,
} from '@accord/plan-model';
import type { Catalog } from './grid/layout.ts';
import { toLiveDecision, type LiveDecision } from './comments.ts';
import { WebsocketProvider } from 'y-websocket';
import { deleteOfflineCopy, OfflineStore } from './offline-store.ts';
import { isActivity, isPresentingView, type Activity, type PresentingView } from './meeting.ts';
import { unsentChanges } from './unsent.ts';
import * as Y from 'yjs';

/** What the header shows about the socket; exactly the words the UI and tests rely on. */
export type ConnectionStatus = 'connecting' | 'live' | 'offline';

/** A selected cell, as published in awareness. */
export type CellCursor = NonNullable<PresenceState['cursor']>;

/** Another connected client (or this one), for the presence bar and remote cursors. */
export interface Peer {
  clientId: number;
  self: boolean;
  user: PresenceState['user'];
  cursor: CellCursor | null;
  /** `active`, `idle` (no input for a minute) or `away` (tab hidden). */
  activity: Activity;
  /** The view this peer presents (filters, scroll, selection); null when not presenting. */
  presenting: PresentingView | null;
}

/** The IndexedDB database that keeps a document's offline copy in this browser. */
export const offlineStoreName = (documentId: string) => `accord:doc:${documentId}`;

const ENTITY_ROOTS: EntityRoot[] = ['families', 'products', 'resources'];

/** Cursor moves within this many ms are published to the others as one presence update. */
const CURSOR_PUBLISH_MS = 40;

/**
 * How long the figures may wait after an edit for its update to leave (a spread's ~230 KB takes
 * ~30 ms on a free main thread); past it, they follow anyway (a slow or stalled connection).
 */
const SEND_WAIT_MS = 250;

/**
 * An edit of at least this many cells (a spread, a big paste) is drawn before it is written:
 * the calculator takes it and the grid shows it in the frame after the keystroke, and the Yjs
 * transaction (~50 ms for 18,000 cells, and the garbage it leaves) runs right after that frame.
 * Writing first kept the planner from seeing a total-row spread for 300-400 ms. Smaller edits are
 * written at once: their transaction takes a few milliseconds.
 */
const DRAW_FIRST_CELLS = 1000;

/**
 * Updates up to this size leave the page in one piece even while it is busy (measured in Chromium:
 * 20 KB reached the server ~3 ms after the send behind 300 ms of work; 234 KB only after the work).
 */
const SENT_AT_ONCE_BYTES = 64 * 1024;

/**
 * Changes that arrive within this many ms of the last flush are gathered and followed once per
 * frame (a burst: a reconnect replaying edits); one after a quiet spell is followed at once.
 */
const BURST_MS = 50;

/**
 * Local copies thrown away after a 44xx close, by document id, until the next session of that
 * document has synced: what they hold that the server lacks (edits in flight, queued offline) is
 * then kept as far as the role allows, instead of vanishing with the copy.
 */
// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
const abandonedCopies = new Map<string, Y.Doc>();

function abandonCopy(documentId: string, doc: Y.Doc): void {
  abandonedCopies.get(documentId)?.destroy();
  abandonedCopies.set(documentId, doc);
}

function isPresence(state: unknown): state is PresenceState {
  const user = (state as Partial<PresenceState> | null)?.user;
  return typeof user === 'object' && user !== null && typeof user.id === 'string' && typeof user.name === 'string';
}

/** The value roots a role may write at a cycle stage: what its undo history covers. */
export function writableValueRoots(role: Role, stage: Stage): ValueRoot[] {
  return VALUE_ROOTS.filter((root) => canWriteAtStage(role, ROOTS[root].section, stage));
}

/**
 * One live connection to a plan: the Yjs document, its y-websocket provider, a `PlanCalculator`
 * kept current incrementally, and this user's undo history. When the server closes the socket
 * with a 44xx code, the local copy holds changes the server refused, so the session throws
 * document and provider away and starts over.
 *
 * Figures are read from `calc` and raw cells with `read()`; neither is reactive by itself, so
 * views read `version` (bumped once per applied batch of changes) to know when to look again.
 */
export class PlanSession {
  status = $state<ConnectionStatus>('connecting');
  /** True once the first sync with the server completed; the grid waits for it. */
  synced = $state(false);
  /** The computed plan; null before the first sync and when the document has no plan. */
  calc = $state.raw<PlanCalculator | null>(null);
  /** Families, products and resources as of the last applied change (names, units, order). */
  catalog = $state.raw<Catalog>({ families: {}, products: {}, resources: {} });
  /** Plan settings as of the last applied change. */
  meta = $state.raw<PlanMeta | null>(null);
  /** Bumped after every applied batch of document changes: the grid's signal to redraw. */
  version = $state(0);
  /** Bumped with the batch when a hold changed (holds are flags in the hold roots). */
  holdsVersion = $state(0);
  canUndo = $state(false);
  canRedo = $state(false);
  peers = $state.raw<Peer[]>([]);
  /** Why the plan was reloaded from the server, shown until dismissed. */
  reloadNotice = $state<string | null>(null);
  /** Set when the session ended server-side; the page sends the user to sign in. */
  signedOut = $state(false);
  /** Set when the member's role changed or they lost access; the page reloads the plan and role. */
  accessChanged = $state(false);
  /** Comment threads of the document (`comments` root), oldest first; follows every change live. */
  threads = $state.raw<CommentThread[]>([]);
  /** Decisions the server mirrors into the document's `decisions` root; follows every change live. */
  decisions = $state.raw<LiveDecision[]>([]);
  /** Local changes made since the connection dropped and not yet confirmed by a sync with the server. */
  pendingEdits = $state(0);

  #doc!: Y.Doc;
  #provider!: WebsocketProvider;
  #store: OfflineStore | null = null;
  /** This tab's updates to the document before its offline store opened, handed to the store when it does. */
  #beforeStore: { doc: Y.Doc; updates: Uint8Array[]; listener: (update: Uint8Array, origin: unknown) => void } | null = null;
  #activity: Activity = 'active';
  #presenting: PresentingView | null = null;
  #onlineListeners: (() => void) | null = null;
  #undo: Y.UndoManager | null = null;
  /** Marks this client's own edits, so undo covers them and nobody else's. */
  readonly #origin = { source: 'accord-grid' };
  /** Marks comment writes: outside the undo history, which covers cells only. */
  readonly #commentOrigin = { source: 'accord-comments' };
  /** Marks changes of a discarded copy sent again after a reload (outside the undo history). */
  readonly #restoreOrigin = { source: 'accord-restore' };
  #cursor: CellCursor | null = null;
  /** The summary of the edit being made, kept on its undo step so undoing it can say what it undid. */
  #noteForUndo: string | null = null;
  /** Hold roots known to hold something (or not), until they change. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a cache read while drawing, never rendered itself
  #holdsSeen = new Map<HoldRoot, boolean>();
  // Bookkeeping between a document change and the next frame; never rendered, so plain collections.
  // Changed cells by root and key: a spread changes 18,000, and a joined key would be a new string
  // to build and hash for each.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #pendingCells = new Map<ValueRoot, Map<string, number | null>>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  #pendingCatalog = new Map<string, { kind: EntityRoot; id: string }>();
  #pendingMeta = false;
  #pendingHolds = false;
  #pendingThreads = false;
  #pendingDecisions = false;
  #unobserve: (() => void)[] = [];
  #frame = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Set while this client's last update is still being written to the socket (see `#afterLocalWrite`). */
  #sending = false;
  /** A large edit drawn but not yet written (see `setCells`), and the frame it waits for. */
  #drawn: (() => void) | null = null;
  #drawnFrame = 0;
  /** performance.now() of the last flush: changes closer together than BURST_MS are gathered per frame. */
  #flushedAt = -Infinity;
  #reloadTimer: ReturnType<typeof setTimeout> | undefined;
  #cursorTimer: ReturnType<typeof setTimeout> | undefined;
  #storeTimer: number | undefined;
  #reloads = 0;
  #destroyed = false;
  /** True once this connection re-sent a discarded copy's changes: if the server refuses again, they go. */
  #restored = false;
  readonly #user: PresenceState['user'];

  /**
   * @param documentId the document to sync: the plan itself, or one of its scenarios (which share
   *   the plan's permissions and are edited with the same grid).
   * @param initialState the document as `getDocumentState` fetched it, applied before the socket
   *   opens (the socket then syncs only what changed since); null to sync everything over the socket.
   */
  constructor(
    readonly planId: string,
    user: UserView,
    readonly role: Role,
    readonly documentId: string = planId,
    initialState: Uint8Array | null = null,
  ) {
    this.#user = { id: user.id, name: user.name, role, color: ROLE_COLORS[role] };
    this.#connect(initialState);
  }

  /**
   * The stored number of one cell; undefined when empty. Read from the calculator's copy of the
   * cells, which follows the document batch by batch (so raw cells and figures always agree, and a
   * read is a plain-object lookup rather than a Yjs one); straight from the document before the
   * first sync. Call `settle()` first to include changes of the current frame.
   */
  read(root: ValueRoot, key: string): number | undefined {
    if (this.calc) return this.calc.cell(root, key);
    const value = this.#doc.getMap<unknown>(root).get(key);
    return typeof value === 'number' ? value : undefined;
  }

  /**
   * Applies document changes still waiting for the next frame, so an edit about to be planned
   * (a spread reads thousands of cells) sees every change that has arrived.
   */
  settle(): void {
    if (this.#timer === undefined && !this.#sending) return;
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sending = false;
    this.#flush();
  }

  /**
   * After this client's own edit: the figures follow at once, so the next frame shows them, unless
   * the update is still being written to the socket. Chromium writes a large WebSocket message (a
   * spread's 18,000 cells are ~230 KB) in pieces, each only when the page's main thread is free:
   * recomputing and redrawing first would hold the update back from the server, and so from
   * everyone else, for as long as that takes (measured: ~330 ms behind 300 ms of work, ~30 ms when
   * free). So the page yields until the socket has it all (at most SEND_WAIT_MS), then follows.
   * A small update (a typed cell) leaves in one piece whatever the page does next.
   */
  #afterLocalWrite(): void {
    const ws = this.#provider.ws;
    if (!ws || ws.bufferedAmount <= SENT_AT_ONCE_BYTES || this.#timer === undefined) {
      this.settle();
      return;
    }
    // The frame the document change scheduled would do the work now: it waits for the socket.
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sending = true;
    const started = performance.now();
    // A message channel yields to the event loop without setTimeout's 4 ms clamping.
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      // Settled meanwhile (another edit, the session closed): nothing left to do.
      if (!this.#sending || this.#destroyed) return channel.port1.close();
      if (ws.bufferedAmount > 0 && performance.now() - started < SEND_WAIT_MS) return channel.port2.postMessage(null);
      channel.port1.close();
      this.settle();
    };
    channel.port2.postMessage(null);
  }

  /** Whether a hold root holds any hold (cells of a layer without holds skip looking for them). */
  hasHolds(root: HoldRoot): boolean {
    let any = this.#holdsSeen.get(root);
    if (any === undefined) {
      any = this.#doc.getMap<unknown>(root).size > 0;
      this.#holdsSeen.set(root, any);
    }
    return any;
  }

  /** Writes one cell; `null` clears it. The server re-checks the role on its side. */
  setCell(root: ValueRoot, key: string, value: number | null): void {
    this.setCells([{ root, key, value }]);
  }

  /**
   * Writes several cells in one transaction, so other users receive them together (one update)
   * and one undo reverts them all; unchanged cells are left alone. With a `note`, the server is
   * told how the edit was made (typed, spread …) right after the update, for the cell history.
   * The figures follow at once (not at the next frame), so the frame after the keystroke shows
   * them. A large edit (a spread, a big paste) is drawn first and written right after the frame
   * that shows it (see DRAW_FIRST_CELLS). Returns whether it changes anything (for a large edit:
   * whether it has cells to write).
   */
  setCells(changes: readonly CellChange[], note?: ChangeNote): boolean {
    if (changes.length === 0) return false;
    for (const { value } of changes) {
      if (value !== null && !Number.isFinite(value)) throw new RangeError(`cell value must be finite: ${value}`);
    }
    // An edit drawn but not written yet goes first: edits reach the document in the order made.
    this.#writeDrawn();
    const calc = this.calc;
    if (changes.length < DRAW_FIRST_CELLS || !calc) return this.#write(changes, note);
    this.settle();
    calc.applyCellChanges(changes);
    this.version += 1;
    const drawnAt = this.#flushedAt;
    const write = () => {
      if (this.#drawn !== write) return;
      this.#drawn = null;
      this.#write(changes, note, drawnAt);
    };
    this.#drawn = write;
    // After the frame that shows the edit: a frame, then a task.
    this.#drawnFrame = requestAnimationFrame(() => setTimeout(write, 0));
    return true;
  }

  /** Writes the edit `setCells` drew but has not written yet, now. */
  #writeDrawn(): void {
    cancelAnimationFrame(this.#drawnFrame);
    this.#drawn?.();
  }

  /**
   * The transaction of `setCells`. `drawnAt`: the edit was drawn already (the calculator holds
   * it) when the session had last flushed then; if nothing was flushed since, what the document
   * reports back of these cells is what the calculator holds, and is not recomputed again.
   */
  #write(changes: readonly CellChange[], note: ChangeNote | undefined, drawnAt?: number): boolean {
    let sent: boolean | null = null;
    const provider = this.#provider;
    const onUpdate = (_update: Uint8Array, origin: unknown) => {
      if (origin === this.#origin) sent = this.#socketOpen(provider);
    };
    this.#doc.on('update', onUpdate);
    this.#noteForUndo = note?.summary ?? null;
    try {
      this.#doc.transact(() => {
        let root: ValueRoot | undefined;
        let map: Y.Map<number> | undefined;
        for (const change of changes) {
          const { key, value } = change;
          // A spread writes thousands of cells of one root: look the map up once per run of it.
          if (change.root !== root || !map) map = this.#doc.getMap<number>((root = change.root));
          if (value === null) {
            if (map.has(key)) map.delete(key);
          } else if (map.get(key) !== value) map.set(key, value);
        }
      }, this.#origin);
    } finally {
      this.#doc.off('update', onUpdate);
      this.#noteForUndo = null;
    }
    // The provider sent the update synchronously in the transaction's update event; the note follows it.
    if (sent && note) this.#sendNote(note);
    if (drawnAt !== undefined && drawnAt === this.#flushedAt) this.#forgetDrawn(changes);
    this.#afterLocalWrite();
    return sent !== null;
  }

  /** Drops from the pending changes the cells the calculator already holds (`changes`, drawn first). */
  #forgetDrawn(changes: readonly CellChange[]): void {
    for (const { root, key, value } of changes) {
      const pending = this.#pendingCells.get(root);
      if (pending?.has(key) && pending.get(key) === value) pending.delete(key);
    }
    for (const [root, pending] of this.#pendingCells) if (pending.size === 0) this.#pendingCells.delete(root);
    const nothingPending =
      this.#pendingCells.size === 0 &&
      this.#pendingCatalog.size === 0 &&
      !this.#pendingMeta &&
      !this.#pendingHolds &&
      !this.#pendingThreads &&
      !this.#pendingDecisions;
    if (!nothingPending) return;
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Reverts this user's last edit (a spread, a paste or a fill counts as one); false when there is none. */
  undo(): boolean {
    return this.#step('undo');
  }

  /** Re-applies the last undone edit; false when there is none. */
  redo(): boolean {
    return this.#step('redo');
  }

  #step(direction: 'undo' | 'redo'): boolean {
    // The edit being undone may have been drawn but not written yet.
    this.#writeDrawn();
    const undo = this.#undo;
    if (!undo) return false;
    const stack = direction === 'undo' ? undo.undoStack : undo.redoStack;
    const summary = (stack.at(-1)?.meta.get('summary') as string | undefined) ?? null;
    let sent = false;
    const provider = this.#provider;
    const onUpdate = (_update: Uint8Array, origin: unknown) => {
      if (origin === undo) sent = this.#socketOpen(provider);
    };
    this.#doc.on('update', onUpdate);
    this.#noteForUndo = summary;
    let done: boolean;
    try {
      done = (direction === 'undo' ? undo.undo() : undo.redo()) != null;
    } finally {
      this.#doc.off('update', onUpdate);
      this.#noteForUndo = null;
    }
    if (sent && summary !== null) {
      this.#sendNote({
        kind: direction === 'undo' ? 'undone' : 'redone',
        summary: `${direction === 'undo' ? 'Undid' : 'Redid'}: ${summary}`.slice(0, 300),
      });
    }
    this.#afterLocalWrite();
    return done;
  }

  /** Whether an update sent now reaches the server: the socket is open and the first sync is done. */
  #socketOpen(provider: WebsocketProvider): boolean {
    const ws = provider.ws;
    return provider.wsconnected && provider.synced && ws !== null && ws.readyState === WebSocket.OPEN;
  }

  /** Sends a change note on the socket (see `CHANGE_NOTE_MESSAGE`); only right after this client's update. */
  #sendNote(note: ChangeNote): void {
    const ws = this.#provider.ws;
    if (!ws || !this.#socketOpen(this.#provider)) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, CHANGE_NOTE_MESSAGE);
    encoding.writeVarString(encoder, JSON.stringify(note));
    ws.send(encoding.toUint8Array(encoder));
  }

  /**
   * Publishes the selected cell so other users see where this user is working. Moves within
   * CURSOR_PUBLISH_MS go out as one (Enter then an arrow key is one presence update for everyone
   * else's grid to redraw, not two).
   */
  setCursor(cursor: CellCursor | null): void {
    this.#cursor = cursor;
    if (this.#cursorTimer !== undefined) return;
    this.#cursorTimer = setTimeout(() => {
      this.#cursorTimer = undefined;
      if (!this.#destroyed) this.#provider.awareness.setLocalStateField('cursor', this.#cursor);
    }, CURSOR_PUBLISH_MS);
  }

  /** Publishes whether this user is active, idle or away. */
  setActivity(activity: Activity): void {
    if (activity === this.#activity) return;
    this.#activity = activity;
    this.#provider.awareness.setLocalStateField('activity', activity);
  }

  /** Publishes the view this user presents to followers; null stops presenting. */
  setPresenting(view: PresentingView | null): void {
    this.#presenting = view;
    this.#provider.awareness.setLocalStateField('presenting', view);
  }

  /** The signed-in user's id: the author of this client's comments. */
  get userId(): string {
    return this.#user.id;
  }

  /** Starts a thread with its first message; returns the thread id. */
  startThread(anchor: CommentAnchor, text: string): string {
    const id = crypto.randomUUID();
    createThread(
      this.#doc,
      { id, anchor, author: this.#user.id, text, messageId: crypto.randomUUID(), now: nowIso() },
      this.#commentOrigin,
    );
    return id;
  }

  /** Adds this user's reply at the end of a thread. */
  reply(threadId: string, text: string): void {
    replyToThread(this.#doc, threadId, { id: crypto.randomUUID(), author: this.#user.id, text, createdAt: nowIso() }, this.#commentOrigin);
  }

  /** Replaces the text of one of this user's messages (the server refuses others'). */
  editMessage(threadId: string, messageId: string, text: string): void {
    editMessage(this.#doc, threadId, messageId, text, nowIso(), this.#commentOrigin);
  }

  /** Marks one of this user's messages deleted; it stays in the thread without its text. */
  deleteMessage(threadId: string, messageId: string): void {
    deleteMessage(this.#doc, threadId, messageId, nowIso(), this.#commentOrigin);
  }

  /** Resolves or reopens a thread. */
  setResolved(threadId: string, resolved: boolean): void {
    setThreadResolved(this.#doc, threadId, resolved, this.#user.id, nowIso(), this.#commentOrigin);
  }

  /** Closes the socket and frees the document; the session is unusable afterwards. */
  destroy(): void {
    // An edit already drawn still reaches the document (and the server, if the socket is up).
    if (!this.#destroyed) this.#writeDrawn();
    this.#destroyed = true;
    clearTimeout(this.#reloadTimer);
    this.#teardown();
  }

  #connect(initialState: Uint8Array | null = null): void {
    const doc = new Y.Doc();
    // Applied while nothing listens to the document: the provider and the offline store would each
    // have Yjs encode the whole state again as an update.
    if (initialState) {
      try {
        Y.applyUpdateV2(doc, initialState);
      } catch {
        // Not a document: the socket's sync brings the real one.
      }
    }
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`;
    // No BroadcastChannel: every change must pass the server's permission check, even between tabs.
    const provider = new WebsocketProvider(url, this.documentId, doc, { disableBc: true });
    this.#doc = doc;
    this.#provider = provider;
    this.#store = null;
    // This tab's own changes until the offline store opens (the server's are never stored).
    const updates: Uint8Array[] = [];
    const listener = (update: Uint8Array, origin: unknown) => {
      if (origin !== provider) updates.push(update);
    };
    doc.on('update', listener);
    this.#beforeStore = { doc, updates, listener };
    this.pendingEdits = 0;
    doc.on('update', (_update: Uint8Array, origin: unknown) => {
      // Only this client's own changes count; those from the server or the local store are not pending.
      if (origin === provider || origin === this.#store || this.#provider !== provider) return;
      if (!provider.wsconnected || !provider.synced) this.pendingEdits += 1;
    });
    // y-websocket does not watch the browser's network state; a dead socket would otherwise take
    // 30 s to notice. Going offline drops it at once, coming back reconnects (and merges).
    const onOffline = () => {
      if (this.#provider !== provider) return;
      provider.disconnect();
      // Offline edits must reach the browser's store even if it was not opened yet.
      if (this.synced && !this.#store) this.#openOfflineStore(doc, { now: true });
    };
    const onOnline = () => {
      if (this.#provider === provider && !this.#destroyed) provider.connect();
    };
    window.addEventListener('offline', onOffline);
    window.addEventListener('online', onOnline);
    this.#onlineListeners = () => {
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('online', onOnline);
    };
    this.status = 'connecting';
    this.synced = false;
    this.calc = null;
    this.meta = null;

    // Handlers check that their provider is still current: a discarded one may still report its closing.
    const current = () => this.#provider === provider && !this.#destroyed;
    provider.on('status', ({ status }) => {
      if (!current()) return;
      if (status === 'connected') this.status = 'live';
      else if (status === 'disconnected') this.status = 'offline';
      // While retrying after a drop, stay "offline" rather than flickering back to "connecting".
      else if (this.status !== 'offline') this.status = 'connecting';
    });
    provider.on('sync', (synced) => {
      if (!synced || !current()) return;
      this.#reloads = 0;
      // The sync step exchanged state vectors both ways: everything made offline has reached the server.
      this.pendingEdits = 0;
      // A reconnect syncs again; the calculator already follows every change through the observers.
      if (this.#unobserve.length === 0) {
        this.#observe(doc);
        this.#rebuild();
        this.#restoreUnsent(doc);
        this.#openOfflineStore(doc);
      }
      this.synced = true;
    });
    provider.on('connection-close', (event) => {
      if (!current()) return;
      if (!provider.wsconnected) this.status = 'offline';
      // Deferred: tearing the provider down from inside its own close handler would re-enter it.
      if (event && mustDiscardLocalCopy(event.code)) {
        const { code } = event;
        queueMicrotask(() => this.#discard(code));
      }
    });

    this.#undo = null;
    this.canUndo = false;
    this.canRedo = false;

    const awareness = provider.awareness;
    awareness.setLocalState({
      user: this.#user,
      cursor: this.#cursor,
      activity: this.#activity,
      presenting: this.#presenting,
    } satisfies PresenceState & { activity: Activity; presenting: PresentingView | null });
    awareness.on('change', () => {
      if (!current()) return;
      const peers: Peer[] = [];
      awareness.getStates().forEach((state, clientId) => {
        if (!isPresence(state)) return;
        const extra = state as { activity?: unknown; presenting?: unknown };
        peers.push({
          clientId,
          self: clientId === doc.clientID,
          user: state.user,
          cursor: state.cursor ?? null,
          activity: isActivity(extra.activity) ? extra.activity : 'active',
          presenting: isPresentingView(extra.presenting) ? extra.presenting : null,
        });
      });
      this.peers = peers;
    });
    this.peers = [
      {
        clientId: doc.clientID,
        self: true,
        user: this.#user,
        cursor: this.#cursor,
        activity: this.#activity,
        presenting: this.#presenting,
      },
    ];
  }

  /**
   * Follows the document after the first sync: each value root reports the keys a transaction
   * changed (fed to `applyCellChanges`), entity roots and meta report what to recompute wholesale.
   */
  #observe(doc: Y.Doc): void {
    for (const root of VALUE_ROOTS) {
      const map = doc.getMap<unknown>(root);
      const observer = (event: Y.YMapEvent<unknown>) => {
        if (isHoldRoot(root)) {
          this.#holdsSeen.delete(root);
          this.#pendingHolds = true;
        }
        let pending = this.#pendingCells.get(root);
        // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping until the next frame, never rendered
        if (!pending) this.#pendingCells.set(root, (pending = new Map()));
        for (const key of event.keysChanged) {
          const value = map.get(key);
          pending.set(key, typeof value === 'number' && Number.isFinite(value) ? value : null);
        }
        this.#schedule();
      };
      map.observe(observer);
      this.#unobserve.push(() => map.unobserve(observer));
    }
    for (const kind of ENTITY_ROOTS) {
      const map = doc.getMap<unknown>(kind);
      const observer = (events: Y.YEvent<Y.AbstractType<unknown>>[]) => {
        for (const event of events) {
          // A change to the root adds or removes entities; a nested change edits one entity's fields.
          const ids = event.target === map ? [...(event as Y.YMapEvent<unknown>).keysChanged] : [String(event.path[0])];
          for (const id of ids) this.#pendingCatalog.set(`${kind}\u0000${id}`, { kind, id });
        }
        this.#schedule();
      };
      map.observeDeep(observer);
      this.#unobserve.push(() => map.unobserveDeep(observer));
    }
    // Threads and decisions are few and small: re-read them whole, once per frame at most.
    for (const name of ['comments', 'decisions'] as const) {
      const map = doc.getMap<unknown>(name);
      const observer = () => {
        if (name === 'comments') this.#pendingThreads = true;
        else this.#pendingDecisions = true;
        this.#schedule();
      };
      map.observeDeep(observer);
      this.#unobserve.push(() => map.unobserveDeep(observer));
    }
    const meta = doc.getMap<unknown>('meta');
    const metaObserver = () => {
      this.#pendingMeta = true;
      this.#schedule();
    };
    meta.observe(metaObserver);
    this.#unobserve.push(() => meta.unobserve(metaObserver));
  }

  /**
   * Starts a fresh undo history over the roots the role may write at the plan's current stage.
   * Called after the first sync and whenever the stage changes: undoing an edit of a section that
   * has since closed would be refused by the server and cost the user a reload.
   */
  #resetUndo(): void {
    this.#undo?.destroy();
    this.#undo = null;
    this.canUndo = false;
    this.canRedo = false;
    if (!this.meta) return;
    const writable = writableValueRoots(this.role, isStage(this.meta.cycleStage) ? this.meta.cycleStage : 'data-gathering');
    if (writable.length === 0) return;
    const doc = this.#doc;
    // captureTimeout 0: every edit is its own undo step, as in a spreadsheet (a paste is one transaction).
    const undo = new Y.UndoManager(
      writable.map((root) => doc.getMap(root)),
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- Yjs's own option, not UI state
      { trackedOrigins: new Set([this.#origin]), captureTimeout: 0 },
    );
    const update = () => {
      this.canUndo = undo.canUndo();
      this.canRedo = undo.canRedo();
    };
    undo.on('stack-item-added', (event: { stackItem: { meta: Map<string, unknown> } }) => {
      if (this.#noteForUndo !== null) event.stackItem.meta.set('summary', this.#noteForUndo);
      update();
    });
    undo.on('stack-item-popped', update);
    undo.on('stack-cleared', update);
    this.#undo = undo;
  }

  #discard(code: number): void {
    if (this.#destroyed) return;
    // The local copy holds what the server refused (or may no longer be this user's to keep): drop the
    // offline copy too, or the next sync would send the rejected edits again.
    const store = this.#store;
    if (code === CloseCode.sessionEnded) {
      void this.#clearOfflineCopy(store);
      this.signedOut = true;
      this.destroy();
      return;
    }
    // The copy goes, but what it holds that the server lacks is offered again after the reload
    // (once: changes the server refuses twice are not sent a third time).
    const keep = !this.#restored;
    if (code === CloseCode.accessChanged) {
      // The role this session was built for is no longer valid; the page fetches the new one.
      this.#destroyed = true;
      clearTimeout(this.#reloadTimer);
      this.#teardown({ keepDocument: keep });
      const cleared = this.#clearOfflineCopy(store);
      void cleared.then(() => (this.accessChanged = true));
      return;
    }
    this.reloadNotice =
      code === CloseCode.permissionDenied
        ? 'The server refused a change your role does not allow, so the plan was reloaded from the server.'
        : 'The server could not accept this copy of the plan, so it was reloaded from the server.';
    this.#teardown({ keepDocument: keep });
    this.status = 'connecting';
    this.synced = false;
    // Back off if the server keeps refusing, so a persistent fault cannot become a reconnect storm.
    const delay = Math.min(100 * 2 ** this.#reloads, 5000);
    this.#reloads += 1;
    const cleared = this.#clearOfflineCopy(store);
    void cleared.then(() => {
      this.#reloadTimer = setTimeout(() => {
        if (!this.#destroyed) this.#connect();
      }, delay);
    });
  }

  /**
   * Re-sends what a copy discarded after a 44xx close held that the server lacks: all of it when
   * the role may write everything it touches, else only the cells it may write (as new edits).
   */
  #restoreUnsent(doc: Y.Doc): void {
    this.#restored = false;
    const old = abandonedCopies.get(this.documentId);
    if (!old) return;
    abandonedCopies.delete(this.documentId);
    try {
      const stage = this.meta && isStage(this.meta.cycleStage) ? this.meta.cycleStage : 'data-gathering';
      const mayWrite = (root: string) => {
        const section = sectionOfRoot(root);
        return section !== undefined && canWriteAtStage(this.role, section, stage);
      };
      const unsent = unsentChanges(old, doc, mayWrite);
      if (unsent.kind === 'none') return;
      this.#restored = true;
      if (unsent.kind === 'all') {
        Y.applyUpdate(doc, unsent.update, this.#restoreOrigin);
        this.reloadNotice = `${this.reloadNotice ?? ''} Your changes the server had not received yet were kept and sent again.`.trim();
      } else {
        this.setCells(unsent.cells);
        const kept = unsent.cells.length > 0 ? ` ${unsent.cells.length} cell edit(s) you may still make were kept.` : '';
        this.reloadNotice =
          `${this.reloadNotice ?? ''} Your unsent changes to ${unsent.droppedRoots.join(', ')} were discarded: your role may not make them now.${kept}`.trim();
      }
    } finally {
      old.destroy();
    }
  }

  /**
   * Keeps a copy of the document in IndexedDB, so edits survive a dropped connection and a closed
   * tab (the provider's sync step merges them on reconnect; edits kept from an earlier visit are
   * merged when the store opens). Opened once the grid is up, in idle time, and given this tab's
   * own changes so far: what came from the server is never stored.
   */
  #openOfflineStore(doc: Y.Doc, options: { now?: boolean } = {}): void {
    if (typeof indexedDB === 'undefined' || this.#store) return;
    const open = () => {
      this.#storeTimer = undefined;
      if (this.#destroyed || this.#doc !== doc || this.#store) return;
      const before = this.#beforeStore?.doc === doc ? this.#beforeStore : null;
      this.#store = new OfflineStore(offlineStoreName(this.documentId), doc, before?.updates, this.#provider);
      this.#dropBeforeStore();
    };
    if (options.now) return open();
    this.#storeTimer =
      typeof requestIdleCallback === 'function' ? requestIdleCallback(open, { timeout: 2000 }) : window.setTimeout(open, 500);
  }

  /** Deletes the offline copy: through the open store, or by name when none has opened yet. */
  #clearOfflineCopy(store: OfflineStore | null): Promise<void> {
    return (store ? store.clearData() : deleteOfflineCopy(offlineStoreName(this.documentId))).catch(() => undefined);
  }

  #dropBeforeStore(): void {
    this.#beforeStore?.doc.off('update', this.#beforeStore.listener);
    this.#beforeStore = null;
  }

  #teardown(options: { keepDocument?: boolean } = {}): void {
    // A drawn edit goes into the document first: a discarded copy's unsent changes are offered again.
    this.#writeDrawn();
    this.#dropBeforeStore();
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#timer);
    clearTimeout(this.#cursorTimer);
    this.#cursorTimer = undefined;
    if (this.#storeTimer !== undefined) {
      if (typeof cancelIdleCallback === 'function') cancelIdleCallback(this.#storeTimer);
      else clearTimeout(this.#storeTimer);
      this.#storeTimer = undefined;
    }
    this.#frame = 0;
    this.#timer = undefined;
    this.#sending = false;
    for (const unobserve of this.#unobserve) unobserve();
    this.#unobserve = [];
    this.#pendingCells.clear();
    this.#pendingCatalog.clear();
    this.#pendingMeta = false;
    this.#pendingThreads = false;
    this.#pendingDecisions = false;
    this.#undo?.destroy();
    this.#undo = null;
    this.#onlineListeners?.();
    this.#onlineListeners = null;
    // clearData (on a 44xx) destroys the store itself; destroying twice is harmless.
    void this.#store?.destroy();
    this.#store = null;
    this.#provider.awareness.setLocalState(null);
    this.#provider.destroy();
    if (options.keepDocument) abandonCopy(this.documentId, this.#doc);
    else this.#doc.destroy();
  }

  // A frame keeps a burst of updates to one recompute; the timeout covers hidden tabs, where
  // browsers pause animation frames but the plan should still be current when the user returns.
  #schedule(): void {
    // While this client's update is being sent, what arrives waits for the flush that follows it.
    if (this.#timer !== undefined || this.#sending) return;
    const run = () => {
      cancelAnimationFrame(this.#frame);
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#flush();
    };
    const timer = setTimeout(run, 100);
    this.#timer = timer;
    if (performance.now() - this.#flushedAt < BURST_MS) {
      this.#frame = requestAnimationFrame(run);
      return;
    }
    // The first change after a quiet spell is followed as soon as the task that brought it (the
    // whole update, every root's observer) is done, so the very next frame shows it instead of
    // the one after; settled or sent meanwhile, the timer is no longer this one.
    queueMicrotask(() => {
      if (this.#timer === timer) run();
    });
  }

  /** Applies the changes collected since the last frame to the calculator, then bumps `version`. */
  #flush(): void {
    this.#flushedAt = performance.now();
    if (this.#pendingThreads) this.threads = readThreads(this.#doc);
    if (this.#pendingDecisions) this.decisions = readDecisions(this.#doc);
    this.#pendingThreads = false;
    this.#pendingDecisions = false;
    const calc = this.calc;
    const cells: CellChange[] = [];
    for (const [root, pending] of this.#pendingCells) for (const [key, value] of pending) cells.push({ root, key, value });
    const catalog = [...this.#pendingCatalog.values()];
    const metaChanged = this.#pendingMeta;
    this.#pendingCells.clear();
    this.#pendingCatalog.clear();
    this.#pendingMeta = false;
    if (!calc) {
      // No plan yet (meta missing at the first sync): try again now that something arrived.
      this.#rebuild();
      return;
    }
    try {
      if (cells.length > 0) calc.applyCellChanges(cells);
      if (catalog.length > 0) {
        const changes = catalog.map(({ kind, id }) => this.#catalogChange(kind, id));
        calc.applyCatalogChanges(changes);
        const next = {
          families: { ...this.catalog.families },
          products: { ...this.catalog.products },
          resources: { ...this.catalog.resources },
        };
        for (const change of changes) {
          const entities = next[change.kind] as Record<string, unknown>;
          if (change.value === null) delete entities[change.id];
          else entities[change.id] = change.value;
        }
        this.catalog = next;
      }
      if (metaChanged) {
        const meta = getMeta(this.#doc);
        const stageChanged = meta.cycleStage !== this.meta?.cycleStage;
        calc.setMeta(meta);
        this.meta = meta;
        if (stageChanged) this.#resetUndo();
      }
    } catch {
      // A change the calculator cannot follow (e.g. meta removed): start from the document again.
      this.#rebuild();
      return;
    }
    if (this.#pendingHolds) this.holdsVersion += 1;
    this.#pendingHolds = false;
    this.version += 1;
  }

  #catalogChange(kind: EntityRoot, id: string): CatalogChange {
    const entity = this.#doc.getMap<unknown>(kind).get(id);
    const value = entity instanceof Y.Map ? { id, ...(entity.toJSON() as object) } : null;
    return { kind, id, value } as CatalogChange;
  }

  #rebuild(): void {
    this.#holdsSeen.clear();
    this.holdsVersion += 1;
    this.threads = readThreads(this.#doc);
    this.decisions = readDecisions(this.#doc);
    try {
      const data = readPlanData(this.#doc);
      // Read fresh from the document for the calculator alone: it writes the cells in place.
      this.calc = new PlanCalculator(data, { adopt: true });
      this.meta = data.meta;
      this.catalog = { families: data.families, products: data.products, resources: data.resources };
      this.#resetUndo();
    } catch {
      this.calc = null; // not (yet) a plan document: the page says so instead of crashing
      this.meta = null;
    }
    this.version += 1;
  }
}

/** Now, as the ISO string comments carry (`createdAt`, `editedAt`, `resolvedAt`). */
function nowIso(): string {
  return new Date().toISOString();
}

/** The decisions mirrored into a document, as plain data. */
function readDecisions(doc: Y.Doc): LiveDecision[] {
  const today = nowIso().slice(0, 10);
  const out: LiveDecision[] = [];
  doc.getMap<unknown>('decisions').forEach((entry, id) => {
    if (entry instanceof Y.Map) out.push(toLiveDecision(id, entry.toJSON() as Record<string, unknown>, today));
  });
  return out;
}

/**
 * Follows a plan's document without taking part in it (no presence, no writes): calls `onchange`
 * after the first sync and, at most every `delayMs`, after changes. For views that show server
 * figures (comparisons) and should refresh when someone edits the plan. Returns a stop function.
 */
export function watchPlan(documentId: string, onchange: () => void, delayMs = 500): () => void {
  const doc = new Y.Doc();
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`;
  const provider = new WebsocketProvider(url, documentId, doc, { disableBc: true });
  provider.awareness.setLocalState(null);
  let synced = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  provider.on('sync', (isSynced) => {
    if (!isSynced || synced) return;
    synced = true;
    onchange();
  });
  doc.on('update', () => {
    if (!synced || timer !== undefined) return;
    timer = setTimeout(() => {
      timer = undefined;
      onchange();
    }, delayMs);
  });
  return () => {
    clearTimeout(timer);
    provider.destroy();
    doc.destroy();
  };
}

import { CloseCode, mustDiscardLocalCopy, ROLE_COLORS, type PresenceState, type Role, type UserView } from '@accord/protocol';
import type { PlanData, ValueRoot } from '@accord/plan-calc';
import { readPlanData, setCell } from '@accord/plan-model';
import { WebsocketProvider } from 'y-websocket';
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
}

function isPresence(state: unknown): state is PresenceState {
  const user = (state as Partial<PresenceState> | null)?.user;
  return typeof user === 'object' && user !== null && typeof user.id === 'string' && typeof user.name === 'string';
}

/**
 * One live connection to a plan: the Yjs document, its y-websocket provider and the reactive state
 * derived from them. When the server closes the socket with a 44xx code, the local copy holds
 * changes the server refused, so the session throws document and provider away and starts over.
 */
export class PlanSession {
  status = $state<ConnectionStatus>('connecting');
  /** True once the first sync with the server completed; the grid waits for it. */
  synced = $state(false);
  /** Plain plan data, replaced wholesale on each (debounced) document update; null when the document has no plan. */
  data = $state.raw<PlanData | null>(null);
  peers = $state.raw<Peer[]>([]);
  /** Why the plan was reloaded from the server, shown until dismissed. */
  reloadNotice = $state<string | null>(null);
  /** Set when the session ended server-side; the page sends the user to sign in. */
  signedOut = $state(false);

  #doc!: Y.Doc;
  #provider!: WebsocketProvider;
  #cursor: CellCursor | null = null;
  #frame = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reloadTimer: ReturnType<typeof setTimeout> | undefined;
  #reloads = 0;
  #destroyed = false;
  readonly #user: PresenceState['user'];

  constructor(
    readonly planId: string,
    user: UserView,
    readonly role: Role,
  ) {
    this.#user = { id: user.id, name: user.name, role, color: ROLE_COLORS[role] };
    this.#connect();
  }

  /** Writes one cell; `null` clears it. The server re-checks the role on its side. */
  setCell(root: ValueRoot, key: string, value: number | null): void {
    setCell(this.#doc, root, key, value);
  }

  /** Publishes the selected cell so other users see where this user is working. */
  setCursor(cursor: CellCursor | null): void {
    this.#cursor = cursor;
    this.#provider.awareness.setLocalStateField('cursor', cursor);
  }

  /** Closes the socket and frees the document; the session is unusable afterwards. */
  destroy(): void {
    this.#destroyed = true;
    clearTimeout(this.#reloadTimer);
    this.#teardown();
  }

  #connect(): void {
    const doc = new Y.Doc();
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/sync`;
    // No BroadcastChannel: every change must pass the server's permission check, even between tabs.
    const provider = new WebsocketProvider(url, this.planId, doc, { disableBc: true });
    this.#doc = doc;
    this.#provider = provider;
    this.status = 'connecting';
    this.synced = false;
    this.data = null;

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
      this.#recompute();
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
    doc.on('update', () => this.#schedule());

    const awareness = provider.awareness;
    awareness.setLocalState({ user: this.#user, cursor: this.#cursor } satisfies PresenceState);
    awareness.on('change', () => {
      if (!current()) return;
      const peers: Peer[] = [];
      awareness.getStates().forEach((state, clientId) => {
        if (!isPresence(state)) return;
        peers.push({ clientId, self: clientId === doc.clientID, user: state.user, cursor: state.cursor ?? null });
      });
      this.peers = peers;
    });
    this.peers = [{ clientId: doc.clientID, self: true, user: this.#user, cursor: this.#cursor }];
  }

  #discard(code: number): void {
    if (this.#destroyed) return;
    if (code === CloseCode.sessionEnded) {
      this.signedOut = true;
      this.destroy();
      return;
    }
    this.reloadNotice =
      code === CloseCode.permissionDenied
        ? 'The server refused a change your role does not allow, so the plan was reloaded from the server. Your unsaved edits were discarded.'
        : 'The server could not accept this copy of the plan, so it was reloaded from the server. Your unsaved edits were discarded.';
    this.#teardown();
    this.status = 'connecting';
    this.synced = false;
    // Back off if the server keeps refusing, so a persistent fault cannot become a reconnect storm.
    const delay = Math.min(100 * 2 ** this.#reloads, 5000);
    this.#reloads += 1;
    this.#reloadTimer = setTimeout(() => {
      if (!this.#destroyed) this.#connect();
    }, delay);
  }

  #teardown(): void {
    cancelAnimationFrame(this.#frame);
    clearTimeout(this.#timer);
    this.#frame = 0;
    this.#timer = undefined;
    this.#provider.awareness.setLocalState(null);
    this.#provider.destroy();
    this.#doc.destroy();
  }

  // A frame keeps bursts of remote updates to one rebuild; the timeout covers hidden tabs, where
  // browsers pause animation frames but the plan should still be current when the user returns.
  #schedule(): void {
    if (this.#timer !== undefined) return;
    const run = () => {
      cancelAnimationFrame(this.#frame);
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#recompute();
    };
    this.#frame = requestAnimationFrame(run);
    this.#timer = setTimeout(run, 100);
  }

  #recompute(): void {
    try {
      this.data = readPlanData(this.#doc);
    } catch {
      this.data = null; // not (yet) a plan document: the page says so instead of crashing
    }
  }
}

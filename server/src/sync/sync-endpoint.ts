import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode } from '@accord/protocol';
import type { Logger } from '../logger.ts';
import type { SessionService } from '../auth/session.service.ts';
import type { TokenService } from '../auth/token.service.ts';
import { authenticate, bearerToken, type Credential, type Principal } from '../auth/principal.ts';
import type { DocumentAccess, PlanService } from '../plans/plan.service.ts';
import { HttpError } from '../errors.ts';
import { SESSION_COOKIE, parseCookie } from '../auth/cookies.ts';
import { isAllowedOrigin } from '../auth/origin.ts';
import { randomId } from '../db/ids.ts';
import type { AccessEvents } from '../auth/access-events.ts';
import type { DocumentRegistry } from './document-registry.ts';
import { MESSAGE_RATE, TokenBucket, type Connection, type Peer } from './plan-room.ts';

const SYNC_PATH = /^\/sync\/([A-Za-z0-9_-]{1,64})$/;
// Every 15 s each socket gets a ping (keeps idle meetings connected through proxies, finds dead
// peers), and a HEARTBEAT message if it was sent nothing in the last 10 s: y-websocket clients
// reconnect after 30 s without a message (pings do not count), and a socket skipped now hears
// from us within 10 + 15 = 25 s. Sockets in an active meeting get edits and presence instead.
const PING_INTERVAL_MS = 15_000;
const HEARTBEAT_IDLE_MS = 10_000;
// One frame carries at most one update; 16 MiB is far above any honest edit (a pasted range of
// a few thousand cells is a few hundred KiB) and bounds what a client can make us buffer.
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
// Twenty tabs, devices and scripts per person is generous; more is a leak or an attack.
export const MAX_CONNECTIONS_PER_USER = 20;
// Role changes and sign-outs made in this process act at once; those made elsewhere (the CLI,
// another instance) are picked up by this periodic check of every open socket.
const REVALIDATE_INTERVAL_MS = 10_000;

export interface SyncEndpointOptions {
  sessions: SessionService;
  tokens: TokenService;
  plans: PlanService;
  documents: DocumentRegistry;
  access: AccessEvents;
  log: Logger;
  allowedOrigins: readonly string[];
}

/**
 * The y-websocket endpoint at /sync/<planId>. Authenticates on upgrade (session cookie and a
 * same-origin check) and refuses before upgrading when the user may not open the plan; then hands
 * the socket to the document's room in the registry. Keeps sockets alive (pings, heartbeats) and
 * closes those whose access ended (access events from the services, and a periodic check for
 * changes made by another process).
 */
export class SyncEndpoint {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  readonly #alive = new WeakSet<WebSocket>();
  readonly #options: SyncEndpointOptions;
  readonly #documents: DocumentRegistry;
  readonly #pinger: NodeJS.Timeout;
  readonly #revalidator: NodeJS.Timeout;
  readonly #unsubscribe: () => void;
  readonly #connectionsByUser = new Map<string, number>();
  // Sign-in and access lookups under way, shared by the upgrades that ask the same at the same
  // moment: after a restart every browser of a meeting reconnects at once, with a handful of
  // sessions asking for the same few plans. An entry lives until its lookup settles, and access
  // events drop them all, so no upgrade that starts after a change is answered from before it.
  readonly #signingIn = new Map<string, Promise<Principal | undefined>>();
  readonly #opening = new Map<string, Promise<DocumentAccess>>();
  #closing = false;

  constructor(options: SyncEndpointOptions) {
    this.#options = options;
    this.#documents = options.documents;
    this.#pinger = setInterval(() => this.#pingAll(), PING_INTERVAL_MS);
    this.#pinger.unref();
    this.#revalidator = setInterval(() => void this.#revalidateAll(), REVALIDATE_INTERVAL_MS);
    this.#revalidator.unref();
    this.#unsubscribe = options.access.subscribe((event) => {
      this.#signingIn.clear();
      this.#opening.clear();
      switch (event.type) {
        case 'credential-ended':
          this.#closeCredentialSockets(event.credential);
          return;
        case 'user-signed-out':
          this.#closeUserSockets(event.userId);
          return;
        case 'membership-changed':
          this.#refreshAccess(event.userId).catch((e: unknown) =>
            this.#options.log.error({ err: e, userId: event.userId }, 'checking open sockets after a role change failed'),
          );
          return;
      }
    });
  }

  /** Routes HTTP upgrade requests of `server` to this endpoint. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.#handleUpgrade(req, socket, head).catch((e: unknown) => {
        this.#options.log.error({ err: e }, 'upgrade failed');
        rejectUpgrade(socket, 500, 'Internal Server Error', 'The server could not open the plan.');
      });
    });
  }

  /** Closes every socket of a user (sign out everywhere). */
  #closeUserSockets(userId: string): void {
    this.#documents.forEachRoom((room) => room.closeWhere((c) => c.userId === userId, CloseCode.sessionEnded, 'signed out'));
  }

  /** Closes the sockets opened with one session or token (sign out, token revoked). */
  #closeCredentialSockets(credential: Credential): void {
    this.#documents.forEachRoom((room) =>
      room.closeWhere(
        (c) => c.credential.type === credential.type && c.credential.id === credential.id,
        CloseCode.sessionEnded,
        'signed out',
      ),
    );
  }

  /** Re-checks a user's role on every open socket; a changed or removed membership closes them with 4410. */
  async #refreshAccess(userId: string): Promise<void> {
    for (const room of await this.#documents.loadedRooms()) {
      for (const conn of [...room.connections].filter((c) => c.userId === userId)) {
        const role = await this.#options.plans.getDocumentAccess(userId, room.documentId).then(
          (r) => r.role,
          () => undefined,
        );
        if (role !== conn.role)
          room.closeWhere((c) => c === conn, CloseCode.accessChanged, role ? `your role is now ${role}` : 'you no longer have access');
      }
    }
  }

  /** Stops accepting sockets and keeping them alive; the registry closes the open ones as it stores each document. */
  close(): void {
    this.#closing = true;
    clearInterval(this.#pinger);
    clearInterval(this.#revalidator);
    this.#unsubscribe();
    this.#wss.close();
  }

  async #handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const planId = SYNC_PATH.exec(url.pathname)?.[1];
    if (!planId) return rejectUpgrade(socket, 404, 'Not Found', 'No such endpoint.');
    if (this.#closing) return rejectUpgrade(socket, 503, 'Service Unavailable', 'The server is shutting down.');
    // Scripts authenticate with an API token (?token= or a bearer header) and are not subject to
    // the Origin check (no ambient cookie is involved); browsers use the session cookie and must
    // come from our own origin.
    const bearer = url.searchParams.get('token') ?? bearerToken(header(req, 'authorization'));
    if (bearer === null || bearer === undefined) {
      const originOk = isAllowedOrigin(
        { origin: header(req, 'origin'), host: header(req, 'host'), secFetchSite: header(req, 'sec-fetch-site') },
        this.#options.allowedOrigins,
      );
      if (!originOk) return rejectUpgrade(socket, 403, 'Forbidden', 'Cross-site WebSocket connections are not accepted.');
    }
    const credentials = { bearer: bearer ?? undefined, sessionToken: parseCookie(req.headers.cookie, SESSION_COOKIE) };
    const auth = await shared(
      this.#signingIn,
      credentials.bearer !== undefined ? `bearer ${credentials.bearer}` : `session ${credentials.sessionToken}`,
      () => authenticate(credentials, this.#options.sessions, this.#options.tokens),
    );
    if (!auth) return rejectUpgrade(socket, 401, 'Unauthorized', 'Sign in to open this plan.');
    if ((this.#connectionsByUser.get(auth.user.id) ?? 0) >= MAX_CONNECTIONS_PER_USER) {
      return rejectUpgrade(socket, 429, 'Too Many Requests', `At most ${MAX_CONNECTIONS_PER_USER} open connections per user.`);
    }
    let role;
    try {
      // A scenario's document syncs like its plan's, with the same members and roles.
      ({ role } = await shared(this.#opening, `${auth.user.id} ${planId}`, () =>
        this.#options.plans.getDocumentAccess(auth.user.id, planId),
      ));
    } catch (e: unknown) {
      if (e instanceof HttpError) return rejectUpgrade(socket, e.status, 'Not Found', e.message);
      throw e;
    }
    const room = await this.#documents.open(planId);
    this.#documents.hold(planId);
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Connection = {
        peer: socketPeer(ws),
        userId: auth.user.id,
        role,
        credential: auth.credential,
        clientIds: new Set(),
        rate: new TokenBucket(MESSAGE_RATE.perSecond, MESSAGE_RATE.burst),
        log: this.#options.log.child({ requestId: randomId(), userId: auth.user.id, planId }),
        lastSentAt: performance.now(),
      };
      if (room.destroyed) {
        ws.close(CloseCode.goingAway, 'plan was unloaded; reconnect');
        return;
      }
      this.#alive.add(ws);
      ws.on('pong', () => this.#alive.add(ws));
      ws.on('error', (err) => conn.log.warn({ err }, 'socket error'));
      this.#connectionsByUser.set(conn.userId, (this.#connectionsByUser.get(conn.userId) ?? 0) + 1);
      ws.on('message', (data: Buffer, isBinary: boolean) =>
        room.receive(conn, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), isBinary),
      );
      ws.on('close', (code) => {
        room.disconnect(conn);
        const open = (this.#connectionsByUser.get(conn.userId) ?? 1) - 1;
        if (open > 0) this.#connectionsByUser.set(conn.userId, open);
        else this.#connectionsByUser.delete(conn.userId);
        conn.log.info({ code }, 'sync socket closed');
        if (room.connections.size === 0) this.#documents.releaseWhenIdle(planId);
      });
      room.connect(conn);
      conn.log.info({ role }, 'sync socket opened');
    });
  }

  /**
   * Closes sockets whose session or token ended, or whose role changed, elsewhere. Each
   * credential and each (user, document) pair is looked up once per pass, and the pass yields to
   * the event loop between rooms, so a meeting of fifty people costs a handful of queries and
   * never holds up the updates being broadcast.
   */
  async #revalidateAll(): Promise<void> {
    const activeByCredential = new Map<string, Promise<boolean>>();
    const roleByAccess = new Map<string, Promise<string | undefined>>();
    const isActive = (credential: Credential) => {
      const key = `${credential.type}:${credential.id}`;
      let found = activeByCredential.get(key);
      if (!found) {
        found =
          credential.type === 'session' ? this.#options.sessions.isActive(credential.id) : this.#options.tokens.isActive(credential.id);
        activeByCredential.set(key, found);
      }
      return found;
    };
    const roleOf = (userId: string, documentId: string) => {
      const key = `${userId}|${documentId}`;
      let found = roleByAccess.get(key);
      if (!found) {
        found = this.#options.plans.getDocumentAccess(userId, documentId).then(
          (r) => r.role,
          () => undefined,
        );
        roleByAccess.set(key, found);
      }
      return found;
    };
    try {
      for (const room of await this.#documents.loadedRooms()) {
        for (const conn of [...room.connections]) {
          if (!(await isActive(conn.credential))) {
            room.closeWhere((c) => c === conn, CloseCode.sessionEnded, 'signed out');
            continue;
          }
          const role = await roleOf(conn.userId, room.documentId);
          if (role !== conn.role)
            room.closeWhere((c) => c === conn, CloseCode.accessChanged, role ? `your role is now ${role}` : 'you no longer have access');
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (e: unknown) {
      this.#options.log.error({ err: e }, 'revalidating sockets failed');
    }
  }

  #pingAll(): void {
    for (const ws of this.#wss.clients) {
      if (!this.#alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.#alive.delete(ws);
      ws.ping();
    }
    const quietSince = performance.now() - HEARTBEAT_IDLE_MS;
    this.#documents.forEachRoom((room) => room.heartbeat(quietSince));
  }
}

/** A WebSocket as the room's Peer: a failed send closes it (the client reconnects and syncs). */
function socketPeer(ws: WebSocket): Peer {
  return {
    send(message) {
      ws.send(message, (err) => {
        if (err && ws.readyState === ws.OPEN) ws.close(CloseCode.goingAway, 'send failed');
      });
    },
    close(code, reason) {
      ws.close(code, reason);
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    get open() {
      return ws.readyState === ws.OPEN;
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function rejectUpgrade(socket: Duplex, status: number, statusText: string, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { message } });
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** The lookup under way for `key` in `pending`, or a new one, remembered until it settles. */
function shared<T>(pending: Map<string, Promise<T>>, key: string, lookup: () => Promise<T>): Promise<T> {
  let found = pending.get(key);
  if (!found) {
    found = lookup().finally(() => {
      if (pending.get(key) === found) pending.delete(key);
    });
    pending.set(key, found);
  }
  return found;
}

import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode } from '@accord/protocol';
import type { Logger } from '../logger.ts';
import type { SessionService } from '../auth/session.service.ts';
import type { PlanService } from '../plans/plan.service.ts';
import { HttpError } from '../http/http-error.ts';
import { SESSION_COOKIE, parseCookie } from '../http/cookies.ts';
import { isAllowedOrigin } from '../http/origin.ts';
import { randomId } from '../db/ids.ts';
import type { DocumentRepository } from './document.repository.ts';
import { PlanRoom, type Connection } from './plan-room.ts';

const SYNC_PATH = /^\/sync\/([A-Za-z0-9_-]{1,64})$/;
// y-websocket clients reconnect when they hear nothing for 30 s; a ping every 15 s keeps idle
// meetings connected through proxies and finds dead peers.
const PING_INTERVAL_MS = 15_000;
// One frame carries at most one update; 16 MiB is far above any honest edit (a pasted range of
// a few thousand cells is a few hundred KiB) and bounds what a client can make us buffer.
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

export interface SyncServerOptions {
  sessions: SessionService;
  plans: PlanService;
  documents: DocumentRepository;
  log: Logger;
  allowedOrigins: readonly string[];
  idleUnloadMs: number;
}

/**
 * The y-websocket endpoint at /sync/<planId>. Authenticates on upgrade (session cookie and a
 * same-origin check) and refuses before upgrading when the user may not open the plan.
 */
export class SyncServer {
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  readonly #rooms = new Map<string, Promise<PlanRoom>>();
  readonly #idleTimers = new Map<string, NodeJS.Timeout>();
  readonly #alive = new WeakSet<WebSocket>();
  readonly #options: SyncServerOptions;
  readonly #pinger: NodeJS.Timeout;
  #closing = false;

  constructor(options: SyncServerOptions) {
    this.#options = options;
    this.#pinger = setInterval(() => this.#pingAll(), PING_INTERVAL_MS);
    this.#pinger.unref();
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

  /** The loaded room of a plan, loading it if needed (one load even when many join at once). */
  room(planId: string): Promise<PlanRoom> {
    let room = this.#rooms.get(planId);
    if (!room) {
      room = PlanRoom.load(planId, this.#options.documents, this.#options.log);
      this.#rooms.set(planId, room);
      room.catch(() => this.#rooms.delete(planId));
    }
    return room;
  }

  /** Closes every socket of a user (sign out everywhere). */
  closeUserSockets(userId: string): void {
    for (const room of this.#rooms.values()) {
      void room.then(
        (r) => r.closeUser(userId, CloseCode.sessionEnded, 'signed out'),
        () => undefined,
      );
    }
  }

  /** Stops accepting, closes sockets, finishes queued work and compacts every loaded document. */
  async close(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#pinger);
    for (const timer of this.#idleTimers.values()) clearTimeout(timer);
    const rooms = await Promise.allSettled(this.#rooms.values());
    for (const result of rooms) {
      if (result.status !== 'fulfilled') continue;
      const room = result.value;
      room.closeAll(CloseCode.goingAway, 'server shutting down');
      await room.flush();
      await room.compact();
      room.destroy();
    }
    this.#rooms.clear();
    this.#wss.close();
  }

  async #handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const requestId = randomId();
    const log = this.#options.log.child({ requestId });
    const url = new URL(req.url ?? '/', 'http://localhost');
    const planId = SYNC_PATH.exec(url.pathname)?.[1];
    if (!planId) return rejectUpgrade(socket, 404, 'Not Found', 'No such endpoint.');
    if (this.#closing) return rejectUpgrade(socket, 503, 'Service Unavailable', 'The server is shutting down.');
    const originOk = isAllowedOrigin(
      { origin: header(req, 'origin'), host: header(req, 'host'), secFetchSite: header(req, 'sec-fetch-site') },
      this.#options.allowedOrigins,
    );
    if (!originOk) return rejectUpgrade(socket, 403, 'Forbidden', 'Cross-site WebSocket connections are not accepted.');
    const token = parseCookie(req.headers.cookie, SESSION_COOKIE);
    const auth = token ? await this.#options.sessions.validate(token) : undefined;
    if (!auth) return rejectUpgrade(socket, 401, 'Unauthorized', 'Sign in to open this plan.');
    let role;
    try {
      ({ role } = await this.#options.plans.getPlanForUser(auth.user.id, planId));
    } catch (e: unknown) {
      if (e instanceof HttpError) return rejectUpgrade(socket, e.status, 'Not Found', e.message);
      throw e;
    }
    const room = await this.room(planId);
    this.#cancelUnload(planId);
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Connection = {
        ws,
        userId: auth.user.id,
        role,
        sessionId: auth.session.id,
        clientIds: new Set(),
        log: log.child({ userId: auth.user.id, planId }),
      };
      if (room.destroyed) {
        ws.close(CloseCode.goingAway, 'plan was unloaded; reconnect');
        return;
      }
      this.#alive.add(ws);
      ws.on('pong', () => this.#alive.add(ws));
      ws.on('error', (err) => conn.log.warn({ err }, 'socket error'));
      ws.on('close', (code) => {
        conn.log.info({ code }, 'sync socket closed');
        if (room.connections.size === 0) this.#scheduleUnload(planId);
      });
      room.connect(conn);
      conn.log.info({ role }, 'sync socket opened');
    });
  }

  #scheduleUnload(planId: string): void {
    if (this.#closing) return;
    this.#cancelUnload(planId);
    const timer = setTimeout(() => {
      this.#idleTimers.delete(planId);
      void this.#unload(planId);
    }, this.#options.idleUnloadMs);
    timer.unref();
    this.#idleTimers.set(planId, timer);
  }

  #cancelUnload(planId: string): void {
    const timer = this.#idleTimers.get(planId);
    if (timer) clearTimeout(timer);
    this.#idleTimers.delete(planId);
  }

  async #unload(planId: string): Promise<void> {
    const pending = this.#rooms.get(planId);
    if (!pending) return;
    const room = await pending;
    if (room.connections.size > 0) return;
    this.#rooms.delete(planId);
    try {
      await room.flush();
      await room.compact();
    } catch (e: unknown) {
      this.#options.log.error({ err: e, planId }, 'compaction on unload failed; the update log keeps every change');
    }
    room.destroy();
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
  }
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

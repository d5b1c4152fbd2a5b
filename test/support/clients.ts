import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import type { MeResponse, PlanListResponse } from '@accord/protocol';

/** Demo users (seeded with `--demo`, password `demo`). */
export const demoEmail = (role: string) => `${role}@demo.accord.test`;

/** Signs in over HTTP and returns the session cookie and the user. */
export async function signIn(baseUrl: string, email: string, password = 'demo'): Promise<{ cookie: string; me: MeResponse }> {
  const response = await fetch(`${baseUrl}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: baseUrl },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`sign-in as ${email} failed: ${response.status} ${await response.text()}`);
  const cookie = response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { cookie, me: (await response.json()) as MeResponse };
}

/** The first plan of the user's first workspace. */
export async function firstPlanId(baseUrl: string, session: { cookie: string; me: MeResponse }): Promise<string> {
  const workspaceId = session.me.memberships[0]!.workspaceId;
  const response = await fetch(`${baseUrl}/api/workspaces/${workspaceId}/plans`, { headers: { cookie: session.cookie } });
  const body = (await response.json()) as PlanListResponse;
  return body.plans[0]!.id;
}

export interface PlanClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
  /** Close events seen by the provider (code, reason). */
  closes: { code: number; reason: string }[];
  destroy(): void;
}

/**
 * Connects the official y-websocket client to /sync/<planId> with a session cookie, the way a
 * browser on the same origin would (cookie and Origin headers).
 */
export function connectPlan(
  baseUrl: string,
  planId: string,
  cookie: string,
  options: { origin?: string; connect?: boolean } = {},
): PlanClient {
  const origin = options.origin ?? baseUrl;
  class CookieWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers: { cookie, origin } });
    }
  }
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(baseUrl.replace(/^http/, 'ws') + '/sync', planId, doc, {
    WebSocketPolyfill: CookieWebSocket as unknown as typeof globalThis.WebSocket,
    connect: options.connect ?? true,
    disableBc: true,
  });
  const closes: { code: number; reason: string }[] = [];
  provider.on('connection-close', (event: { code: number; reason: string } | null) => {
    if (event) closes.push({ code: event.code, reason: event.reason });
  });
  return {
    doc,
    provider,
    closes,
    destroy: () => {
      provider.destroy();
      doc.destroy();
    },
  };
}

/** Resolves when the client has completed its first sync with the server. */
export function synced(client: PlanClient, timeoutMs = 10_000): Promise<void> {
  if (client.provider.synced) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not synced in time')), timeoutMs);
    client.provider.once('sync', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The HTTP status of a WebSocket upgrade: 101 when it opened, else the refusal's status. */
export function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
  });
}

/** A JSON API caller for one server: `call(cookie, method, path, body?)` → status and parsed body. */
export function apiCaller(baseUrl: string) {
  return async <T>(cookie: string, method: string, pathname: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${baseUrl}/api${pathname}`, {
      method,
      headers: { cookie, origin: baseUrl, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (response.status === 204 ? undefined : await response.json()) as T };
  };
}

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { CloseCode, type CreateTokenResponse, type MemberListResponse, type TokenListResponse } from '@accord/protocol';
import { cellKey } from '@accord/plan-calc';
import { findCell, setCell } from '@accord/plan-model';
import { runCli, startServer, type ServerProcess } from '../support/server-process.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced } from '../support/clients.ts';

describe('API tokens and role changes', () => {
  let server: ServerProcess;
  let planId: string;
  let workspaceId: string;

  beforeAll(async () => {
    server = await startServer();
    const viewer = await signIn(server.url, demoEmail('viewer'));
    planId = await firstPlanId(server.url, viewer);
    workspaceId = viewer.me.memberships[0]!.workspaceId;
  });
  afterAll(async () => {
    await server?.stop();
  });

  const api = (path: string, init: RequestInit & { cookie?: string; bearer?: string } = {}) =>
    fetch(`${server.url}/api${path}`, {
      ...init,
      headers: {
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(init.cookie ? { cookie: init.cookie, origin: server.url } : {}),
        ...(init.bearer ? { authorization: `Bearer ${init.bearer}` } : {}),
      },
    });

  it('lets a script sync with a personal token until it is revoked', async () => {
    const { cookie } = await signIn(server.url, demoEmail('sales'));
    const created = await api('/tokens', { method: 'POST', cookie, body: JSON.stringify({ name: 'nightly import' }) });
    expect(created.status).toBe(201);
    const { token, info } = (await created.json()) as CreateTokenResponse;
    expect(token).toMatch(/^acc_[a-z0-9]+\.[a-z0-9]+$/);

    expect(((await (await api('/me', { bearer: token })).json()) as { user: { email: string } }).user.email).toBe(demoEmail('sales'));
    const listing = (await (await api('/tokens', { cookie })).json()) as TokenListResponse;
    expect(listing.tokens.map((t) => t.name)).toEqual(['nightly import']);
    expect(JSON.stringify(listing)).not.toContain(token.split('.')[1]!);
    expect((await api('/tokens', { method: 'POST', bearer: token, body: JSON.stringify({ name: 'more' }) })).status).toBe(403);

    // The official client with the token as a URL parameter; no cookie, no Origin.
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`${server.url.replace('http', 'ws')}/sync`, planId, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { token },
      disableBc: true,
    });
    const closes: number[] = [];
    provider.on('connection-close', (event: { code: number } | null) => event && closes.push(event.code));
    await vi.waitFor(() => expect(provider.synced).toBe(true));
    const key = cellKey('SPA-002', '2099-03');
    setCell(doc, 'sales', key, 4242);
    const reader = connectPlan(server.url, planId, (await signIn(server.url, demoEmail('viewer'))).cookie);
    await vi.waitFor(() => expect(findCell(reader.doc, 'sales', key)).toBe(4242));

    provider.shouldConnect = false;
    expect((await api(`/tokens/${info.id}`, { method: 'DELETE', cookie })).status).toBe(204);
    await vi.waitFor(() => expect(closes).toContain(CloseCode.sessionEnded));
    expect((await api('/me', { bearer: token })).status).toBe(401);
    expect((await api(`/tokens/${info.id}`, { method: 'DELETE', cookie })).status).toBe(404);
    provider.destroy();
    reader.destroy();
  });

  it('closes open sockets at once when an admin changes or removes a role', async () => {
    const admin = await signIn(server.url, demoEmail('admin'));
    const members = (await (await api(`/workspaces/${workspaceId}/members`, { cookie: admin.cookie })).json()) as MemberListResponse;
    expect(members.members).toHaveLength(7);

    const finance = connectPlan(server.url, planId, (await signIn(server.url, demoEmail('finance'))).cookie);
    await synced(finance);
    finance.provider.shouldConnect = false;
    const demote = await api(`/workspaces/${workspaceId}/members`, {
      method: 'PUT',
      cookie: admin.cookie,
      body: JSON.stringify({ email: demoEmail('finance'), role: 'viewer' }),
    });
    expect(demote.status).toBe(204);
    await vi.waitFor(() => expect(finance.closes.map((c) => c.code)).toContain(CloseCode.accessChanged));
    finance.destroy();

    const again = connectPlan(server.url, planId, (await signIn(server.url, demoEmail('finance'))).cookie);
    await synced(again);
    again.provider.shouldConnect = false;
    expect(
      (
        await api(`/workspaces/${workspaceId}/members/${encodeURIComponent(demoEmail('finance'))}`, {
          method: 'DELETE',
          cookie: admin.cookie,
        })
      ).status,
    ).toBe(204);
    await vi.waitFor(() => expect(again.closes.map((c) => c.code)).toContain(CloseCode.accessChanged));
    again.destroy();
    const financeCookie = (await signIn(server.url, demoEmail('finance'))).cookie;
    expect((await api(`/plans/${planId}`, { cookie: financeCookie })).status).toBe(404);
  });

  it('refuses member changes from non-admins and bad roles with clear errors', async () => {
    const leader = await signIn(server.url, demoEmail('leader'));
    const forbidden = await api(`/workspaces/${workspaceId}/members`, {
      method: 'PUT',
      cookie: leader.cookie,
      body: JSON.stringify({ email: demoEmail('sales'), role: 'admin' }),
    });
    expect(forbidden.status).toBe(403);
    const admin = await signIn(server.url, demoEmail('admin'));
    const bad = await api(`/workspaces/${workspaceId}/members`, {
      method: 'PUT',
      cookie: admin.cookie,
      body: JSON.stringify({ email: demoEmail('sales'), role: 'boss' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/role: Role must be/);
  });

  it('picks up a role change made from the command line within seconds', { timeout: 30_000 }, async () => {
    const operations = connectPlan(server.url, planId, (await signIn(server.url, demoEmail('operations'))).cookie);
    await synced(operations);
    operations.provider.shouldConnect = false;
    const result = await runCli(server.dataDir, [
      'set-role',
      '--workspace',
      workspaceId,
      '--email',
      demoEmail('operations'),
      '--role',
      'commenter',
    ]);
    expect(result.code).toBe(0);
    await vi.waitFor(() => expect(operations.closes.map((c) => c.code)).toContain(CloseCode.accessChanged), { timeout: 20_000 });
    operations.destroy();
  });
});

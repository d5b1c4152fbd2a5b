import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer, type ServerProcess } from '../support/server-process.ts';
import * as Y from 'yjs';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, upgradeStatus } from '../support/clients.ts';

describe('sign-in and access to plans', () => {
  let server: ServerProcess;
  let planId: string;
  let salesCookie: string;
  let syncUrl: string;

  beforeAll(async () => {
    server = await startServer();
    const sales = await signIn(server.url, demoEmail('sales'));
    salesCookie = sales.cookie;
    planId = await firstPlanId(server.url, sales);
    syncUrl = `${server.url.replace('http', 'ws')}/sync/${planId}`;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers health checks', async () => {
    const response = await fetch(`${server.url}/api/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
    expect(response.headers.get('x-request-id')).toMatch(/^[\w.-]+$/);
  });

  it('sets an HttpOnly, SameSite=Lax session cookie that the API accepts', async () => {
    const response = await fetch(`${server.url}/api/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demoEmail('finance'), password: 'demo' }),
    });
    const setCookie = response.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/accord_session=[a-z0-9]+\.[a-z0-9]+/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const me = await fetch(`${server.url}/api/me`, { headers: { cookie: setCookie.split(';')[0]! } });
    expect(((await me.json()) as { user: { email: string } }).user.email).toBe(demoEmail('finance'));
  });

  it('refuses a wrong password and a malformed body with clear messages', async () => {
    const wrong = await fetch(`${server.url}/api/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: demoEmail('viewer'), password: 'nope' }),
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'invalid_credentials' } });
    const malformed = await fetch(`${server.url}/api/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'bad_request' } });
  });

  it('throttles repeated failed sign-ins for one account', async () => {
    const attempt = () =>
      fetch(`${server.url}/api/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: demoEmail('commenter'), password: 'wrong' }),
      });
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it('refuses cross-site state-changing requests', async () => {
    const response = await fetch(`${server.url}/api/auth/sign-out`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', cookie: salesCookie },
    });
    expect(response.status).toBe(403);
    const me = await fetch(`${server.url}/api/me`, { headers: { cookie: salesCookie } });
    expect(me.status).toBe(200);
  });

  it('ends the session on sign-out', async () => {
    const { cookie } = await signIn(server.url, demoEmail('operations'));
    expect((await fetch(`${server.url}/api/me`, { headers: { cookie } })).status).toBe(200);
    const out = await fetch(`${server.url}/api/auth/sign-out`, { method: 'POST', headers: { cookie, origin: server.url } });
    expect(out.status).toBe(204);
    expect((await fetch(`${server.url}/api/me`, { headers: { cookie } })).status).toBe(401);
    expect(await upgradeStatus(syncUrl, { cookie, origin: server.url })).toBe(401);
  });

  it('refuses to upgrade without a session, from another origin, or with a forged token', async () => {
    expect(await upgradeStatus(syncUrl, { origin: server.url })).toBe(401);
    expect(await upgradeStatus(syncUrl, { cookie: salesCookie, origin: 'https://evil.example' })).toBe(403);
    const forged = salesCookie.replace(/\.[a-z0-9]+$/, '.aaaaaaaaaaaaaaaaaaaaaaaa');
    expect(await upgradeStatus(syncUrl, { cookie: forged, origin: server.url })).toBe(401);
    expect(await upgradeStatus(syncUrl, { cookie: salesCookie, origin: server.url })).toBe(101);
  });

  it('gives a member of another workspace nothing: no plan, no socket', async () => {
    const workspace = await runCli(server.dataDir, ['create-workspace', '--name', 'Rival Co']);
    expect(workspace.code).toBe(0);
    const user = await runCli(server.dataDir, [
      'create-user',
      '--email',
      'rival@example.com',
      '--name',
      'Rita Rival',
      '--password',
      'rival-password',
    ]);
    expect(user.code).toBe(0);
    const member = await runCli(server.dataDir, [
      'set-role',
      '--workspace',
      workspace.stdout,
      '--email',
      'rival@example.com',
      '--role',
      'admin',
    ]);
    expect(member.code).toBe(0);
    const rival = await signIn(server.url, 'rival@example.com', 'rival-password');
    expect((await fetch(`${server.url}/api/plans/${planId}`, { headers: { cookie: rival.cookie } })).status).toBe(404);
    const salesWorkspace = (await signIn(server.url, demoEmail('sales'))).me.memberships[0]!.workspaceId;
    expect((await fetch(`${server.url}/api/workspaces/${salesWorkspace}/plans`, { headers: { cookie: rival.cookie } })).status).toBe(404);
    expect(await upgradeStatus(syncUrl, { cookie: rival.cookie, origin: server.url })).toBe(404);
    expect((await fetch(`${server.url}/api/documents/${planId}/state`, { headers: { cookie: rival.cookie } })).status).toBe(404);
  });

  it('serves a member the whole plan document (Yjs V2) to load before the socket opens', async () => {
    const response = await fetch(`${server.url}/api/documents/${planId}/state`, { headers: { cookie: salesCookie } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    const doc = new Y.Doc();
    Y.applyUpdateV2(doc, new Uint8Array(await response.arrayBuffer()));
    // The same document the socket serves: the socket's sync then has nothing to add.
    const client = connectPlan(server.url, planId, salesCookie);
    try {
      await synced(client);
      expect(doc.getMap('meta').get('name')).toBe(client.doc.getMap('meta').get('name'));
      expect(doc.getMap('products').size).toBeGreaterThan(0);
      expect(Y.encodeStateVector(doc)).toEqual(Y.encodeStateVector(client.doc));
    } finally {
      client.destroy();
    }
    expect((await fetch(`${server.url}/api/documents/${planId}/state`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/documents/no-such-plan/state`, { headers: { cookie: salesCookie } })).status).toBe(404);
  });

  it('serves the web app for client-side routes', async () => {
    const response = await fetch(`${server.url}/plans/${planId}`);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<html');
  });
});

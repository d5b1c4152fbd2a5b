import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { CloseCode } from '@accord/protocol';
import { cellKey, type PlanData } from '@accord/plan-calc';
import { findCell, readPlanData, setCell } from '@accord/plan-model';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

describe('plan sync over y-websocket', () => {
  let server: ServerProcess;
  let planId: string;
  const clients: PlanClient[] = [];
  const connect = (cookie: string, origin?: string) => {
    const client = connectPlan(server.url, planId, cookie, origin ? { origin } : {});
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = await startServer();
    const sales = await signIn(server.url, demoEmail('sales'));
    planId = await firstPlanId(server.url, sales);
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.stop();
  });

  it('loads the seeded demo plan on first sync', async () => {
    const { cookie } = await signIn(server.url, demoEmail('viewer'));
    const client = connect(cookie);
    await synced(client);
    const data: PlanData = readPlanData(client.doc);
    const products = Object.values(data.products);
    expect(products.length).toBeGreaterThanOrEqual(20);
    expect(products.length).toBeLessThanOrEqual(40);
    expect(Object.keys(data.resources)).toHaveLength(3);
    expect(data.meta.horizonBuckets).toBe(18);
    expect(Object.keys(data.cells.actuals).length).toBe(products.length * 24);
  });

  it('shows an edit by one user to another user live', async () => {
    const sales = connect((await signIn(server.url, demoEmail('sales'))).cookie);
    const operations = connect((await signIn(server.url, demoEmail('operations'))).cookie);
    await Promise.all([synced(sales), synced(operations)]);
    const data = readPlanData(sales.doc);
    const key = cellKey(Object.keys(data.products)[0]!, data.meta.horizonStart);
    setCell(sales.doc, 'sales', key, 4321);
    await vi.waitFor(() => expect(findCell(operations.doc, 'sales', key)).toBe(4321));
    setCell(operations.doc, 'production', key, 1234);
    await vi.waitFor(() => expect(findCell(sales.doc, 'production', key)).toBe(1234));
  });

  it('shows who else is in the plan through awareness', async () => {
    const leaderSession = await signIn(server.url, demoEmail('leader'));
    const financeSession = await signIn(server.url, demoEmail('finance'));
    const leader = connect(leaderSession.cookie);
    const finance = connect(financeSession.cookie);
    await Promise.all([synced(leader), synced(finance)]);
    const user = leaderSession.me.user;
    leader.provider.awareness.setLocalStateField('user', { id: user.id, name: user.name, role: 'leader', color: '#9333ea' });
    await vi.waitFor(() => {
      const names = [...finance.provider.awareness.getStates().values()].map((s) => (s as { user?: { name: string } }).user?.name);
      expect(names).toContain(user.name);
    });
  });

  it('ignores a presence state that claims to be another user', async () => {
    const salesSession = await signIn(server.url, demoEmail('sales'));
    const commenter = connect((await signIn(server.url, demoEmail('commenter'))).cookie);
    const sales = connect(salesSession.cookie);
    await Promise.all([synced(sales), synced(commenter)]);
    commenter.provider.awareness.setLocalStateField('user', {
      id: salesSession.me.user.id,
      name: 'Not Sofia',
      role: 'sales',
      color: '#000',
    });
    sales.provider.awareness.setLocalStateField('user', { id: salesSession.me.user.id, name: 'Real Sofia', role: 'sales', color: '#000' });
    await vi.waitFor(() => {
      const names = [...sales.provider.awareness.getStates().values()].map((s) => (s as { user?: { name: string } }).user?.name);
      expect(names).toContain('Real Sofia');
    });
    const seenByOthers = connect((await signIn(server.url, demoEmail('finance'))).cookie);
    await synced(seenByOthers);
    await vi.waitFor(() => {
      const names = [...seenByOthers.provider.awareness.getStates().values()].map((s) => (s as { user?: { name: string } }).user?.name);
      expect(names).toContain('Real Sofia');
      expect(names).not.toContain('Not Sofia');
    });
  });

  it('refuses an update from a viewer, closes with 4403 and keeps it from everyone', async () => {
    const viewer = connect((await signIn(server.url, demoEmail('viewer'))).cookie);
    const witness = connect((await signIn(server.url, demoEmail('leader'))).cookie);
    await Promise.all([synced(viewer), synced(witness)]);
    viewer.provider.shouldConnect = false;
    const key = cellKey('SPA-001', readPlanData(viewer.doc).meta.horizonStart);
    setCell(viewer.doc, 'sales', key, 999_999);
    await vi.waitFor(() => expect(viewer.closes.map((c) => c.code)).toContain(CloseCode.permissionDenied));
    // A later accepted edit proves the witness is in sync, and the forbidden value never arrived.
    setCell(witness.doc, 'consensus', key, 777);
    const fresh = connect((await signIn(server.url, demoEmail('finance'))).cookie);
    await synced(fresh);
    await vi.waitFor(() => expect(findCell(fresh.doc, 'consensus', key)).toBe(777));
    expect(findCell(fresh.doc, 'sales', key)).not.toBe(999_999);
    expect(findCell(witness.doc, 'sales', key)).not.toBe(999_999);
  });

  it('refuses a sales edit of a finance cell and of the server-only baseline', async () => {
    for (const root of ['prices', 'statistical'] as const) {
      const sales = connect((await signIn(server.url, demoEmail('sales'))).cookie);
      await synced(sales);
      sales.provider.shouldConnect = false;
      setCell(sales.doc, root, 'SPA-001', 0.01);
      await vi.waitFor(() => expect(sales.closes.map((c) => c.code)).toContain(CloseCode.permissionDenied));
    }
  });

  it('refuses a write to a root that is not part of the plan', async () => {
    const admin = connect((await signIn(server.url, demoEmail('admin'))).cookie);
    await synced(admin);
    admin.provider.shouldConnect = false;
    admin.doc.getMap('smuggled').set('x', 1);
    await vi.waitFor(() => expect(admin.closes.map((c) => c.code)).toContain(CloseCode.permissionDenied));
  });

  it('closes a socket that sends a malformed frame with 4400', async () => {
    const { cookie } = await signIn(server.url, demoEmail('sales'));
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/sync/${planId}`, { headers: { cookie, origin: server.url } });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('open', () => ws.send(new Uint8Array([0, 9, 1, 2, 3])));
    expect(await closed).toBe(CloseCode.malformedMessage);
  });

  it('stores accepted edits: a client joining later receives them from the database state', async () => {
    const sales = connect((await signIn(server.url, demoEmail('sales'))).cookie);
    await synced(sales);
    const key = cellKey('JUI-002', readPlanData(sales.doc).meta.horizonStart);
    setCell(sales.doc, 'sales', key, 2468);
    const doc2 = connect((await signIn(server.url, demoEmail('viewer'))).cookie);
    await synced(doc2);
    await vi.waitFor(() => expect(findCell(doc2.doc, 'sales', key)).toBe(2468));
    expect(Y.encodeStateVector(doc2.doc).byteLength).toBeGreaterThan(1);
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CloseCode } from '@accord/protocol';
import { cellKey } from '@accord/plan-calc';
import { findCell, readPlanData, setCell } from '@accord/plan-model';
import * as Y from 'yjs';
import { startPrivateRedis, type PrivateRedis } from '../support/cluster.ts';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { apiCaller, connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

// The machine's Redis on 6379 (this project's machines start one; where none answers, ./run test
// starts a private one on that port for the run). ACCORD_TEST_REDIS_URL points the tests elsewhere.
const REDIS_URL = process.env.ACCORD_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/**
 * Two server instances on one PostgreSQL database with Redis between them (DESIGN.md §8): an edit
 * on one reaches the clients of the other, presence crosses, a role change made on one closes the
 * member's sockets on the other, and a lock made on one refuses an edit sent to the other.
 */
describe('two instances on PostgreSQL and Redis', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let planId: string;
  const clients: PlanClient[] = [];
  const open = async (server: ServerProcess, role: string) => {
    const session = await signIn(server.url, demoEmail(role));
    const client = connectPlan(server.url, planId, session.cookie);
    clients.push(client);
    await synced(client);
    return { client, session };
  };

  beforeAll(async () => {
    a = await startServer({ store: 'postgres', env: { REDIS_URL } });
    b = await startServer({ store: 'postgres', databaseUrl: a.databaseUrl, env: { REDIS_URL } });
    planId = await firstPlanId(a.url, await signIn(a.url, demoEmail('viewer')));
  }, 60_000);
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await b?.stop();
    await a?.stop();
  });

  it('shows an edit made on one instance to the clients of the other, and presence across', async () => {
    const { client: sales } = await open(a, 'sales');
    const { client: operations } = await open(b, 'operations');
    const data = readPlanData(sales.doc);
    const key = cellKey(Object.keys(data.products)[0]!, data.meta.horizonStart);
    setCell(sales.doc, 'sales', key, 4242);
    await vi.waitFor(() => expect(findCell(operations.doc, 'sales', key)).toBe(4242), { timeout: 5_000 });
    setCell(operations.doc, 'production', key, 2424);
    await vi.waitFor(() => expect(findCell(sales.doc, 'production', key)).toBe(2424), { timeout: 5_000 });
    sales.provider.awareness.setLocalStateField('user', { id: (await signIn(a.url, demoEmail('sales'))).me.user.id, role: 'sales' });
    await vi.waitFor(() => expect(operations.provider.awareness.getStates().get(sales.doc.clientID)).toBeDefined(), { timeout: 5_000 });
  });

  it('shows the people already in a document to someone who joins on an instance that had not opened it', async () => {
    const salesSession = await signIn(a.url, demoEmail('sales'));
    const created = await apiCaller(a.url)<{ id: string }>(salesSession.cookie, 'POST', `/plans/${planId}/scenarios`, {
      name: 'Presence across instances',
      from: 'live',
    });
    expect(created.status).toBe(201);
    const sales = connectPlan(a.url, created.body.id, salesSession.cookie);
    clients.push(sales);
    await synced(sales);
    sales.provider.awareness.setLocalStateField('user', { id: salesSession.me.user.id, role: 'sales' });
    // Announced on A while B does not hold the scenario: nobody on B heard it.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const operations = connectPlan(b.url, created.body.id, (await signIn(b.url, demoEmail('operations'))).cookie);
    clients.push(operations);
    await synced(operations);
    // B asks A who is there when it opens the scenario, well before the 15 s renewal of y-websocket clients.
    await vi.waitFor(
      () => expect(operations.provider.awareness.getStates().get(sales.doc.clientID)).toMatchObject({ user: { role: 'sales' } }),
      {
        timeout: 4_000,
      },
    );
  });

  it('closes a member’s sockets on the other instance within a second of a role change', async () => {
    const { client: finance } = await open(b, 'finance');
    const admin = await signIn(a.url, demoEmail('admin'));
    const call = apiCaller(a.url);
    const workspaceId = admin.me.memberships[0]!.workspaceId;
    const changedAt = Date.now();
    expect(
      (await call(admin.cookie, 'PUT', `/workspaces/${workspaceId}/members`, { email: demoEmail('finance'), role: 'viewer' })).status,
    ).toBe(204);
    await vi.waitFor(() => expect(finance.closes.map((c) => c.code)).toContain(CloseCode.accessChanged), { timeout: 3_000, interval: 20 });
    expect(Date.now() - changedAt).toBeLessThan(2_000);
    await call(admin.cookie, 'PUT', `/workspaces/${workspaceId}/members`, { email: demoEmail('finance'), role: 'finance' });
  });
});

/**
 * A client that moves to an instance which has not heard of an update yet (its fan-out message is
 * late: here Redis is frozen) brings that update along in its sync step 2. It was stored before the
 * client received it, so the instance catches up from the store and takes the client in; refusing
 * it as a forger of the author's client id (4403) closed honest clients in the cluster storm.
 */
describe('a client that moves to an instance behind it', () => {
  let redis: PrivateRedis;
  let a: ServerProcess;
  let b: ServerProcess;
  let planId: string;
  const clients: PlanClient[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    a = await startServer({ store: 'postgres', env: { REDIS_URL: redis.url } });
    b = await startServer({ store: 'postgres', databaseUrl: a.databaseUrl, env: { REDIS_URL: redis.url } });
    planId = await firstPlanId(a.url, await signIn(a.url, demoEmail('viewer')));
  }, 60_000);
  afterAll(async () => {
    for (const client of clients) client.destroy();
    redis?.resume();
    await b?.stop();
    await a?.stop();
    await redis?.stop();
  });

  it('is caught up from the store, not refused, when it carries another user’s update the instance lacks', async () => {
    const cookie = async (server: ServerProcess, role: string) => (await signIn(server.url, demoEmail(role))).cookie;
    const connect = async (server: ServerProcess, role: string) => {
      const client = connectPlan(server.url, planId, await cookie(server, role));
      clients.push(client);
      await synced(client);
      return client;
    };
    const sales = await connect(a, 'sales');
    const data = readPlanData(sales.doc);
    const key = cellKey(Object.keys(data.products)[0]!, data.meta.horizonStart);
    setCell(sales.doc, 'sales', key, 1001);
    // B loads the plan after the sales planner's first edit, so it knows whose client id that is.
    const viewerOnB = await connect(b, 'viewer');
    await vi.waitFor(() => expect(findCell(viewerOnB.doc, 'sales', key)).toBe(1001), { timeout: 5_000 });
    const operations = await connect(a, 'operations');

    redis.pause();
    setCell(sales.doc, 'sales', key, 1002);
    await vi.waitFor(() => expect(findCell(operations.doc, 'sales', key)).toBe(1002), { timeout: 5_000 });
    expect(findCell(viewerOnB.doc, 'sales', key)).toBe(1001);

    // Operations moves to B with what it holds (a page reloaded onto another instance does so
    // from its offline copy).
    operations.provider.disconnect();
    const moved = connectPlan(b.url, planId, await cookie(b, 'operations'), { connect: false });
    clients.push(moved);
    Y.applyUpdate(moved.doc, Y.encodeStateAsUpdate(operations.doc));
    moved.provider.connect();
    await synced(moved);
    // B caught up: its other clients see the edit while Redis is still frozen.
    await vi.waitFor(() => expect(findCell(viewerOnB.doc, 'sales', key)).toBe(1002), { timeout: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(moved.closes).toEqual([]);
    redis.resume();
  });
});

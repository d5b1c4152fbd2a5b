import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { canWrite, CELL_BOUNDS, CloseCode, ROLES, type Role } from '@accord/protocol';
import { createThread, readThreads, replyToThread, ROOTS, setThreadResolved, type RootName, editMessage } from '@accord/plan-model';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

/** A write each root accepts from an allowed role, shaped like the app's own writes. */
function writeTo(root: RootName, doc: Y.Doc, userId: string, marker: number): void {
  const kind = ROOTS[root].kind;
  if (root === 'meta') doc.getMap('meta').set('name', `Plan ${marker}`);
  else if (root === 'comments') {
    createThread(doc, {
      id: `t${marker}`,
      anchor: { type: 'plan' },
      author: userId,
      text: 'hello',
      messageId: `m${marker}`,
      now: new Date().toISOString(),
    });
  } else if (root === 'families' || root === 'products' || root === 'resources') {
    const first = [...doc.getMap<Y.Map<unknown>>(root).keys()][0]!;
    doc.getMap<Y.Map<unknown>>(root).get(first)!.set('name', `Renamed ${marker}`);
  } else if (kind === 'entity') {
    const entity = new Y.Map<unknown>();
    entity.set('title', `x${marker}`);
    doc.getMap(root).set(`e${marker}`, entity);
  } else if (CELL_BOUNDS[root as keyof typeof CELL_BOUNDS]?.unit === 'flag') {
    // A hold is the flag 1 (CELL_BOUNDS): the marker goes into the held cell's key instead.
    doc.getMap<number>(root).set(`SPA-001|${marker}`, 1);
  } else {
    // The marker goes into the key, so the value can be 1: within every layer's bounds, holds (0/1)
    // included, and only the role decides.
    doc.getMap<number>(root).set(`SPA-001|${marker}`, 1);
  }
}

/** Polls until one of the conditions holds; resolves with its name, or 'timeout'. */
async function firstOf<K extends string>(conditions: Record<K, () => boolean>, timeoutMs: number): Promise<K | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const [name, holds] of Object.entries(conditions) as [K, () => boolean][]) if (holds()) return name;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return 'timeout';
}

/** Whether the write reached the server: refused writes close the socket with 4403. */
async function attempt(
  url: string,
  planId: string,
  session: { cookie: string; me: { user: { id: string } } },
  root: RootName,
  marker: number,
  witness: PlanClient,
) {
  const client = connectPlan(url, planId, session.cookie);
  await synced(client);
  client.provider.shouldConnect = false;
  writeTo(root, client.doc, session.me.user.id, marker);
  const reached = () => {
    const probe = new Y.Doc();
    Y.applyUpdate(probe, Y.encodeStateAsUpdate(witness.doc));
    return JSON.stringify(probe.getMap(root).toJSON()).includes(String(marker));
  };
  const outcome = await firstOf(
    { refused: () => client.closes.some((c) => c.code === CloseCode.permissionDenied), accepted: reached },
    5000,
  );
  client.destroy();
  return outcome;
}

describe('authorization matrix (every role × every root, real server and y-websocket)', () => {
  let server: ServerProcess;
  let planId: string;
  let witness: PlanClient;
  const sessions = new Map<Role, Awaited<ReturnType<typeof signIn>>>();

  beforeAll(async () => {
    server = await startServer();
    for (const role of ROLES) sessions.set(role, await signIn(server.url, demoEmail(role)));
    planId = await firstPlanId(server.url, sessions.get('viewer')!);
    witness = connectPlan(server.url, planId, sessions.get('viewer')!.cookie);
    await synced(witness);
  });
  afterAll(async () => {
    witness?.destroy();
    await server?.stop();
  });

  it('accepts exactly the writes the permission matrix allows', { timeout: 120_000 }, async () => {
    const roots = Object.keys(ROOTS) as RootName[];
    // A key no demo cell has, so finding the marker proves this write arrived.
    let marker = 9_876_000;
    const observed: string[] = [];
    const expected: string[] = [];
    for (const role of ROLES) {
      for (const root of roots) {
        const outcome = await attempt(server.url, planId, sessions.get(role)!, root, ++marker, witness);
        observed.push(`${role}:${root}:${outcome}`);
        expected.push(`${role}:${root}:${canWrite(role, ROOTS[root].section) ? 'accepted' : 'refused'}`);
      }
    }
    expect(observed).toEqual(expected);
    expect(expected.filter((e) => e.endsWith('accepted')).length).toBeGreaterThan(10);
  });
});

describe('comment authorship', () => {
  let server: ServerProcess;
  let planId: string;
  beforeAll(async () => {
    server = await startServer();
    planId = await firstPlanId(server.url, await signIn(server.url, demoEmail('viewer')));
  });
  afterAll(async () => {
    await server?.stop();
  });

  const open = async (role: Role) => {
    const session = await signIn(server.url, demoEmail(role));
    const client = connectPlan(server.url, planId, session.cookie);
    await synced(client);
    return { client, userId: session.me.user.id };
  };
  const refused = (client: PlanClient) => vi.waitFor(() => expect(client.closes.map((c) => c.code)).toContain(CloseCode.permissionDenied));

  it('refuses a thread or a reply whose author is someone else, for every role that may comment', async () => {
    const victim = (await signIn(server.url, demoEmail('leader'))).me.user.id;
    for (const role of ['commenter', 'sales', 'operations', 'finance', 'admin'] as const) {
      const { client } = await open(role);
      client.provider.shouldConnect = false;
      createThread(client.doc, {
        id: `forged-${role}`,
        anchor: { type: 'plan' },
        author: victim,
        text: 'I agree',
        messageId: 'm',
        now: new Date().toISOString(),
      });
      await refused(client);
      client.destroy();
    }
  });

  it('lets people reply and resolve, but only the author edit a message, and nobody remove one', async () => {
    const sales = await open('sales');
    createThread(sales.client.doc, {
      id: 't1',
      anchor: { type: 'cell', rowId: 'SPA-001', bucket: '2099-01', root: 'sales' },
      author: sales.userId,
      text: 'Promo?',
      messageId: 'm1',
      now: new Date().toISOString(),
    });
    const finance = await open('finance');
    await vi.waitFor(() => expect(readThreads(finance.client.doc).map((t) => t.id)).toContain('t1'));
    replyToThread(finance.client.doc, 't1', { id: 'm2', author: finance.userId, text: 'Yes, July', createdAt: new Date().toISOString() });
    setThreadResolved(finance.client.doc, 't1', true, finance.userId, new Date().toISOString());
    await vi.waitFor(() => expect(readThreads(sales.client.doc)[0]).toMatchObject({ resolved: true, resolvedBy: finance.userId }));
    expect(readThreads(sales.client.doc)[0]!.messages.map((m) => m.text)).toEqual(['Promo?', 'Yes, July']);

    // Editing someone else's message is refused.
    finance.client.provider.shouldConnect = false;
    editMessage(finance.client.doc, 't1', 'm1', 'Changed by finance', new Date().toISOString());
    await refused(finance.client);

    // Removing a message (instead of marking it deleted) is refused, even one's own.
    sales.client.provider.shouldConnect = false;
    const messages = sales.client.doc.getMap<Y.Map<unknown>>('comments').get('t1')!.get('messages') as Y.Array<unknown>;
    messages.delete(0, 1);
    await refused(sales.client);

    // A viewer cannot comment at all.
    const viewer = await open('viewer');
    viewer.client.provider.shouldConnect = false;
    createThread(viewer.client.doc, {
      id: 'v',
      anchor: { type: 'plan' },
      author: viewer.userId,
      text: 'hi',
      messageId: 'mv',
      now: new Date().toISOString(),
    });
    await refused(viewer.client);
    for (const c of [sales, finance, viewer]) c.client.destroy();
  });
});

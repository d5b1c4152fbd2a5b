import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CloseCode,
  ErrorCode,
  type CompareResponse,
  type CycleResponse,
  type DecisionView,
  type ErrorBody,
  type InboxResponse,
  type ScenarioView,
  type SnapshotView,
} from '@accord/protocol';
import { addMonths, cellKey } from '@accord/plan-calc';
import { createThread, findCell, getMeta, replyToThread, setCell } from '@accord/plan-model';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { connectStore } from '../support/store.ts';
import { apiCaller, connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

type Session = Awaited<ReturnType<typeof signIn>>;

/**
 * The monthly cycle as the server enforces it (DESIGN.md §1): stages close one at a time, the
 * leader reopens the last closed one with a reason, locking is the executive stage's act, and a
 * locked plan is written by nothing (client edits, merges, imports, cycle moves) until the next cycle.
 */
describe('the monthly cycle: stages in order, a lock that holds, owners and due dates', () => {
  let server: ServerProcess;
  let planId: string;
  let horizonStart: string;
  const s: Record<string, Session> = {};
  const clients: PlanClient[] = [];

  beforeAll(async () => {
    server = await startServer();
    for (const role of ['viewer', 'sales', 'operations', 'finance', 'leader', 'admin']) s[role] = await signIn(server.url, demoEmail(role));
    planId = await firstPlanId(server.url, s.viewer!);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await server?.stop();
  });

  const api = <T>(role: string, method: string, pathname: string, body?: unknown) =>
    apiCaller(server.url)<T>(s[role]!.cookie, method, pathname, body);
  const open = async (role: string) => {
    const client = connectPlan(server.url, planId, s[role]!.cookie);
    clients.push(client);
    await synced(client);
    return client;
  };
  const cycle = async () => (await api<CycleResponse>('viewer', 'GET', `/plans/${planId}/cycle`)).body;
  /** Sends an edit that the server must refuse: the socket closes with 4403. */
  const refusedEdit = async (role: string, root: string, key: string) => {
    const client = await open(role);
    client.provider.shouldConnect = false;
    setCell(client.doc, root as 'sales', key, 4_242);
    await vi.waitFor(() => expect(client.closes.map((c) => c.code)).toContain(CloseCode.permissionDenied));
  };
  const audit = async (action: string) => {
    const db = await connectStore(server);
    const rows = await db.query<{ actor: string; details: string }>('select actor, details from audit_log where action = ? order by id', [
      action,
    ]);
    await db.close();
    return rows.map((r) => ({ actor: r.actor, details: JSON.parse(r.details) as Record<string, unknown> }));
  };

  it('sets stage owners and due dates for leaders and admins: owners are members, dates follow the stages', async () => {
    const before = await cycle();
    expect(before.stage).toBe('demand-review');
    const owner = s.operations!.me.user.id;
    expect((await api('sales', 'PUT', `/plans/${planId}/cycle/stages/supply-review`, { ownerId: owner, dueDate: null })).status).toBe(403);
    const stranger = await api<ErrorBody>('leader', 'PUT', `/plans/${planId}/cycle/stages/supply-review`, {
      ownerId: 'nobody',
      dueDate: null,
    });
    expect(stranger.status).toBe(400);
    expect(stranger.body.error.message).toMatch(/owner of Supply review must be a member/);
    // Someone who cannot change the plan cannot own a stage of it.
    const viewerOwner = await api<ErrorBody>('leader', 'PUT', `/plans/${planId}/cycle/stages/supply-review`, {
      ownerId: s.viewer!.me.user.id,
      dueDate: null,
    });
    expect(viewerOwner.status).toBe(400);
    expect(viewerOwner.body.error.message).toMatch(/is a viewer and cannot change the plan, so cannot own Supply review/);

    // Demand review is due before supply review: a supply date earlier than it is refused, with both dates named.
    const demandDue = before.stages.find((st) => st.stage === 'demand-review')!.dueDate!;
    const early = await api<ErrorBody>('admin', 'PUT', `/plans/${planId}/cycle/stages/supply-review`, {
      ownerId: owner,
      dueDate: '2000-01-01',
    });
    expect(early.status).toBe(400);
    expect(early.body.error.message).toBe(
      `dueDate: due dates follow the stages, so Supply review (due 2000-01-01) cannot be due before Demand review (due ${demandDue}).`,
    );
    expect((await api('admin', 'PUT', `/plans/${planId}/cycle/stages/locked`, { ownerId: owner, dueDate: null })).status).toBe(400);

    // Several stages at once are checked together: moving two dates past each other in one request is fine.
    const far = addMonths(horizonStartOf(before), 6);
    const set = await api<CycleResponse>('admin', 'PUT', `/plans/${planId}/cycle/stages`, {
      stages: [
        { stage: 'pre-sop', ownerId: s.finance!.me.user.id, dueDate: `${far}-20` },
        { stage: 'executive', ownerId: s.leader!.me.user.id, dueDate: `${far}-25` },
      ],
    });
    expect(set.status).toBe(200);
    expect(set.body.stages.find((st) => st.stage === 'executive')).toMatchObject({ owner: { name: 'Leila Haddad' }, dueDate: `${far}-25` });
    expect((await audit('cycle.plan-stages')).at(-1)!.actor).toBe(`user:${s.admin!.me.user.id}`);
    // An overdue stage is marked as such while it is open.
    expect(set.body.stages.every((st) => st.overdue === (!st.closed && st.dueDate !== null && st.dueDate < today()))).toBe(true);
  });

  it('closes one stage at a time (leaders only), tells the next stage owner, and reopens the last closed one with a reason', async () => {
    expect((await api('operations', 'POST', `/plans/${planId}/cycle/advance`, { stage: 'demand-review' })).status).toBe(403);
    // A confirmation names the stage it closes: when the plan moved on meanwhile, nothing happens.
    const stale = await api<ErrorBody>('leader', 'POST', `/plans/${planId}/cycle/advance`, { stage: 'pre-sop' });
    expect(stale.status).toBe(409);
    expect(stale.body.error.message).toMatch(/at Demand review now, not Pre-S&OP/);

    const closed = await api<CycleResponse>('leader', 'POST', `/plans/${planId}/cycle/advance`, { stage: 'demand-review' });
    expect(closed.body.stage).toBe('supply-review');
    expect(closed.body.stages.find((st) => st.stage === 'demand-review')?.closed).toBe(true);
    expect(closed.body.events.at(-1)).toMatchObject({ action: 'close', stage: 'demand-review', by: { name: 'Leila Haddad' } });
    await refusedEdit('sales', 'sales', cellKey('SPA-002', '2099-04'));

    // The supply review's owner (operations) hears that their stage opened.
    const inbox = (await api<InboxResponse>('operations', 'GET', '/inbox')).body;
    const opened = inbox.items.find((i) => i.kind === 'stage-opened' && i.stage === 'supply-review');
    expect(opened).toMatchObject({ unread: true, planId, author: { name: 'Leila Haddad' } });
    expect(opened!.text).toMatch(/^Supply review of .* is open; you own it/);

    expect((await api('operations', 'POST', `/plans/${planId}/cycle/reopen`, { reason: 'late promotion' })).status).toBe(403);
    const noReason = await api<ErrorBody>('leader', 'POST', `/plans/${planId}/cycle/reopen`, { reason: ' ' });
    expect(noReason.status).toBe(400);
    const reopened = await api<CycleResponse>('leader', 'POST', `/plans/${planId}/cycle/reopen`, {
      reason: 'A late promotion changes the sparkling forecast',
    });
    expect(reopened.status).toBe(200);
    expect(reopened.body.stage).toBe('demand-review');
    expect(reopened.body.events.at(-1)).toMatchObject({
      action: 'reopen',
      stage: 'demand-review',
      reason: 'A late promotion changes the sparkling forecast',
    });
    expect((await audit('cycle.reopen')).at(-1)).toEqual({
      actor: `user:${s.leader!.me.user.id}`,
      details: { cycle: reopened.body.cycle, stage: 'demand-review', reason: 'A late promotion changes the sparkling forecast' },
    });
    // Demand is open again: sales edits are accepted.
    const sales = await open('sales');
    const key = cellKey('SPA-002', '2099-05');
    setCell(sales.doc, 'sales', key, 321);
    const viewer = await open('viewer');
    await vi.waitFor(() => expect(findCell(viewer.doc, 'sales', key)).toBe(321));
    expect(sales.closes).toEqual([]);
  });

  it('locks only at the executive stage, or by closing the remaining stages on request', async () => {
    const early = await api<ErrorBody>('leader', 'POST', `/plans/${planId}/snapshots`, { name: 'Too early' });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/act of the executive meeting, and the plan is at Demand review/);
    expect((await cycle()).stage).toBe('demand-review');

    for (const stage of ['demand-review', 'supply-review', 'pre-sop'])
      expect((await api('leader', 'POST', `/plans/${planId}/cycle/advance`, { stage })).status).toBe(200);
    const atExecutive = await api<ErrorBody>('leader', 'POST', `/plans/${planId}/cycle/advance`, { stage: 'executive' });
    expect(atExecutive.status).toBe(409);
    expect(atExecutive.body.error.message).toMatch(/closes by locking the consensus/);
    expect((await api('admin', 'POST', `/plans/${planId}/snapshots`, { name: 'Admins do not lock' })).status).toBe(403);

    const locked = await api<SnapshotView>('leader', 'POST', `/plans/${planId}/snapshots`, { name: 'Consensus at the executive meeting' });
    expect(locked.status).toBe(201);
    const after = await cycle();
    expect(after.stage).toBe('locked');
    expect(after.lockedSnapshot).toMatchObject({ id: locked.body.id, name: 'Consensus at the executive meeting' });
    expect(after.events.at(-1)).toMatchObject({ action: 'lock', stage: 'executive' });
    horizonStart = after.cycle;
  });

  it('holds the lock on every write path: client edits (leaders included), merges, imports, the cycle; comments stay open', async () => {
    const key = cellKey('SPA-001', horizonStart);
    for (const [role, root] of [
      ['sales', 'sales'],
      ['operations', 'production'],
      ['finance', 'prices'],
      ['leader', 'consensus'],
      ['admin', 'meta'],
    ] as const) {
      if (root === 'meta') {
        const admin = await open('admin');
        admin.provider.shouldConnect = false;
        admin.doc.getMap('meta').set('name', 'Renamed after the lock');
        await vi.waitFor(() => expect(admin.closes.map((c) => c.code)).toContain(CloseCode.permissionDenied));
      } else await refusedEdit(role, root, key);
    }

    // A scenario forked before… (here: from the locked plan) cannot be merged into it.
    const scenario = await api<ScenarioView>('operations', 'POST', `/plans/${planId}/scenarios`, { name: 'After the lock', from: 'live' });
    expect(scenario.status).toBe(201);
    const ops = connectPlan(server.url, scenario.body.id, s.operations!.cookie);
    clients.push(ops);
    await synced(ops);
    setCell(ops.doc, 'production', key, 9_000);
    await vi.waitFor(async () =>
      expect((await api<{ cells: unknown[] }>('leader', 'GET', `/scenarios/${scenario.body.id}/merge`)).body.cells).toHaveLength(1),
    );
    const merge = await api<ErrorBody>('leader', 'POST', `/scenarios/${scenario.body.id}/merge`, {
      selection: { all: true },
      decision: { title: 'Adopt it anyway', ownerId: s.operations!.me.user.id, dueDate: '2099-01-01' },
    });
    expect(merge.status).toBe(409);
    expect(merge.body.error.code).toBe(ErrorCode.planLocked);
    expect(merge.body.error.message).toMatch(/consensus of this cycle is locked, so a scenario merge cannot change the live plan/);

    for (const [role, kind, csv] of [
      ['operations', 'actuals', `SKU,Month,Units sold\nSPA-001,${addMonths(horizonStart, -1)},777`],
      ['operations', 'products', 'SKU,Description,Family,UoM,Line,Hours per unit\nLCK-001,Locked tonic,tonics,cases,line-a,0.01'],
      ['finance', 'prices', 'SKU,Price\nSPA-001,9.99'],
    ] as const) {
      const response = await fetch(`${server.url}/api/plans/${planId}/imports?kind=${kind}&mode=commit`, {
        method: 'POST',
        headers: { cookie: s[role]!.cookie, origin: server.url, 'content-type': 'text/csv' },
        body: csv,
      });
      expect(response.status).toBe(409);
      const body = (await response.json()) as ErrorBody;
      expect(body.error).toMatchObject({ code: ErrorCode.planLocked });
      expect(body.error.message).toMatch(/so an import cannot change the live plan/);
    }

    for (const [pathname, body] of [
      ['cycle/advance', {}],
      ['cycle/reopen', { reason: 'We changed our minds' }],
      ['snapshots', { name: 'Twice', closeRemaining: true }],
    ] as const) {
      const refused = await api<ErrorBody>('leader', 'POST', `/plans/${planId}/${pathname}`, body);
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe(ErrorCode.planLocked);
    }

    // Comments are not plan figures: the discussion of a locked plan goes on.
    const sales = await open('sales');
    createThread(sales.doc, {
      id: 'after-lock',
      anchor: { type: 'plan' },
      author: s.sales!.me.user.id,
      text: 'Why did we agree on this?',
      messageId: 'after-lock-1',
      now: new Date().toISOString(),
    });
    const viewer = await open('viewer');
    await vi.waitFor(() => expect(viewer.doc.getMap('comments').has('after-lock')).toBe(true));
    expect(sales.closes).toEqual([]);

    // Nothing moved the live plan away from the locked snapshot.
    const snapshotId = (await cycle()).lockedSnapshot!.id;
    const compared = await api<CompareResponse>('viewer', 'GET', `/plans/${planId}/compare?from=${snapshotId}&to=live`);
    expect(compared.body.total).toBe(0);
  });

  it('starts the next cycle: a month later, data gathering open, owners kept and due dates moved a month', async () => {
    const before = await cycle();
    const rolled = await api<CycleResponse>('leader', 'POST', `/plans/${planId}/cycle/roll`);
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({ stage: 'data-gathering', cycle: addMonths(before.cycle, 1), events: [{ action: 'roll' }] });
    for (const stage of ['demand-review', 'executive'] as const) {
      const was = before.stages.find((st) => st.stage === stage)!;
      const now = rolled.body.stages.find((st) => st.stage === stage)!;
      expect(now.owner).toEqual(was.owner);
      expect(now.dueDate!.slice(0, 7)).toBe(addMonths(was.dueDate!.slice(0, 7), 1));
    }
    // The plan is written again: sales edits at data gathering pass.
    const sales = await open('sales');
    const key = cellKey('SPA-003', addMonths(rolled.body.cycle, 2));
    setCell(sales.doc, 'sales', key, 55);
    const viewer = await open('viewer');
    await vi.waitFor(() => expect(findCell(viewer.doc, 'sales', key)).toBe(55));
    expect(getMeta(viewer.doc).horizonStart).toBe(rolled.body.cycle);
  });

  it('never lets an import land after the lock, even when both are sent at once', async () => {
    // Close to the executive stage, then send an actuals import and the lock together.
    for (const stage of ['data-gathering', 'demand-review', 'supply-review', 'pre-sop'])
      expect((await api('leader', 'POST', `/plans/${planId}/cycle/advance`, { stage })).status).toBe(200);
    const start = (await cycle()).cycle;
    const csv = [
      'SKU,Month,Units sold',
      ...Array.from({ length: 28 }, (_, i) => `SPA-00${(i % 7) + 1},${addMonths(start, -1 - Math.floor(i / 7))},${1000 + i}`),
    ];
    const [imported, locked] = await Promise.all([
      fetch(`${server.url}/api/plans/${planId}/imports?kind=actuals&mode=commit`, {
        method: 'POST',
        headers: { cookie: s.operations!.cookie, origin: server.url, 'content-type': 'text/csv' },
        body: csv.join('\n'),
      }),
      api<SnapshotView>('leader', 'POST', `/plans/${planId}/snapshots`, { name: 'Raced consensus' }),
    ]);
    expect(locked.status).toBe(201);
    // Either it was stored before the lock (and is in the snapshot) or it was refused: never after.
    expect([200, 409]).toContain(imported.status);
    const compared = await api<CompareResponse>('viewer', 'GET', `/plans/${planId}/compare?from=${locked.body.id}&to=live`);
    expect(compared.body.total).toBe(0);
  });

  it('brings decisions to their owner’s inbox, status changes to who decided, and clears them when opened', async () => {
    const operationsId = s.operations!.me.user.id;
    const created = await api<DecisionView>('leader', 'POST', `/plans/${planId}/decisions`, {
      title: 'Move the juice campaign to May',
      ownerId: operationsId,
      dueDate: '2099-05-01',
    });
    expect(created.status).toBe(201);
    let inbox = (await api<InboxResponse>('operations', 'GET', '/inbox')).body;
    const assigned = inbox.items.find((i) => i.kind === 'decision-assigned' && i.decisionId === created.body.id)!;
    expect(assigned).toMatchObject({ unread: true, author: { name: 'Leila Haddad' } });
    expect(assigned.text).toMatch(/Leila Haddad assigned you “Move the juice campaign to May” in .*, due 1 May 2099\./);
    const unreadBefore = inbox.unreadCount;

    // Opening it marks it read; the count follows.
    expect((await api('operations', 'POST', '/inbox/read', { ids: [assigned.id] })).status).toBe(204);
    inbox = (await api<InboxResponse>('operations', 'GET', '/inbox')).body;
    expect(inbox.items.find((i) => i.id === assigned.id)?.unread).toBe(false);
    expect(inbox.unreadCount).toBe(unreadBefore - 1);
    // Someone else's ids change nothing of theirs.
    await api('sales', 'POST', '/inbox/read', { ids: [assigned.id] });

    expect((await api('operations', 'PATCH', `/decisions/${created.body.id}`, { status: 'in-progress' })).status).toBe(200);
    const leaderInbox = (await api<InboxResponse>('leader', 'GET', '/inbox')).body;
    expect(leaderInbox.items.find((i) => i.kind === 'decision-status' && i.decisionId === created.body.id)).toMatchObject({
      unread: true,
      author: { name: 'Oskar Berg' },
      text: expect.stringMatching(/Oskar Berg moved “Move the juice campaign to May” .* from open to in progress\./),
    });
    const history = await api<{ history: { changedByName: string; changes: Record<string, unknown> }[] }>(
      'viewer',
      'GET',
      `/decisions/${created.body.id}/history`,
    );
    expect(history.body.history.map((h) => [h.changedByName, Object.keys(h.changes)])).toEqual([
      ['Leila Haddad', ['created']],
      ['Oskar Berg', ['status']],
    ]);
  });

  it('clears a mention once its reader answers in the thread', async () => {
    const sales = await open('sales');
    const financeId = s.finance!.me.user.id;
    createThread(sales.doc, {
      id: 'answered-thread',
      anchor: { type: 'plan' },
      author: s.sales!.me.user.id,
      text: `<@${financeId}> is the price list final?`,
      messageId: 'q1',
      now: new Date().toISOString(),
    });
    await vi.waitFor(async () => {
      const inbox = (await api<InboxResponse>('finance', 'GET', '/inbox')).body;
      expect(inbox.items.find((i) => i.messageId === 'q1')?.unread).toBe(true);
    });
    const finance = await open('finance');
    await vi.waitFor(() => expect(finance.doc.getMap('comments').has('answered-thread')).toBe(true));
    replyToThread(finance.doc, 'answered-thread', {
      id: 'a1',
      author: financeId,
      text: 'Yes, final.',
      createdAt: new Date(Date.now() + 1000).toISOString(),
    });
    await vi.waitFor(async () => {
      const inbox = (await api<InboxResponse>('finance', 'GET', '/inbox')).body;
      expect(inbox.items.find((i) => i.messageId === 'q1')?.unread).toBe(false);
    });
  });
});

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function horizonStartOf(cycle: CycleResponse): string {
  return cycle.cycle;
}

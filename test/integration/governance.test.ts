import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Y from 'yjs';
import {
  CloseCode,
  type CompareResponse,
  type CycleResponse,
  type DecisionListResponse,
  type DecisionView,
  type InboxResponse,
  type SnapshotListResponse,
} from '@accord/protocol';
import { bucketRange, cellKey } from '@accord/plan-calc';
import { createThread, findCell, getMeta, replyToThread, setCell } from '@accord/plan-model';
import { runCli, startServer, type ServerProcess } from '../support/server-process.ts';
import { connectStore } from '../support/store.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient, apiCaller } from '../support/clients.ts';

type Session = Awaited<ReturnType<typeof signIn>>;

describe('comments, decisions, snapshots and the monthly cycle', () => {
  let server: ServerProcess;
  let planId: string;
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
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

  it('ships the demo with six monthly consensus snapshots (the latest is the baseline), stage owners and decisions, one of them overdue', async () => {
    const snapshots = await api<SnapshotListResponse>('viewer', 'GET', `/plans/${planId}/snapshots`);
    expect(snapshots.body.snapshots).toHaveLength(6);
    expect(snapshots.body.baselineSnapshotId).toBe(snapshots.body.snapshots[0]!.id);
    const decisions = await api<DecisionListResponse>('viewer', 'GET', `/plans/${planId}/decisions`);
    expect(decisions.body.decisions.length).toBeGreaterThanOrEqual(3);
    const overdue = await api<DecisionListResponse>('viewer', 'GET', `/plans/${planId}/decisions?overdue=true`);
    expect(overdue.body.decisions.map((d) => d.owner.name)).toEqual(['Fiona Chen']);
    const cycle = await api<CycleResponse>('viewer', 'GET', `/plans/${planId}/cycle`);
    expect(cycle.body.stage).toBe('demand-review');
    expect(cycle.body.stages.find((st) => st.stage === 'supply-review')?.owner?.name).toBe('Oskar Berg');
  });

  it('records decisions from leaders only, validates them, lets owners move only the status, and keeps the history', async () => {
    const salesId = s.sales!.me.user.id;
    const input = { title: 'Cut juice production by 5 %', rationale: 'Stock above target', ownerId: salesId, dueDate: inDays(14) };
    expect((await api('viewer', 'POST', `/plans/${planId}/decisions`, input)).status).toBe(403);
    expect((await api('sales', 'POST', `/plans/${planId}/decisions`, input)).status).toBe(403);
    const unknownOwner = await api<{ error: { message: string } }>('leader', 'POST', `/plans/${planId}/decisions`, {
      ...input,
      ownerId: 'nobody',
    });
    expect(unknownOwner.status).toBe(400);
    expect(unknownOwner.body.error.message).toMatch(/owner must be a member/);
    const past = await api<{ error: { message: string } }>('leader', 'POST', `/plans/${planId}/decisions`, {
      ...input,
      dueDate: '2020-01-01',
    });
    expect(past.body.error.message).toMatch(/due date is in the past/);
    expect((await api('leader', 'POST', `/plans/${planId}/decisions`, { ...input, title: 'x'.repeat(201) })).status).toBe(400);
    expect((await api('leader', 'POST', `/plans/${planId}/decisions`, { ...input, dueDate: '15/12/2026' })).status).toBe(400);

    const watcher = await open('viewer');
    const created = await api<DecisionView>('leader', 'POST', `/plans/${planId}/decisions`, input);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      owner: { name: 'Sofia Alvarez' },
      decidedBy: { name: 'Leila Haddad' },
      status: 'open',
      overdue: false,
    });
    await vi.waitFor(() => expect(watcher.doc.getMap<Y.Map<unknown>>('decisions').get(created.body.id)?.get('title')).toBe(input.title));

    expect((await api('sales', 'PATCH', `/decisions/${created.body.id}`, { title: 'Changed' })).status).toBe(403);
    expect((await api('finance', 'PATCH', `/decisions/${created.body.id}`, { status: 'done' })).status).toBe(403);
    const moved = await api<DecisionView>('sales', 'PATCH', `/decisions/${created.body.id}`, { status: 'in-progress' });
    expect(moved.body.status).toBe('in-progress');
    await vi.waitFor(() => expect(watcher.doc.getMap<Y.Map<unknown>>('decisions').get(created.body.id)?.get('status')).toBe('in-progress'));
    const history = await api<{ history: { changedBy: string; changes: Record<string, unknown> }[] }>(
      'viewer',
      'GET',
      `/decisions/${created.body.id}/history`,
    );
    expect(history.body.history.map((h) => Object.keys(h.changes))).toEqual([['created'], ['status']]);
    expect(history.body.history[1]!.changedBy).toBe(salesId);
    const mine = await api<DecisionListResponse>('viewer', 'GET', `/plans/${planId}/decisions?owner=${salesId}&status=in-progress`);
    expect(mine.body.decisions.map((d) => d.id)).toContain(created.body.id);
  });

  it('delivers a mention and a reply to the inboxes of the people concerned', async () => {
    const sales = await open('sales');
    const financeId = s.finance!.me.user.id;
    createThread(sales.doc, {
      id: 'thread-juice',
      anchor: { type: 'cell', rowId: 'JUI-001', bucket: '2099-01', root: 'sales' },
      author: s.sales!.me.user.id,
      text: `<@${financeId}> can we hold the price here?`,
      messageId: 'm1',
      now: new Date().toISOString(),
    });
    await vi.waitFor(async () => {
      const inbox = await api<InboxResponse>('finance', 'GET', '/inbox');
      expect(inbox.body.items.find((i) => i.threadId === 'thread-juice')).toMatchObject({
        kind: 'mention',
        unread: true,
        author: { name: 'Sofia Alvarez' },
      });
    });
    expect((await api('finance', 'POST', '/inbox/seen', {})).status).toBe(204);
    expect((await api<InboxResponse>('finance', 'GET', '/inbox')).body.unreadCount).toBe(0);

    const leader = await open('leader');
    await vi.waitFor(() => expect(leader.doc.getMap('comments').has('thread-juice')).toBe(true));
    replyToThread(leader.doc, 'thread-juice', {
      id: 'm2',
      author: s.leader!.me.user.id,
      text: 'Yes, until March.',
      createdAt: new Date(Date.now() + 1000).toISOString(),
    });
    await vi.waitFor(async () => {
      const inbox = await api<InboxResponse>('sales', 'GET', '/inbox');
      expect(inbox.body.items.find((i) => i.messageId === 'm2')).toMatchObject({ kind: 'reply', unread: true });
    });
  });

  it('locks an immutable snapshot into a verifiable hash chain, and detects tampering', async () => {
    expect((await api('sales', 'POST', `/plans/${planId}/snapshots`, { name: 'Nope' })).status).toBe(403);
    const operations = await open('operations');
    const key = cellKey('SPA-001', getMeta(operations.doc).horizonStart);
    setCell(operations.doc, 'production', key, 12_345);
    await vi.waitFor(() => expect(findCell(operations.doc, 'production', key)).toBe(12_345));
    // Sales types a forecast over a month that followed the statistical forecast.
    const sales = await open('sales');
    // The eighth month: the demo's sales overrides reach six months ahead at most.
    const salesKey = cellKey('SPA-003', bucketRange(getMeta(sales.doc).horizonStart, 8)[7]!);
    const statistical = findCell(sales.doc, 'statistical', salesKey)!;
    expect(statistical).toBeGreaterThan(0);
    setCell(sales.doc, 'sales', salesKey, null);
    setCell(sales.doc, 'sales', salesKey, statistical + 500);
    await vi.waitFor(() => expect(findCell(sales.doc, 'sales', salesKey)).toBe(statistical + 500));
    // The plan is at demand review: locking is the executive stage's act, so the leader must say
    // that the remaining stages close with it.
    const early = await api<{ error: { code: string; message: string } }>('leader', 'POST', `/plans/${planId}/snapshots`, {
      name: 'Too early',
    });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(
      /plan is at Demand review.*close Demand review, Supply review, Pre-S&OP and Executive meeting and lock/,
    );
    const locked = await api<{ id: string; contentHash: string; previousHash: string | null }>(
      'leader',
      'POST',
      `/plans/${planId}/snapshots`,
      { name: 'Consensus this cycle', closeRemaining: true },
    );
    expect(locked.status).toBe(201);
    expect(locked.body.previousHash).toMatch(/^[0-9a-f]{64}$/);
    expect((await api<CycleResponse>('viewer', 'GET', `/plans/${planId}/cycle`)).body.stage).toBe('locked');

    // Locked: nobody changes the plan, leaders included.
    const late = await open('operations');
    late.provider.shouldConnect = false;
    setCell(late.doc, 'production', key, 1);
    await vi.waitFor(() => expect(late.closes.map((c) => c.code)).toContain(CloseCode.permissionDenied));
    const lateLeader = await open('leader');
    lateLeader.provider.shouldConnect = false;
    setCell(lateLeader.doc, 'consensus', key, 1);
    await vi.waitFor(() => expect(lateLeader.closes.map((c) => c.code)).toContain(CloseCode.permissionDenied));

    const compare = await api<CompareResponse>('viewer', 'GET', `/plans/${planId}/compare?from=${locked.body.id}&to=live`);
    expect(compare.body.cells).toEqual([]);
    // Value changes are in the plan's currency.
    expect(compare.body.currency).toBe(getMeta((await open('viewer')).doc).currency);
    const versusBaseline = await api<CompareResponse>(
      'viewer',
      'GET',
      `/plans/${planId}/compare?from=${(await api<SnapshotListResponse>('viewer', 'GET', `/plans/${planId}/snapshots`)).body.baselineSnapshotId}&to=${locked.body.id}`,
    );
    expect(versusBaseline.body.cells.find((c) => c.root === 'production' && c.rowId === 'SPA-001' && c.to === 12_345)).toBeTruthy();
    // The forecast changed by what was typed over the statistical forecast in effect, not by all of it.
    const baselineId = (await api<SnapshotListResponse>('viewer', 'GET', `/plans/${planId}/snapshots`)).body.baselineSnapshotId;
    const salesChanges = await api<CompareResponse>(
      'viewer',
      'GET',
      `/plans/${planId}/compare?from=${baselineId}&to=${locked.body.id}&root=sales&limit=500`,
    );
    const typed = salesChanges.body.cells.find((c) => c.rowId === 'SPA-003' && c.to === statistical + 500);
    expect(typed).toMatchObject({ fromFollows: 'statistical', toFollows: null });
    expect(typed!.from).toBeGreaterThan(0);
    expect(typed!.volumeDelta).toBe(statistical + 500 - typed!.from!);
    expect(typed!.volumeDelta).toBeLessThan(statistical);

    const verified = await runCli(server.dataDir, ['verify-snapshots']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/All 7 snapshots verified/);

    const db = await connectStore(server);
    await expect(db.query("update snapshots set name = 'rewritten'")).rejects.toThrow(/snapshots are immutable/);
    await expect(db.query('delete from snapshots')).rejects.toThrow(/snapshots are immutable/);
    if (db.store === 'postgres') await expect(db.query('truncate snapshots')).rejects.toThrow(/snapshots are immutable/);
    // Someone with raw database access drops the guard and rewrites history: the chain catches it.
    await db.query(db.store === 'postgres' ? 'drop trigger snapshots_no_update on snapshots' : 'drop trigger snapshots_no_update');
    await db.query("update snapshots set name = 'rewritten' where chain_index = 1");
    await db.close();
    const tampered = await runCli(server.dataDir, ['verify-snapshots']);
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toMatch(/#1\): content does not match its hash/);
  });

  it('gates sections by stage, keeps the stage server-controlled, and rolls to the next cycle', async () => {
    expect((await api('sales', 'POST', `/plans/${planId}/cycle/advance`)).status).toBe(403);
    expect((await api('leader', 'POST', `/plans/${planId}/cycle/advance`)).status).toBe(409);
    const before = (await api<CycleResponse>('viewer', 'GET', `/plans/${planId}/cycle`)).body;
    const rolled = await api<CycleResponse>('leader', 'POST', `/plans/${planId}/cycle/roll`);
    expect(rolled.status).toBe(200);
    expect(rolled.body.stage).toBe('data-gathering');
    expect(rolled.body.cycle > before.cycle).toBe(true);
    const latest = (await api<SnapshotListResponse>('viewer', 'GET', `/plans/${planId}/snapshots`)).body.snapshots[0]!;
    expect(rolled.body.baselineSnapshotId).toBe(latest.id);

    // A leader may rename the plan but not move the cycle by editing the document.
    const leader = await open('leader');
    leader.provider.shouldConnect = false;
    leader.doc.getMap('meta').set('cycleStage', 'locked');
    await vi.waitFor(() => expect(leader.closes.map((c) => c.code)).toContain(CloseCode.permissionDenied));

    await api('leader', 'POST', `/plans/${planId}/cycle/advance`); // → demand review
    await api('leader', 'POST', `/plans/${planId}/cycle/advance`); // → supply review: demand closes
    const sales = await open('sales');
    sales.provider.shouldConnect = false;
    setCell(sales.doc, 'sales', cellKey('SPA-002', '2099-04'), 10);
    await vi.waitFor(() => expect(sales.closes.map((c) => c.code)).toContain(CloseCode.permissionDenied));
    const operations = await open('operations');
    setCell(operations.doc, 'production', cellKey('SPA-002', '2099-04'), 20);
    const viewer = await open('viewer');
    await vi.waitFor(() => expect(findCell(viewer.doc, 'production', cellKey('SPA-002', '2099-04'))).toBe(20));
    const stageOwner = await api<{ error: { message: string } }>('leader', 'PUT', `/plans/${planId}/cycle/stages/pre-sop`, {
      ownerId: 'nobody',
      dueDate: inDays(3),
    });
    expect(stageOwner.status).toBe(400);
    expect((await api('leader', 'PUT', `/plans/${planId}/cycle/stages/lunch`, { ownerId: null, dueDate: null })).status).toBe(404);
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CloseCode,
  type CellChangesResponse,
  type CreateInvitationResponse,
  type CreatePlanResponse,
  type CycleResponse,
  type ErrorBody,
  type InvitationInfo,
  type InvitationListResponse,
  type MeResponse,
  type MemberListResponse,
  type PlanListResponse,
  type SnapshotListResponse,
} from '@accord/protocol';
import { readPlanData, setCell } from '@accord/plan-model';
import { runCli, startServer, type ServerProcess } from '../support/server-process.ts';
import { connectStore } from '../support/store.ts';
import { apiCaller, connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

type Session = Awaited<ReturnType<typeof signIn>>;

/** Set-up without a terminal: the workspace home, plans started in the app, members and invitations. */
describe('set-up in the app: plans, members and invitations', () => {
  let server: ServerProcess;
  let planId: string;
  let workspaceId: string;
  const s: Record<string, Session> = {};
  const clients: PlanClient[] = [];
  /** An account that exists, in another workspace: Rita of Rival Drinks. */
  const rival = { email: 'rita@rival.test', password: 'rival-password-1' };

  beforeAll(async () => {
    server = await startServer();
    for (const role of ['viewer', 'sales', 'operations', 'leader', 'admin']) s[role] = await signIn(server.url, demoEmail(role));
    planId = await firstPlanId(server.url, s.viewer!);
    workspaceId = s.admin!.me.memberships[0]!.workspaceId;
    const created = await runCli(server.dataDir, ['create-workspace', '--name', 'Rival Drinks']);
    expect(created.code).toBe(0);
    expect(
      (await runCli(server.dataDir, ['create-user', '--email', rival.email, '--name', 'Rita Rival', '--password', rival.password])).code,
    ).toBe(0);
    expect(
      (await runCli(server.dataDir, ['set-role', '--workspace', created.stdout, '--email', rival.email, '--role', 'admin'])).code,
    ).toBe(0);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await server?.stop();
  });

  const api = <T>(role: string, method: string, pathname: string, body?: unknown) =>
    apiCaller(server.url)<T>(s[role]!.cookie, method, pathname, body);
  const anonymous = <T>(method: string, pathname: string, body?: unknown) => apiCaller(server.url)<T>('', method, pathname, body);
  const audit = async (action: string) => {
    const db = await connectStore(server);
    const rows = await db.query<{ actor: string; target: string; details: string }>(
      'select actor, target, details from audit_log where action = ? order by id',
      [action],
    );
    await db.close();
    return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
  };

  it('lists the workspace’s plans with stage, owner and due date, and what waits for the caller', async () => {
    const home = await api<PlanListResponse>('operations', 'GET', `/workspaces/${workspaceId}/plans`);
    expect(home.status).toBe(200);
    const plan = home.body.plans.find((p) => p.id === planId)!;
    expect(plan.cycle).toMatchObject({ stage: 'demand-review', owner: { name: 'Sofia Alvarez' } });
    expect(plan.cycle.dueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // Never opened: no "changes since" figure yet.
    expect(plan.changesSinceVisit).toBeNull();
    // Oskar owns the supply review (not closed yet) and the demo's line-A decision.
    expect(home.body.mine.stages).toEqual([expect.objectContaining({ planId, stage: 'supply-review', current: false })]);
    expect(home.body.mine.decisions.map((d) => d.title)).toContain('Add a second shift on bottling line A for the summer peak');
    expect(plan.mine).toMatchObject({ stages: 1, decisions: 1 });
    expect(home.body.mine.unread).toBe(plan.mine.unread);
  });

  it('counts the cells others changed since the caller last opened the plan', async () => {
    expect((await api('operations', 'POST', `/plans/${planId}/visit`)).status).toBe(204);
    const sales = connectPlan(server.url, planId, s.sales!.cookie);
    clients.push(sales);
    await synced(sales);
    setCell(sales.doc, 'sales', 'SPA-003|2099-02', 11);
    setCell(sales.doc, 'sales', 'SPA-003|2099-03', 12);
    // A cell changed twice counts once.
    setCell(sales.doc, 'sales', 'SPA-003|2099-02', 13);
    const history = `/plans/${planId}/history?root=sales&key=${encodeURIComponent('SPA-003|2099-02')}`;
    await vi.waitFor(async () => expect((await api<CellChangesResponse>('operations', 'GET', history)).body.changes[0]?.newValue).toBe(13));
    await vi.waitFor(async () =>
      expect((await api<{ changes: number }>('operations', 'GET', `/plans/${planId}/visit`)).body.changes).toBe(2),
    );
    const home = await api<PlanListResponse>('operations', 'GET', `/workspaces/${workspaceId}/plans`);
    expect(home.body.plans.find((p) => p.id === planId)!.changesSinceVisit).toBe(2);
    // Her own edits are no news to the sales planner.
    await api('sales', 'POST', `/plans/${planId}/visit`);
    expect((await api<{ changes: number }>('sales', 'GET', `/plans/${planId}/visit`)).body.changes).toBe(0);
  });

  it('starts a plan as a copy: catalog, history and settings, a new cycle, the stage owners, a unique name', async () => {
    const request = { from: 'copy', planId, name: 'S&OP copy for the Swiss market' };
    expect((await api('sales', 'POST', `/workspaces/${workspaceId}/plans`, request)).status).toBe(403);
    const created = await api<CreatePlanResponse>('leader', 'POST', `/workspaces/${workspaceId}/plans`, request);
    expect(created.status).toBe(201);
    expect(created.body.plan.name).toBe('S&OP copy for the Swiss market');
    const duplicate = await api<ErrorBody>('admin', 'POST', `/workspaces/${workspaceId}/plans`, {
      ...request,
      name: 's&op COPY for the swiss market',
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.message).toMatch(/A plan named "s&op COPY for the swiss market" exists in this workspace already/);

    const source = await openData(planId);
    const copy = await openData(created.body.plan.id);
    expect(copy.meta).toMatchObject({
      name: 'S&OP copy for the Swiss market',
      cycleStage: 'data-gathering',
      horizonStart: source.meta.horizonStart,
    });
    expect(Object.keys(copy.products).sort()).toEqual(Object.keys(source.products).sort());
    expect(copy.cells.actuals).toEqual(source.cells.actuals);
    expect(copy.cells.prices).toEqual(source.cells.prices);
    expect(copy.cells.sales).toEqual({});
    expect(copy.cells.consensus).toEqual({});
    const cycle = (await api<CycleResponse>('leader', 'GET', `/plans/${created.body.plan.id}/cycle`)).body;
    expect(cycle.stages.find((st) => st.stage === 'supply-review')).toMatchObject({ owner: { name: 'Oskar Berg' }, dueDate: null });
    const home = await api<PlanListResponse>('viewer', 'GET', `/workspaces/${workspaceId}/plans`);
    expect(home.body.plans.find((p) => p.id === created.body.plan.id)?.cycle.stage).toBe('data-gathering');
    expect((await audit('plan.create')).at(-1)).toMatchObject({ actor: `user:${s.leader!.me.user.id}`, details: { from: 'copy' } });

    // A plan of another workspace cannot be copied (and is not revealed).
    const rivalSession = await signIn(server.url, rival.email, rival.password);
    const rivalWorkspace = rivalSession.me.memberships[0]!.workspaceId;
    const foreign = await apiCaller(server.url)<ErrorBody>(rivalSession.cookie, 'POST', `/workspaces/${rivalWorkspace}/plans`, {
      from: 'copy',
      planId,
      name: 'Stolen plan',
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.message).toBe('planId: no such plan in this workspace.');
  });

  it('starts a plan from a locked snapshot: the agreed figures, a new cycle', async () => {
    const snapshots = (await api<SnapshotListResponse>('leader', 'GET', `/plans/${planId}/snapshots`)).body.snapshots;
    const created = await api<CreatePlanResponse>('admin', 'POST', `/workspaces/${workspaceId}/plans`, {
      from: 'snapshot',
      snapshotId: snapshots[0]!.id,
      name: `From ${snapshots[0]!.name}`,
    });
    expect(created.status).toBe(201);
    const data = await openData(created.body.plan.id);
    expect(data.meta.cycleStage).toBe('data-gathering');
    expect(Object.keys(data.cells.consensus).length).toBeGreaterThan(0);
    expect(
      (await api('admin', 'POST', `/workspaces/${workspaceId}/plans`, { from: 'snapshot', snapshotId: 'nope', name: 'x' })).status,
    ).toBe(404);
  });

  it('starts an empty plan with its settings, then takes its catalog from an import', async () => {
    const bad = await api<ErrorBody>('leader', 'POST', `/workspaces/${workspaceId}/plans`, {
      from: 'empty',
      name: 'Empty',
      horizonStart: '2027-13',
      horizonBuckets: 12,
      currency: 'EUR',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toBe('horizonStart: Use a month like 2027-01');
    const created = await api<CreatePlanResponse>('leader', 'POST', `/workspaces/${workspaceId}/plans`, {
      from: 'empty',
      name: 'Tonics launch',
      horizonStart: '2027-04',
      horizonBuckets: 12,
      currency: 'CHF',
    });
    expect(created.status).toBe(201);
    const id = created.body.plan.id;
    expect(await openData(id)).toMatchObject({ meta: { horizonStart: '2027-04', horizonBuckets: 12, currency: 'CHF' }, products: {} });
    const upload = (kind: string, csv: string) =>
      fetch(`${server.url}/api/plans/${id}/imports?kind=${kind}&mode=commit`, {
        method: 'POST',
        headers: { cookie: s.operations!.cookie, origin: server.url, 'content-type': 'text/csv' },
        body: csv,
      });
    expect((await upload('resources', 'Resource ID,Resource name\nline-t,Tonic line')).status).toBe(200);
    expect(
      (
        await upload(
          'products',
          'SKU,Description,Family,Family name,UoM,Line,Hours per unit\nTON-001,Tonic 0.2 L,tonics,Tonics,cases,line-t,0.002',
        )
      ).status,
    ).toBe(200);
    await vi.waitFor(async () => expect((await openData(id)).products['TON-001']?.name).toBe('Tonic 0.2 L'));
  });

  it('changes roles and removes members without saying whether an account exists, and keeps a last admin', async () => {
    const members = (await api<MemberListResponse>('viewer', 'GET', `/workspaces/${workspaceId}/members`)).body.members;
    expect(members.map((m) => m.email)).toContain(demoEmail('viewer'));
    expect(
      (await api('leader', 'PUT', `/workspaces/${workspaceId}/members`, { email: demoEmail('viewer'), role: 'commenter' })).status,
    ).toBe(403);

    // Rita has an account (in another workspace); nobody has nobody@nowhere.test. Both answers are the same.
    const answers = [];
    for (const email of [rival.email, 'nobody@nowhere.test']) {
      const put = await api<ErrorBody>('admin', 'PUT', `/workspaces/${workspaceId}/members`, { email, role: 'viewer' });
      const del = await api<ErrorBody>('admin', 'DELETE', `/workspaces/${workspaceId}/members/${encodeURIComponent(email)}`);
      answers.push([
        put.status,
        put.body.error.code,
        put.body.error.message.replace(email, '<e-mail>'),
        del.status,
        del.body.error.message.replace(email, '<e-mail>'),
      ]);
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]!.slice(0, 3)).toEqual([404, 'not_found', '<e-mail> is not a member of this workspace; invite them to add them.']);
    expect((await signIn(server.url, rival.email, rival.password)).me.memberships.map((m) => m.workspaceName)).toEqual(['Rival Drinks']);

    // The only admin cannot step down or be removed.
    const last = await api<ErrorBody>('admin', 'PUT', `/workspaces/${workspaceId}/members`, { email: demoEmail('admin'), role: 'leader' });
    expect(last.status).toBe(409);
    expect(last.body.error.message).toMatch(/last admin of this workspace/);

    // A role change still reaches an open session at once.
    const viewer = connectPlan(server.url, planId, s.viewer!.cookie);
    clients.push(viewer);
    await synced(viewer);
    viewer.provider.shouldConnect = false;
    expect(
      (await api('admin', 'PUT', `/workspaces/${workspaceId}/members`, { email: demoEmail('viewer'), role: 'commenter' })).status,
    ).toBe(204);
    await vi.waitFor(() => expect(viewer.closes.map((c) => c.code)).toContain(CloseCode.accessChanged));
    expect((await audit('membership.set-role')).at(-1)).toMatchObject({ details: { workspaceId, role: 'commenter', from: 'viewer' } });
  });

  it('invites by e-mail with the same answer whether or not an account exists', async () => {
    expect((await api('leader', 'POST', `/workspaces/${workspaceId}/invitations`, { email: 'x@y.test', role: 'viewer' })).status).toBe(403);
    const invite = (email: string) =>
      api<CreateInvitationResponse>('admin', 'POST', `/workspaces/${workspaceId}/invitations`, { email, role: 'sales' });
    const existing = await invite(rival.email);
    const unknown = await invite('newcomer@acme.test');
    const shape = (answer: Awaited<ReturnType<typeof invite>>, email: string) => ({
      status: answer.status,
      keys: Object.keys(answer.body).sort(),
      invitation: {
        ...answer.body.invitation,
        id: typeof answer.body.invitation.id,
        email: answer.body.invitation.email === email,
        createdAt: typeof answer.body.invitation.createdAt,
        expiresAt: typeof answer.body.invitation.expiresAt,
      },
      link: answer.body.link.replace(/[A-Za-z0-9]+\.[A-Za-z0-9]+$/, '<token>'),
    });
    expect(shape(existing, rival.email)).toEqual(shape(unknown, 'newcomer@acme.test'));
    expect(existing.status).toBe(201);
    expect(existing.body.invitation).toMatchObject({ role: 'sales', status: 'pending', invitedBy: { name: 'Adam Novak' } });
    const days = (Date.parse(existing.body.invitation.expiresAt) - Date.parse(existing.body.invitation.createdAt)) / 86_400_000;
    expect(days).toBe(7);
    // Nobody joined yet.
    const members = (await api<MemberListResponse>('admin', 'GET', `/workspaces/${workspaceId}/members`)).body.members;
    expect(members.map((m) => m.email)).not.toContain(rival.email);
    // The link's secret is stored hashed.
    const db = await connectStore(server);
    const [stored] = await db.query<{ secret_hash: Uint8Array }>('select secret_hash from invitations where id = ?', [
      existing.body.invitation.id,
    ]);
    await db.close();
    const secret = existing.body.link.split('.').at(-1)!;
    expect(stored!.secret_hash).toHaveLength(32);
    expect(Buffer.from(stored!.secret_hash).toString('utf8')).not.toContain(secret);
    expect((await audit('invitation.create')).map((a) => a.details.email)).toEqual([rival.email, 'newcomer@acme.test']);
  });

  it('lets an invited account join only after its owner signs in and accepts; links work once', async () => {
    const invited = await api<CreateInvitationResponse>('admin', 'POST', `/workspaces/${workspaceId}/invitations`, {
      email: rival.email,
      role: 'finance',
    });
    const token = invited.body.link.split('/').at(-1)!;
    const info = await anonymous<InvitationInfo>('GET', `/invitations/${token}`);
    expect(info.body).toMatchObject({
      workspaceName: 'Alpenquell Beverages (demo)',
      email: rival.email,
      role: 'finance',
      invitedBy: 'Adam Novak',
    });

    // Rita's account cannot be taken over by registering her address from the link.
    const takeover = await anonymous<ErrorBody>('POST', `/invitations/${token}/register`, { name: 'Mallory', password: 'taken-over-123' });
    expect(takeover.status).toBe(409);
    expect(takeover.body.error.message).toMatch(/has an Accord account already: sign in with it/);

    // Someone else signed in cannot accept it for her.
    const wrong = await api<ErrorBody>('sales', 'POST', `/invitations/${token}/accept`);
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.message).toMatch(/This invitation is for rita@rival.test, and you are signed in as sales@demo.accord.test/);

    const rita = await signIn(server.url, rival.email, rival.password);
    const accepted = await apiCaller(server.url)<MeResponse>(rita.cookie, 'POST', `/invitations/${token}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body.memberships.map((m) => [m.workspaceName, m.role])).toContainEqual(['Alpenquell Beverages (demo)', 'finance']);
    const again = await apiCaller(server.url)<ErrorBody>(rita.cookie, 'POST', `/invitations/${token}/accept`);
    expect(again.status).toBe(404);
    expect((await anonymous('GET', `/invitations/${token}`)).status).toBe(404);
    expect((await audit('invitation.accept')).at(-1)).toMatchObject({ actor: `user:${rita.me.user.id}`, details: { role: 'finance' } });
    const list = (await api<InvitationListResponse>('admin', 'GET', `/workspaces/${workspaceId}/invitations`)).body.invitations;
    expect(list.find((i) => i.id === invited.body.invitation.id)?.status).toBe('accepted');
    // The newer invitation withdrew the older one of the same address.
    expect(list.filter((i) => i.email === rival.email).map((i) => i.status)).toEqual(['accepted', 'revoked']);
  });

  it('lets a newcomer set name and password from the link and sign in; admins can withdraw a link', async () => {
    const invited = await api<CreateInvitationResponse>('admin', 'POST', `/workspaces/${workspaceId}/invitations`, {
      email: 'Nina.New@Acme.test',
      role: 'operations',
    });
    expect(invited.body.invitation.email).toBe('nina.new@acme.test');
    const token = invited.body.link.split('/').at(-1)!;
    const short = await anonymous<ErrorBody>('POST', `/invitations/${token}/register`, { name: 'Nina New', password: 'short' });
    expect(short.status).toBe(400);
    const response = await fetch(`${server.url}/api/invitations/${token}/register`, {
      method: 'POST',
      headers: { origin: server.url, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Nina New', password: 'nina-password-1' }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.getSetCookie().join(';')).toMatch(/accord_session=/);
    const nina = await signIn(server.url, 'nina.new@acme.test', 'nina-password-1');
    expect(nina.me.memberships).toEqual([expect.objectContaining({ workspaceId, role: 'operations' })]);

    const withdrawn = await api<CreateInvitationResponse>('admin', 'POST', `/workspaces/${workspaceId}/invitations`, {
      email: 'late@acme.test',
      role: 'viewer',
    });
    expect((await api('leader', 'DELETE', `/workspaces/${workspaceId}/invitations/${withdrawn.body.invitation.id}`)).status).toBe(403);
    expect((await api('admin', 'DELETE', `/workspaces/${workspaceId}/invitations/${withdrawn.body.invitation.id}`)).status).toBe(204);
    const gone = await anonymous<ErrorBody>('POST', `/invitations/${withdrawn.body.link.split('/').at(-1)}/register`, {
      name: 'Late',
      password: 'late-password-1',
    });
    expect(gone.status).toBe(404);
    expect((await audit('invitation.revoke')).map((a) => a.target)).toEqual([withdrawn.body.invitation.id]);
    // A member is not invited again.
    const member = await api<ErrorBody>('admin', 'POST', `/workspaces/${workspaceId}/invitations`, {
      email: demoEmail('sales'),
      role: 'viewer',
    });
    expect(member.status).toBe(409);
  });

  async function openData(id: string) {
    const client = connectPlan(server.url, id, s.admin!.cookie);
    clients.push(client);
    await synced(client);
    return readPlanData(client.doc);
  }
});

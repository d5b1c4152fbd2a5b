import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CloseCode,
  type CellChangesResponse,
  type CompareScenariosResponse,
  type ComparedVersion,
  type MergeConflictBody,
  type MergePreviewResponse,
  type MergeScenarioResponse,
  type ScenarioFigures,
  type ScenarioListResponse,
  type ScenarioView,
  type SnapshotListResponse,
} from '@accord/protocol';
import { bucketRange, cellKey, diffPlans, PlanCalculator, type GroupPlan, type PlanData } from '@accord/plan-calc';
import { findCell, getMeta, readPlanData, setCell } from '@accord/plan-model';
import { runCli, startServer, type ServerProcess } from '../support/server-process.ts';
import { connectStore } from '../support/store.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient, upgradeStatus, apiCaller } from '../support/clients.ts';

type Session = Awaited<ReturnType<typeof signIn>>;

/** What the comparison must say about one version, computed here with plan-calc on the same data. */
function expectedFigures(data: PlanData): Pick<ComparedVersion, 'buckets' | 'total' | 'byBucket' | 'families'> {
  const calc = new PlanCalculator(data);
  const resources = calc.resources();
  const products = calc.products();
  const inventoryValue = (productIds: Set<string>, i: number) =>
    products.filter((p) => productIds.has(p.productId)).reduce((sum, p) => sum + Math.max(p.projectedInventory[i]!, 0) * p.unitCost[i]!, 0);
  const figures = (group: GroupPlan, productIds: Set<string>, countResource: (resourceId: string) => boolean) => {
    const overloads = calc.buckets.map((_, i) => resources.filter((r) => countResource(r.resourceId) && r.overloaded[i]).length);
    const values = calc.buckets.map((_, i) => inventoryValue(productIds, i));
    const horizon = calc.horizon(group)!;
    const byBucket: ScenarioFigures[] = calc.buckets.map((_, i) => ({
      revenue: group.revenue[i]!,
      grossMargin: group.grossMargin[i]!,
      demand: group.demand[i]!,
      servedDemand: group.servedDemand[i]!,
      fillRate: group.demand[i] === 0 ? null : group.servedDemand[i]! / group.demand[i]!,
      stockOuts: group.stockOuts[i]!,
      inventoryValue: values[i]!,
      capacityOverloads: overloads[i]!,
    }));
    const total: ScenarioFigures = {
      revenue: horizon.revenue,
      grossMargin: horizon.grossMargin,
      demand: horizon.demand,
      servedDemand: horizon.servedDemand,
      fillRate: horizon.demand === 0 ? null : horizon.servedDemand / horizon.demand,
      stockOuts: horizon.stockOuts,
      inventoryValue: values.reduce((a, b) => a + b, 0),
      capacityOverloads: overloads.reduce((a, b) => a + b, 0),
    };
    return { total, byBucket };
  };
  return {
    buckets: [...calc.buckets],
    ...figures(calc.total(), new Set(products.map((p) => p.productId)), () => true),
    families: calc.families().map((family) => {
      const members = products.filter((p) => p.familyId === family.id);
      const used = new Set(members.map((p) => p.resourceId));
      return {
        familyId: family.id,
        familyName: data.families[family.id]!.name,
        ...figures(family, new Set(members.map((p) => p.productId)), (id) => used.has(id)),
      };
    }),
  };
}

describe('scenarios: fork, co-edit, compare, merge back', () => {
  let server: ServerProcess;
  let planId: string;
  let buckets: string[];
  const s: Record<string, Session> = {};
  const clients: PlanClient[] = [];
  let linkedScenarioId: string;

  beforeAll(async () => {
    server = await startServer();
    for (const role of ['viewer', 'commenter', 'sales', 'operations', 'finance', 'leader', 'admin'])
      s[role] = await signIn(server.url, demoEmail(role));
    planId = await firstPlanId(server.url, s.viewer!);
    const probe = await open('viewer', planId);
    const meta = getMeta(probe.doc);
    buckets = bucketRange(meta.horizonStart, 6);
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await server?.stop();
  });

  const api = <T>(role: string, method: string, pathname: string, body?: unknown) =>
    apiCaller(server.url)<T>(s[role]!.cookie, method, pathname, body);
  async function open(role: string, documentId: string): Promise<PlanClient> {
    const client = connectPlan(server.url, documentId, s[role]!.cookie);
    clients.push(client);
    await synced(client);
    return client;
  }
  const createScenario = async (role: string, name: string, extra: Record<string, unknown> = {}) => {
    const created = await api<ScenarioView>(role, 'POST', `/plans/${planId}/scenarios`, { name, ...extra });
    expect(created.status).toBe(201);
    return created.body;
  };
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  const decision = (title: string) => ({ title, ownerId: s.leader!.me.user.id, dueDate: inDays(7) });

  it('merges exactly the selected cells after concurrent edits on both sides, as one change by the merger', async () => {
    const scenario = await createScenario('sales', 'Delay energy three weeks', { description: 'Launch juices first' });
    expect(scenario).toMatchObject({ status: 'active', forkedFrom: 'live', owner: { name: 'Sofia Alvarez' } });
    linkedScenarioId = scenario.id;

    const planOps = await open('operations', planId);
    const planSales = await open('sales', planId);
    const scenarioSales = await open('sales', scenario.id);
    const scenarioOps = await open('operations', scenario.id);
    expect(getMeta(scenarioSales.doc)).toMatchObject({ name: 'Delay energy three weeks', cycleStage: 'data-gathering' });
    expect(getMeta(planSales.doc).cycleStage).toBe('demand-review');

    const X = { root: 'production', key: cellKey('SPA-001', buckets[0]!) } as const;
    const Y = { root: 'sales', key: cellKey('JUI-001', buckets[1]!) } as const;
    const Z = { root: 'sales', key: cellKey('SPA-001', buckets[2]!) } as const;
    const W = { root: 'production', key: cellKey('JUI-001', buckets[3]!) } as const;
    const originalY = findCell(planSales.doc, 'sales', Y.key) ?? null;

    // Both sides at once: the plan moves on while the scenario is being explored.
    setCell(planOps.doc, X.root, X.key, 7_001);
    setCell(planSales.doc, Y.root, Y.key, 7_002);
    setCell(scenarioSales.doc, Y.root, Y.key, 7_003);
    setCell(scenarioSales.doc, Z.root, Z.key, 7_004);
    setCell(scenarioOps.doc, W.root, W.key, 7_005);
    await vi.waitFor(() => {
      expect(findCell(planSales.doc, X.root, X.key)).toBe(7_001);
      expect(findCell(planOps.doc, Y.root, Y.key)).toBe(7_002);
      expect(findCell(scenarioOps.doc, Z.root, Z.key)).toBe(7_004);
      expect(findCell(scenarioSales.doc, W.root, W.key)).toBe(7_005);
    });
    // The plan's edits stay out of the scenario and the other way round.
    expect(findCell(scenarioOps.doc, X.root, X.key)).not.toBe(7_001);
    expect(findCell(planOps.doc, W.root, W.key)).not.toBe(7_005);

    const preview = await api<MergePreviewResponse>('viewer', 'GET', `/scenarios/${scenario.id}/merge`);
    expect(preview.status).toBe(200);
    const byKey = new Map(preview.body.cells.map((c) => [`${c.root}:${c.key}`, c]));
    expect([...byKey.keys()].sort()).toEqual([`${W.root}:${W.key}`, `${Y.root}:${Y.key}`, `${Z.root}:${Z.key}`].sort());
    expect(byKey.get(`${Y.root}:${Y.key}`)).toMatchObject({
      base: originalY,
      plan: 7_002,
      scenario: 7_003,
      conflict: true,
      section: 'demand',
    });
    expect(byKey.get(`${Z.root}:${Z.key}`)).toMatchObject({
      plan: findCell(planOps.doc, Z.root, Z.key) ?? null,
      scenario: 7_004,
      conflict: false,
    });
    expect(byKey.get(`${W.root}:${W.key}`)).toMatchObject({
      scenario: 7_005,
      conflict: false,
      section: 'supply',
      rowId: 'JUI-001',
      layer: 'Production',
      rowName: expect.not.stringContaining('JUI-001'),
    });
    expect(preview.body.conflicts).toBe(1);
    expect(preview.body.notMergeable).toEqual([]);

    const expected = readPlanData(planOps.doc);
    expected.cells.sales[Z.key] = 7_004;
    expected.cells.production[W.key] = 7_005;

    const body = { selection: { cells: [Z, W] }, decision: decision('Adopt the juices-first plan') };
    expect((await api('sales', 'POST', `/scenarios/${scenario.id}/merge`, body)).status).toBe(403);
    expect((await api('operations', 'POST', `/scenarios/${scenario.id}/merge`, body)).status).toBe(403);
    const merged = await api<MergeScenarioResponse>('leader', 'POST', `/scenarios/${scenario.id}/merge`, body);
    expect(merged.status).toBe(200);
    expect(merged.body.merged).toBe(2);
    expect(merged.body.decision).toMatchObject({ title: 'Adopt the juices-first plan', links: { scenarioId: scenario.id } });
    expect(merged.body.decision.links.cells).toHaveLength(2);

    const watcher = await open('viewer', planId);
    expect(readPlanData(watcher.doc)).toEqual(expected);
    await vi.waitFor(() => expect(readPlanData(planSales.doc)).toEqual(expected));
    for (const cell of [Z, W]) {
      const history = await api<CellChangesResponse>(
        'viewer',
        'GET',
        `/plans/${planId}/history?root=${cell.root}&key=${encodeURIComponent(cell.key)}`,
      );
      expect(history.body.changes[0]).toMatchObject({ userId: s.leader!.me.user.id, userName: 'Leila Haddad' });
    }
    const wHistory = await api<CellChangesResponse>(
      'viewer',
      'GET',
      `/plans/${planId}/history?root=production&key=${encodeURIComponent(W.key)}`,
    );
    expect(wHistory.body.changes[0]!.newValue).toBe(7_005);

    // The conflicting cell needs a resolution; without one nothing is written.
    const refused = await api<MergeConflictBody>('leader', 'POST', `/scenarios/${scenario.id}/merge`, {
      selection: { cells: [Y] },
      decision: decision('Take the scenario forecast'),
    });
    expect(refused.status).toBe(409);
    expect(refused.body.conflicts.map((c) => c.key)).toEqual([Y.key]);
    expect(findCell(watcher.doc, Y.root, Y.key)).toBe(7_002);
    const resolved = await api<MergeScenarioResponse>('leader', 'POST', `/scenarios/${scenario.id}/merge`, {
      selection: { cells: [Y] },
      resolutions: { [`${Y.root}:${Y.key}`]: 'scenario' },
      decision: { decisionId: merged.body.decision.id },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.body.merged).toBe(1);
    expect(resolved.body.decision.id).toBe(merged.body.decision.id);
    await vi.waitFor(() => expect(findCell(watcher.doc, Y.root, Y.key)).toBe(7_003));
    expect(findCell(watcher.doc, X.root, X.key)).toBe(7_001);

    // Keeping the plan's value is a resolution too: merged nothing, kept one.
    setCell(planSales.doc, Y.root, Y.key, 7_006);
    await vi.waitFor(() => expect(findCell(watcher.doc, Y.root, Y.key)).toBe(7_006));
    const kept = await api<MergeScenarioResponse>('admin', 'POST', `/scenarios/${scenario.id}/merge`, {
      selection: { sections: ['demand'] },
      resolutions: { [`${Y.root}:${Y.key}`]: 'plan' },
      decision: decision('Keep the sales forecast'),
    });
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ merged: 0, keptPlan: 1 });
    expect(findCell(watcher.doc, Y.root, Y.key)).toBe(7_006);
  });

  it('forks a snapshot too, and lists scenarios by status', async () => {
    const { baselineSnapshotId } = (await api<SnapshotListResponse>('viewer', 'GET', `/plans/${planId}/snapshots`)).body;
    const fromSnapshot = await createScenario('finance', 'Last consensus with a price rise', { from: baselineSnapshotId });
    expect(fromSnapshot.forkedFrom).toBe(baselineSnapshotId);
    expect((await api('finance', 'POST', `/plans/${planId}/scenarios`, { name: 'x', from: 'no-such-snapshot' })).status).toBe(404);
    const list = await api<ScenarioListResponse>('viewer', 'GET', `/plans/${planId}/scenarios`);
    expect(list.body.scenarios.map((x) => x.id)).toContain(fromSnapshot.id);
    expect((await api('viewer', 'GET', `/plans/${planId}/scenarios?status=bogus`)).status).toBe(400);
  });

  it('enforces the role matrix inside scenarios, read-only once archived, and nothing for other workspaces', async () => {
    expect((await api('viewer', 'POST', `/plans/${planId}/scenarios`, { name: 'Mine' })).status).toBe(403);
    expect((await api('commenter', 'POST', `/plans/${planId}/scenarios`, { name: 'Mine' })).status).toBe(403);
    const scenario = await createScenario('operations', 'Second shift on line A');

    const sales = await open('sales', scenario.id);
    sales.provider.shouldConnect = false;
    setCell(sales.doc, 'production', cellKey('SPA-001', buckets[0]!), 1);
    await vi.waitFor(() => expect(sales.closes.map((c) => c.code)).toContain(CloseCode.permissionDenied));
    const finance = await open('finance', scenario.id);
    setCell(finance.doc, 'prices', cellKey('SPA-001', buckets[0]!), 3.25);
    const witness = await open('viewer', scenario.id);
    await vi.waitFor(() => expect(findCell(witness.doc, 'prices', cellKey('SPA-001', buckets[0]!))).toBe(3.25));
    expect(findCell(witness.doc, 'production', cellKey('SPA-001', buckets[0]!))).not.toBe(1);

    // Rival Co's admin sees neither the scenario's socket nor its API.
    const workspace = await runCli(server.dataDir, ['create-workspace', '--name', 'Rival Co']);
    await runCli(server.dataDir, ['create-user', '--email', 'rival@example.com', '--name', 'Rita Rival', '--password', 'rival-password']);
    await runCli(server.dataDir, ['set-role', '--workspace', workspace.stdout, '--email', 'rival@example.com', '--role', 'admin']);
    const rival = await signIn(server.url, 'rival@example.com', 'rival-password');
    const syncUrl = `${server.url.replace(/^http/, 'ws')}/sync/${scenario.id}`;
    expect(await upgradeStatus(syncUrl, { cookie: rival.cookie, origin: server.url })).toBe(404);
    expect(await upgradeStatus(syncUrl, { cookie: s.sales!.cookie, origin: server.url })).toBe(101);
    const asRival = (method: string, pathname: string, body?: unknown) =>
      fetch(`${server.url}/api${pathname}`, {
        method,
        headers: { cookie: rival.cookie, origin: server.url, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then((r) => r.status);
    expect(await asRival('GET', `/scenarios/${scenario.id}`)).toBe(404);
    expect(await asRival('GET', `/scenarios/${scenario.id}/merge`)).toBe(404);
    expect(await asRival('POST', `/scenarios/${scenario.id}/archive`)).toBe(404);
    expect(await asRival('DELETE', `/scenarios/${scenario.id}`)).toBe(404);
    expect(await asRival('GET', `/plans/${planId}/scenarios`)).toBe(404);
    expect(await asRival('GET', `/plans/${planId}/scenarios/compare?ids=${scenario.id}`)).toBe(404);

    // Archived: kept and readable, written by nobody; open sockets are told to reload.
    expect((await api('sales', 'POST', `/scenarios/${scenario.id}/archive`)).status).toBe(403);
    const archived = await api<ScenarioView>('leader', 'POST', `/scenarios/${scenario.id}/archive`);
    expect(archived.body.status).toBe('archived');
    await vi.waitFor(() => expect(finance.closes.map((c) => c.code)).toContain(CloseCode.accessChanged));
    const late = await open('finance', scenario.id);
    expect(findCell(late.doc, 'prices', cellKey('SPA-001', buckets[0]!))).toBe(3.25);
    late.provider.shouldConnect = false;
    setCell(late.doc, 'prices', cellKey('SPA-001', buckets[0]!), 9.99);
    await vi.waitFor(() => expect(late.closes.map((c) => c.code)).toContain(CloseCode.permissionDenied));
    expect((await api<ScenarioListResponse>('viewer', 'GET', `/plans/${planId}/scenarios`)).body.scenarios.map((x) => x.id)).not.toContain(
      scenario.id,
    );
    expect(
      (await api<ScenarioListResponse>('viewer', 'GET', `/plans/${planId}/scenarios?status=archived`)).body.scenarios.map((x) => x.id),
    ).toEqual([scenario.id]);
  });

  it('compares up to four scenarios with the live plan on exactly what plan-calc computes', async () => {
    const cheaper = await createScenario('finance', 'Price cut on sparkling');
    const capacity = await createScenario('operations', 'Push line A');
    const financeClient = await open('finance', cheaper.id);
    for (const bucket of buckets) setCell(financeClient.doc, 'prices', cellKey('SPA-001', bucket), 0.5);
    const opsClient = await open('operations', capacity.id);
    for (const bucket of buckets) setCell(opsClient.doc, 'production', cellKey('SPA-001', bucket), 900_000);

    const base = await open('viewer', planId);
    const cheaperView = await open('viewer', cheaper.id);
    const capacityView = await open('viewer', capacity.id);
    await vi.waitFor(() => {
      expect(findCell(cheaperView.doc, 'prices', cellKey('SPA-001', buckets.at(-1)!))).toBe(0.5);
      expect(findCell(capacityView.doc, 'production', cellKey('SPA-001', buckets.at(-1)!))).toBe(900_000);
    });

    const compared = await api<CompareScenariosResponse>(
      'viewer',
      'GET',
      `/plans/${planId}/scenarios/compare?ids=${cheaper.id},${capacity.id}`,
    );
    expect(compared.status).toBe(200);
    const baseData = readPlanData(base.doc);
    expect(compared.body.currency).toBe(baseData.meta.currency);
    expect(compared.body.base).toMatchObject({ id: 'live', ...expectedFigures(baseData) });
    expect(compared.body.scenarios.map((v) => v.id)).toEqual([cheaper.id, capacity.id]);
    for (const [version, client] of [
      [compared.body.scenarios[0]!, cheaperView],
      [compared.body.scenarios[1]!, capacityView],
    ] as const) {
      const data = readPlanData(client.doc);
      expect(version).toMatchObject(expectedFigures(data));
      const diff = diffPlans(baseData, data);
      expect(version.differences.changedCells).toBe(diff.cells.length);
      expect(version.differences.cells.map((c) => [c.root, c.rowId, c.bucket, c.from, c.to, c.valueDelta])).toEqual(
        diff.cells.slice(0, 100).map((c) => [c.root, c.rowId, c.bucket, c.before, c.after, c.valueDelta]),
      );
    }
    // The trade-offs show: a lower price cuts revenue; pushing line A overloads it.
    const [priceCut, pushed] = compared.body.scenarios;
    expect(priceCut!.total.revenue).toBeLessThan(compared.body.base.total.revenue);
    expect(pushed!.total.capacityOverloads).toBeGreaterThan(compared.body.base.total.capacityOverloads);
    expect(pushed!.total.inventoryValue).toBeGreaterThan(compared.body.base.total.inventoryValue);

    const many = [cheaper.id, capacity.id, 'a', 'b', 'c'].join(',');
    expect((await api('viewer', 'GET', `/plans/${planId}/scenarios/compare?ids=${many}`)).status).toBe(400);
    expect((await api('viewer', 'GET', `/plans/${planId}/scenarios/compare?ids=nope`)).status).toBe(404);
  });

  it('shows each side of a merge as what applied: an empty sales forecast as the statistical forecast it followed', async () => {
    const scenario = await createScenario('sales', 'Forecast where only the statistical one stood');
    const client = await open('sales', scenario.id);
    const plan = readPlanData(client.doc);
    // A month of a product with a statistical forecast and no sales forecast typed over it.
    const key = Object.keys(plan.cells.statistical).find((k) => buckets.includes(k.split('|')[1]!) && plan.cells.sales[k] === undefined);
    expect(key).toBeDefined();
    const statistical = plan.cells.statistical[key!]!;
    setCell(client.doc, 'sales', key!, statistical + 500);
    let cell: MergePreviewResponse['cells'][number] | undefined;
    await vi.waitFor(async () => {
      const preview = await api<MergePreviewResponse>('viewer', 'GET', `/scenarios/${scenario.id}/merge`);
      cell = preview.body.cells.find((c) => c.root === 'sales' && c.key === key);
      expect(cell).toBeDefined();
    });
    // What the merge compares and writes stays the stored values…
    expect(cell).toMatchObject({ base: null, plan: null, scenario: statistical + 500, conflict: false });
    // …and what a planner is shown is what applied on each side.
    expect(cell!.inEffect).toEqual({
      base: { value: statistical, follows: 'statistical' },
      plan: { value: statistical, follows: 'statistical' },
      scenario: { value: statistical + 500, follows: null },
    });
  });

  it('keeps a scenario a decision links, and deletes one nobody refers to with its document', async () => {
    const refused = await api<{ error: { message: string } }>('leader', 'DELETE', `/scenarios/${linkedScenarioId}`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/decision/);
    expect((await api('leader', 'POST', `/scenarios/${linkedScenarioId}/archive`)).status).toBe(200);

    const scratch = await createScenario('sales', 'Throwaway');
    const client = await open('sales', scratch.id);
    setCell(client.doc, 'sales', cellKey('JUI-001', buckets[0]!), 5);
    await vi.waitFor(async () => {
      const preview = await api<MergePreviewResponse>('viewer', 'GET', `/scenarios/${scratch.id}/merge`);
      expect(preview.body.cells).toHaveLength(1);
    });
    expect((await api('operations', 'DELETE', `/scenarios/${scratch.id}`)).status).toBe(403);
    expect((await api('sales', 'DELETE', `/scenarios/${scratch.id}`)).status).toBe(204);
    await vi.waitFor(() => expect(client.closes.map((c) => c.code)).toContain(CloseCode.accessChanged));
    client.provider.shouldConnect = false;
    expect((await api('sales', 'GET', `/scenarios/${scratch.id}`)).status).toBe(404);
    const syncUrl = `${server.url.replace(/^http/, 'ws')}/sync/${scratch.id}`;
    expect(await upgradeStatus(syncUrl, { cookie: s.sales!.cookie, origin: server.url })).toBe(404);

    const db = await connectStore(server);
    const count = async (table: string) =>
      Number((await db.query<{ n: number }>(`select count(*) as n from ${table} where document_id = ?`, [scratch.id]))[0]!.n);
    expect([await count('document_states'), await count('document_updates'), await count('cell_history')]).toEqual([0, 0, 0]);
    const audit = await db.query<{ action: string }>('select action from audit_log where target = ? order by id', [scratch.id]);
    expect(audit.map((a) => a.action)).toEqual(['scenario.create', 'scenario.delete']);
    await db.close();
  });
});

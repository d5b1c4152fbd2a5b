import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Y from 'yjs';
import type { CellChangesResponse, KpiResponse, SnapshotListResponse } from '@accord/protocol';
import { addMonths, cellKey, daysInMonth } from '@accord/plan-calc';
import { findCell, getMeta, setCell } from '@accord/plan-model';
import { runCli, startServer, type ServerProcess } from '../support/server-process.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

type Session = Awaited<ReturnType<typeof signIn>>;

describe('KPIs of a plan over past buckets', () => {
  let server: ServerProcess;
  let planId: string;
  let watcher: PlanClient;
  /** The bucket scored: the first horizon month before the roll, history after it. */
  let bucket: string;
  const s: Record<string, Session> = {};
  const clients: PlanClient[] = [];
  const products = ['JUI-001', 'SPA-002'] as const;
  const imported: Record<string, { sales: number; production: number; inventory: number }> = {};
  /** The demo's KPIs as a planner first sees them (before this file locks, rolls and imports). */
  const demo: { lastSixMonths?: KpiResponse; lastYear?: KpiResponse } = {};

  const api = async <T>(role: string, method: string, pathname: string, body?: BodyInit, contentType?: string) => {
    const response = await fetch(`${server.url}/api${pathname}`, {
      method,
      headers: { cookie: s[role]!.cookie, origin: server.url, ...(contentType ? { 'content-type': contentType } : {}) },
      body,
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const open = async (role: string) => {
    const client = connectPlan(server.url, planId, s[role]!.cookie);
    clients.push(client);
    await synced(client);
    return client;
  };
  const cell = (root: Parameters<typeof findCell>[1], product: string, month = bucket) =>
    findCell(watcher.doc, root, cellKey(product, month));

  beforeAll(async () => {
    server = await startServer();
    for (const role of ['viewer', 'sales', 'operations', 'leader']) s[role] = await signIn(server.url, demoEmail(role));
    planId = await firstPlanId(server.url, s.viewer!);
    watcher = await open('viewer');
    bucket = getMeta(watcher.doc).horizonStart;
    const kpisUntil = async (months: number, level: string) =>
      (
        await api<KpiResponse>(
          'viewer',
          'GET',
          `/plans/${planId}/kpis?from=${addMonths(bucket, -months)}&to=${addMonths(bucket, -1)}&level=${level}`,
        )
      ).body;
    demo.lastSixMonths = await kpisUntil(6, 'family');
    demo.lastYear = await kpisUntil(12, 'total');

    // Lock this cycle's consensus and roll: the first horizon month becomes history, keeping its layers.
    expect(
      (
        await api(
          'leader',
          'POST',
          `/plans/${planId}/snapshots`,
          JSON.stringify({ name: 'Consensus', closeRemaining: true }),
          'application/json',
        )
      ).status,
    ).toBe(201);
    expect((await api('leader', 'POST', `/plans/${planId}/cycle/roll`)).status).toBe(200);
    await vi.waitFor(() => expect(getMeta(watcher.doc).horizonStart).toBe(addMonths(bucket, 1)));

    // Sales revisits SPA-002 after the lock (recorded with its author in the cell history).
    const sales = await open('sales');
    const statistical = cell('statistical', 'SPA-002')!;
    setCell(sales.doc, 'sales', cellKey('SPA-002', bucket), Math.round(statistical * 1.1));
    await vi.waitFor(() => expect(cell('sales', 'SPA-002')).toBe(Math.round(statistical * 1.1)));

    // Actuals 20 % above the baseline (plus a bit), production 5 % under plan, a month of stock.
    for (const id of products) {
      const planned = cell('production', id)!;
      const sold = Math.round(cell('statistical', id)! * 1.2) + 7;
      imported[id] = { sales: sold, production: Math.round(planned * 0.95), inventory: Math.round(sold * 0.8) };
    }
    const csv = [
      'sku,month,sales,production,closing stock',
      ...products.map((id) => `${id},${bucket},${imported[id]!.sales},${imported[id]!.production},${imported[id]!.inventory}`),
    ].join('\n');
    const answer = await api<{ committed: boolean }>(
      'operations',
      'POST',
      `/plans/${planId}/imports?kind=actuals&mode=commit`,
      csv,
      'text/csv',
    );
    expect(answer.body.committed).toBe(true);
    await vi.waitFor(() => expect(cell('actuals', 'SPA-002')).toBe(imported['SPA-002']!.sales));
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await server?.stop();
  });

  /** The forecast of each layer as the plan holds it for a bucket (same precedence as plan-calc). */
  function layers(id: string, month = bucket) {
    const statistical = cell('statistical', id, month)!;
    const sales = (cell('sales', id, month) ?? statistical) + (cell('marketing', id, month) ?? 0);
    const consensus = cell('consensus', id, month) ?? sales;
    return { statistical, sales, consensus };
  }
  /** In-sample MAE of the seasonal naive forecast (lag 12) over the two years of sales actuals before `from`. */
  function naiveScale(id: string, from: string): number {
    const history: number[] = [];
    for (let back = 24; back >= 1; back--) {
      const value = cell('actuals', id, addMonths(from, -back));
      if (value !== undefined) history.push(value);
    }
    let sum = 0;
    for (let t = 12; t < history.length; t++) sum += Math.abs(history[t]! - history[t - 12]!);
    return sum / (history.length - 12);
  }

  it('scores each layer of each product against a hand computation', async () => {
    const { status, body } = await api<KpiResponse>(
      'viewer',
      'GET',
      `/plans/${planId}/kpis?from=${addMonths(bucket, -3)}&to=${bucket}&level=product`,
    );
    expect(status).toBe(200);
    const months = [-3, -2, -1, 0].map((d) => addMonths(bucket, d));
    expect(body.buckets).toEqual(months);
    // The demo's history months keep the layers they held when they left the horizon, and the
    // scored bucket kept its own through the roll: all four are scored, pooled.
    const row = body.rows.find((r) => r.id === 'JUI-001')!;
    const actual = months.map((m) => cell('actuals', 'JUI-001', m)!);
    expect(actual.at(-1)).toBe(imported['JUI-001']!.sales);
    const forecast = months.map((m) => layers('JUI-001', m));
    const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
    const errors = (layer: keyof ReturnType<typeof layers>) => forecast.map((f, i) => actual[i]! - f[layer]);
    const absolute = (layer: keyof ReturnType<typeof layers>) => sum(errors(layer).map(Math.abs));
    const wmape = (layer: keyof ReturnType<typeof layers>) => (100 * absolute(layer)) / sum(actual);
    const e = errors('statistical');
    expect(cell('consensus', 'JUI-001')).toBeDefined();
    expect(row.accuracy.statistical.points).toBe(4);
    expect(row.accuracy.statistical.wmape).toBeCloseTo(wmape('statistical'), 8);
    expect(row.accuracy.statistical.mape).toBeCloseTo((100 * sum(e.map((x, i) => Math.abs(x) / actual[i]!))) / 4, 8);
    expect(row.accuracy.statistical.smape).toBeCloseTo(
      (200 * sum(e.map((x, i) => Math.abs(x) / (actual[i]! + forecast[i]!.statistical)))) / 4,
      8,
    );
    expect(row.accuracy.statistical.bias).toBeCloseTo(sum(e) / 4, 8);
    expect(row.accuracy.statistical.trackingSignal).toBeCloseTo(sum(e) / (absolute('statistical') / 4), 8);
    expect(row.accuracy.statistical.mase).toBeCloseTo(absolute('statistical') / (4 * naiveScale('JUI-001', months[0]!)), 8);
    expect(row.accuracy.consensus.wmape).toBeCloseTo(wmape('consensus'), 8);
    expect(row.fva.salesOverStatistical).toBeCloseTo(wmape('statistical') - wmape('sales'), 8);
    expect(row.fva.consensusOverSales).toBeCloseTo(wmape('sales') - wmape('consensus'), 8);
    // Each month's locked (final) demand is what its own cycle locked: the history months' layers
    // are those of the demo's snapshots, and nothing changed between this file's lock and roll.
    expect(row.accuracy.final.wmape).toBeCloseTo(row.accuracy.consensus.wmape!, 8);
    expect(row.fva.finalOverConsensus).toBeCloseTo(0, 8);

    const { production, inventory } = imported['JUI-001']!;
    const opening = cell('actualInventory', 'JUI-001', addMonths(bucket, -1))!;
    const planned = cell('production', 'JUI-001')!;
    const product = watcher.doc.getMap<Y.Map<unknown>>('products').get('JUI-001')!;
    const capacity = findCell(watcher.doc, 'capacity', cellKey(String(product.get('resourceId')), bucket))!;
    // The scored bucket, with the demo's history months before it (actuals and stock, no production plan).
    const op = row.operational;
    expect(op.scheduleAdherence).toBeCloseTo(1 - Math.abs(production - planned) / planned, 8);
    const fillPairs = months.map((m) => {
      const sold = cell('actuals', 'JUI-001', m)!;
      const available = cell('actualInventory', 'JUI-001', addMonths(m, -1))! + cell('actualProduction', 'JUI-001', m)!;
      return { sold, served: Math.min(sold, available) };
    });
    expect(opening).toBe(cell('actualInventory', 'JUI-001', addMonths(bucket, -1)));
    expect(op.fillRate).toBeCloseTo(fillPairs.reduce((x, p) => x + p.served, 0) / fillPairs.reduce((x, p) => x + p.sold, 0), 8);
    const sold = months.reduce((x, m) => x + cell('actuals', 'JUI-001', m)!, 0);
    const meanStock = months.reduce((x, m) => x + cell('actualInventory', 'JUI-001', m)!, 0) / months.length;
    const days = months.reduce((x, m) => x + daysInMonth(m), 0);
    expect(cell('actualInventory', 'JUI-001')).toBe(inventory);
    expect(op.inventoryTurns).toBeCloseTo((sold / meanStock) * (12 / months.length), 8);
    expect(op.daysOfCover).toBeCloseTo(meanStock / (sold / days), 8);
    // Capacity exists for horizon buckets only (the demo plans none for its history).
    expect(findCell(watcher.doc, 'capacity', cellKey(String(product.get('resourceId')), addMonths(bucket, -1)))).toBeUndefined();
    const hours = production * Number(product.get('hoursPerUnit'));
    const capacityHours = capacity;
    expect(op.capacityUtilisation).toBeCloseTo(hours / capacityHours, 8);
  });

  it('pools the products of the total, reports locked consensus by lag and FVA per author', async () => {
    const { body } = await api<KpiResponse>('viewer', 'GET', `/plans/${planId}/kpis?from=${bucket}&to=${bucket}`);
    expect(body.level).toBe('total');
    expect(body.rows).toHaveLength(1);
    const total = body.rows[0]!;
    expect(total.id).toBe('total');
    expect(total.actualSales).toBe(imported['JUI-001']!.sales + imported['SPA-002']!.sales);
    const errors = products.map((id) => Math.abs(imported[id]!.sales - layers(id).sales));
    expect(total.accuracy.sales.points).toBe(2);
    expect(total.accuracy.sales.wmape).toBeCloseTo((100 * (errors[0]! + errors[1]!)) / total.actualSales, 8);

    // The demo's consensus of its last cycles was locked one, two and three months before this bucket.
    expect(body.lags.map((l) => l.lag)).toEqual([1, 2, 3]);
    for (const lag of body.lags) {
      expect(lag.accuracy.points).toBe(2);
      expect(lag.accuracy.wmape).not.toBeNull();
    }

    const sofia = body.authors.find((x) => x.name === 'Sofia Alvarez')!;
    const a = imported['SPA-002']!.sales;
    const f = layers('SPA-002');
    expect(sofia.cells).toBe(1);
    expect(sofia.fva).toBeCloseTo((100 * (Math.abs(a - f.statistical) - Math.abs(a - f.sales))) / a, 8);

    const family = await api<KpiResponse>('viewer', 'GET', `/plans/${planId}/kpis?from=${bucket}&to=${bucket}&level=family`);
    expect(family.body.rows.map((r) => r.id).sort()).toEqual(['juices', 'sparkling']);
  });

  it('shows the demo with accuracy for every layer and lag, FVA per layer and author, from its first start', async () => {
    const { lastSixMonths, lastYear } = demo;
    expect(lastSixMonths!.buckets).toHaveLength(6);
    expect(lastSixMonths!.rows.map((r) => r.id).sort()).toEqual(['energy', 'gifts', 'juices', 'sparkling']);
    for (const row of [...lastSixMonths!.rows, ...lastYear!.rows]) {
      for (const layer of ['statistical', 'sales', 'consensus', 'final'] as const) {
        expect(row.accuracy[layer].points, `${row.id} ${layer}`).toBeGreaterThan(0);
        expect(row.accuracy[layer].wmape, `${row.id} ${layer}`).not.toBeNull();
      }
      expect(row.fva.salesOverStatistical, row.id).not.toBeNull();
      expect(row.fva.consensusOverSales, row.id).not.toBeNull();
    }
    const total = lastYear!.rows[0]!;
    expect(total.accuracy.statistical.points).toBe(28 * 12);
    expect(total.fva.salesOverStatistical).not.toBe(0);
    expect(total.fva.consensusOverSales).not.toBe(0);
    // Sales know the growing energy range better than the baseline and are too keen on juices.
    const family = (id: string) => lastSixMonths!.rows.find((r) => r.id === id)!;
    expect(family('energy').fva.salesOverStatistical).toBeGreaterThan(0);
    expect(family('juices').fva.salesOverStatistical).toBeLessThan(0);
    for (const lag of lastSixMonths!.lags) {
      expect(lag.accuracy.points, `lag ${lag.lag}`).toBeGreaterThanOrEqual(28 * 3);
      expect(lag.accuracy.wmape, `lag ${lag.lag}`).not.toBeNull();
    }
    // Overrides of the cycles run in Accord name their author; older ones were there before tracking.
    const sofia = lastSixMonths!.authors.find((a) => a.name === 'Sofia Alvarez');
    expect(sofia?.cells).toBeGreaterThan(10);
    expect(sofia?.fva).not.toBeNull();
    expect(lastYear!.authors).toHaveLength(2);
    expect(lastYear!.authors.map((a) => a.name)).toEqual(expect.arrayContaining(['Sofia Alvarez', null]));
    const overridden = Object.keys(watcher.doc.getMap('sales').toJSON()).find((key) => key.endsWith(`|${addMonths(bucket, -2)}`))!;
    const history = await api<CellChangesResponse>(
      'viewer',
      'GET',
      `/plans/${planId}/history?root=sales&key=${encodeURIComponent(overridden)}`,
    );
    expect(history.body.changes[0]?.userName).toBe('Sofia Alvarez');

    // The cycles' snapshots went through the real lock: one a month, and the hash chain holds.
    const { snapshots } = (await api<SnapshotListResponse>('viewer', 'GET', `/plans/${planId}/snapshots`)).body;
    const cycles = [-6, -5, -4, -3, -2, -1].map((d) => addMonths(bucket, d));
    expect(
      snapshots
        .map((x) => x.cycle)
        .filter((c) => c < bucket)
        .reverse(),
    ).toEqual(cycles);
    expect(snapshots.every((x) => x.lockedBy.name === 'Leila Haddad')).toBe(true);
    const verified = await runCli(server.dataDir, ['verify-snapshots']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(new RegExp(`All ${snapshots.length} snapshots verified`));
  });

  it('refuses bad query parameters with 400', async () => {
    for (const query of [
      '',
      'from=2026-01',
      'from=2026-13&to=2026-12',
      'from=2026-06&to=2026-01',
      'from=2026-01&to=2026-02&level=sku',
      'from=2000-01&to=2026-01',
    ]) {
      const answer = await api<{ error: { code: string; message: string } }>('viewer', 'GET', `/plans/${planId}/kpis?${query}`);
      expect(answer.status, query).toBe(400);
      expect(answer.body.error.code).toBe('bad_request');
    }
    const outsider = await fetch(`${server.url}/api/plans/${planId}/kpis?from=2026-01&to=2026-02`);
    expect(outsider.status).toBe(401);
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type {
  BaselineChangeDetail,
  BaselineChangeList,
  BaselineChangeRecord,
  BaselineProductFit,
  BaselineStatus,
  ImportResponse,
} from '@accord/protocol';
import { addMonths, bucketRange, cellKey } from '@accord/plan-calc';
import { getMeta, valueMap } from '@accord/plan-model';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

type Session = Awaited<ReturnType<typeof signIn>>;

/**
 * Whether a forecast shows a season a planner would see: after a straight line through it is taken
 * out, it still swings by more than a tenth of its level (the rule the server's change records use).
 */
function seasonal(values: number[]): boolean {
  const n = values.length;
  const level = values.reduce((a, b) => a + b, 0) / n;
  const meanT = (n - 1) / 2;
  let covariance = 0;
  let variance = 0;
  values.forEach((value, t) => {
    covariance += (t - meanT) * (value - level);
    variance += (t - meanT) ** 2;
  });
  const slope = covariance / variance;
  const residuals = values.map((value, t) => value - (level + slope * (t - meanT)));
  return (Math.max(...residuals) - Math.min(...residuals)) / level > 0.1;
}

describe('the statistical baseline after an actuals import', () => {
  let server: ServerProcess;
  let planId: string;
  let watcher: PlanClient;
  const s: Record<string, Session> = {};

  beforeAll(async () => {
    server = await startServer();
    for (const role of ['viewer', 'sales', 'operations']) s[role] = await signIn(server.url, demoEmail(role));
    planId = await firstPlanId(server.url, s.viewer!);
    watcher = connectPlan(server.url, planId, s.viewer!.cookie);
    await synced(watcher);
  });
  afterAll(async () => {
    watcher?.destroy();
    await server?.stop();
  });

  async function api<T>(role: string, method: 'GET' | 'POST', path: string, body?: string): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = { cookie: s[role]!.cookie, origin: server.url };
    if (method === 'POST') headers['content-type'] = body === undefined || body.startsWith('{') ? 'application/json' : 'text/csv';
    const response = await fetch(`${server.url}/api/plans/${planId}${path}`, { method, headers, body });
    return { status: response.status, body: (await response.json()) as T };
  }

  it('keeps every seasonal SKU seasonal after a month of actuals, and leaves the run’s record with the previous values', async () => {
    const meta = getMeta(watcher.doc);
    const horizon = bucketRange(meta.horizonStart, meta.horizonBuckets);
    const statistical = valueMap(watcher.doc, 'statistical');
    const actuals = valueMap(watcher.doc, 'actuals');
    const products = [...watcher.doc.getMap('products').keys()].sort();
    const forecastOf = (productId: string) => horizon.map((bucket) => statistical.get(cellKey(productId, bucket)) ?? 0);
    const before = new Map([...statistical.entries()]);
    const seasonalBefore = products.filter((productId) => seasonal(forecastOf(productId)));
    // The demo's three beverage families (the gift boxes are intermittent).
    expect(seasonalBefore.length).toBeGreaterThanOrEqual(20);

    // Operations import last month's actuals again, each a little higher (a late correction).
    const lastMonth = addMonths(meta.horizonStart, -1);
    const rows = products.map(
      (productId) => `${productId},${lastMonth},${Math.round((actuals.get(cellKey(productId, lastMonth)) ?? 0) * 1.03)}`,
    );
    const imported = await api<ImportResponse>(
      'operations',
      'POST',
      '/imports?kind=actuals&mode=commit',
      ['sku,month,sales', ...rows].join('\n'),
    );
    expect(imported.status).toBe(200);
    expect(imported.body.baselineStarted).toBe(true);
    const status = async () => (await api<BaselineStatus>('viewer', 'GET', '/baseline')).body;
    await vi.waitFor(async () => expect((await status()).state).toBe('done'), { timeout: 30_000, interval: 200 });
    const done = await status();
    expect(done.changedCells).toBeGreaterThan(0);
    expect(done.seasonLength).toBe(12);
    expect(done.trigger).toMatchObject({ type: 'import', userName: 'Oskar Berg' });

    // Every SKU that was seasonal is seasonal still (the flat-lining of two-year histories is gone).
    await vi.waitFor(() => expect(statistical.get(cellKey('SPA-001', horizon[0]!))).not.toBe(before.get(cellKey('SPA-001', horizon[0]!))));
    const flattened = seasonalBefore.filter((productId) => !seasonal(forecastOf(productId)));
    expect(flattened).toEqual([]);

    // The run's record: what started it, how many cells, the ten biggest, no season lost, and every previous value.
    const list = await api<BaselineChangeList>('viewer', 'GET', '/baseline/changes');
    expect(list.status).toBe(200);
    const record = list.body.changes[0]!;
    expect(record).toMatchObject({ id: done.changeId, kind: 'run', changedCells: done.changedCells, seasonLength: 12, restored: null });
    expect(record.trigger).toMatchObject({ type: 'import', userName: 'Oskar Berg' });
    expect(record.biggestChanges).toHaveLength(10);
    expect(record.shapeChanges.filter((change) => change.from === 'seasonal')).toEqual([]);
    // A viewer may compare but not restore.
    expect(record).toMatchObject({ restorable: false, restoreRefusal: expect.stringContaining('operations planners') as unknown });
    const detail = await api<BaselineChangeDetail>('viewer', 'GET', `/baseline/changes/${record.id}`);
    expect(detail.body.cells).toHaveLength(record.changedCells);
    for (const cell of detail.body.cells) {
      const key = cellKey(cell.productId, cell.bucket);
      expect(cell.previous).toBe(before.get(key) ?? null);
      expect(cell.value).toBe(statistical.get(key));
    }

    // Each fit says, in a planner's words, which profile it uses; the numbers are one request away.
    const fit = (await api<BaselineProductFit>('viewer', 'GET', '/baseline/products/SPA-001')).body;
    expect(fit.note).toMatch(/^Seasonal profile from the Sparkling Water family.*error over the last 12 months \d+\.\d %\.$/);
    expect(fit.season).toMatchObject({ source: 'pooled', pooled: { from: 'family', name: 'Sparkling Water' } });
    expect(fit.season?.indices).toHaveLength(12);
    expect(fit.holdOutError?.wmape).toBeGreaterThan(0);
    const gift = (await api<BaselineProductFit>('viewer', 'GET', '/baseline/products/GIF-001')).body;
    expect(gift.season).toMatchObject({ source: 'none', reason: 'intermittent' });
  });

  it('restores the previous values for the roles that may run the baseline, and records the restore', async () => {
    const [record] = (await api<BaselineChangeList>('operations', 'GET', '/baseline/changes')).body.changes;
    expect(record?.restorable).toBe(true);
    const detail = (await api<BaselineChangeDetail>('operations', 'GET', `/baseline/changes/${record!.id}`)).body;
    expect((await api('sales', 'POST', `/baseline/changes/${record!.id}/restore`)).status).toBe(403);

    const restored = await api<BaselineChangeRecord>('operations', 'POST', `/baseline/changes/${record!.id}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ kind: 'restore', changedCells: record!.changedCells });
    expect(restored.body.trigger).toMatchObject({ type: 'restore', userName: 'Oskar Berg', restoredChangeId: record!.id });
    const statistical = valueMap(watcher.doc, 'statistical');
    await vi.waitFor(() => {
      for (const cell of detail.cells) expect(statistical.get(cellKey(cell.productId, cell.bucket)) ?? null).toBe(cell.previous);
    });
    const after = (await api<BaselineChangeList>('operations', 'GET', '/baseline/changes')).body.changes;
    expect(after.map((change) => change.kind)).toEqual(['restore', 'run']);
    expect(after[1]!.restored).toMatchObject({ userName: 'Oskar Berg', changeId: restored.body.id });
    const again = await api<{ error: { code: string } }>('operations', 'POST', `/baseline/changes/${record!.id}/restore`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('conflict');
  });

  it('runs with a season length asked for, and refuses one that is not', async () => {
    const bad = await api<{ error: { message: string } }>('operations', 'POST', '/baseline', '{"seasonLength":"yearly"}');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/seasonLength/);
    const started = await api<BaselineStatus>('operations', 'POST', '/baseline', '{"seasonLength":1}');
    expect(started.status).toBe(202);
    await vi.waitFor(async () => expect((await api<BaselineStatus>('viewer', 'GET', '/baseline')).body.state).toBe('done'), {
      timeout: 30_000,
      interval: 200,
    });
    const done = (await api<BaselineStatus>('viewer', 'GET', '/baseline')).body;
    expect(done).toMatchObject({ seasonLength: 1, seasonLengthAuto: false, trigger: { type: 'request', userName: 'Oskar Berg' } });
    // Without a season the beverage SKUs lose theirs, and the record says so.
    const [latest] = (await api<BaselineChangeList>('viewer', 'GET', '/baseline/changes')).body.changes;
    expect(latest!.shapeChanges.some((change) => change.productId === 'SPA-001' && change.from === 'seasonal')).toBe(true);
  });
});

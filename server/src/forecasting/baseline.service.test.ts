import type * as Y from 'yjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bucketRange, cellKey } from '@accord/plan-calc';
import { valueMap, writePlanData } from '@accord/plan-model';
import { ErrorCode } from '@accord/protocol';
import { generateDemoPlan } from '../seed/demo-plan.ts';
import { forecastShape } from './baseline-notes.ts';
import type { Db } from '../db/database.ts';
import { testDatabase } from '../db/test-database.ts';
import { createLogger } from '../logger.ts';
import type { PlanService } from '../plans/plan.service.ts';
import { DocumentRepository } from '../sync/document.repository.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import { testRegistry } from '../sync/test-registry.ts';
import { HttpError } from '../errors.ts';
import { BaselineRepository } from './baseline.repository.ts';
import { BaselineService } from './baseline.service.ts';

describe('BaselineService at shutdown', () => {
  let db: Db;
  let documents: DocumentRegistry;
  let runs: BaselineRepository;
  let service: BaselineService;
  beforeEach(async () => {
    db = await testDatabase();
    const at = '2026-11-01T00:00:00.000Z';
    await db.insertInto('workspaces').values({ id: 'ws', name: 'Workspace', created_at: at }).execute();
    for (const id of ['plan-1', 'plan-2'])
      await db.insertInto('plans').values({ id, workspace_id: 'ws', name: id, created_at: at, updated_at: at }).execute();
    const log = createLogger('silent');
    const plans = { getPlanForUser: async () => ({ role: 'leader' }) } as unknown as PlanService;
    documents = testRegistry({ documents: new DocumentRepository(db), idleUnloadMs: 60_000 });
    runs = new BaselineRepository(db);
    service = new BaselineService(plans, documents, runs, log);
  });
  afterEach(async () => {
    await documents.close(1001, 'test over');
    await db.destroy();
  });

  it('puts a run asked for during the stop on record for the next start instead of starting it', async () => {
    await service.stop();
    expect(service.start('plan-1')).toBe(false);
    const refused = await service.request('user-1', 'plan-2').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(HttpError);
    expect((refused as HttpError).status).toBe(503);
    await service.stop(); // waits for what the refused starts put on record
    expect((await runs.interrupted()).sort()).toEqual(['plan-1', 'plan-2']);
    expect((await runs.findStatus('plan-1'))?.state).toBe('running');
  });

  it('ends a run that the stop catches before its fit, leaving it on record to run again', async () => {
    expect(service.start('plan-1')).toBe(true);
    await service.stop();
    expect(await runs.interrupted()).toEqual(['plan-1']);
    expect((await service.status('user-1', 'plan-1')).state).toBe('running');
  });
});

describe('BaselineService change records', () => {
  const HORIZON_START = '2027-01';
  let db: Db;
  let documents: DocumentRegistry;
  let service: BaselineService;
  beforeEach(async () => {
    db = await testDatabase();
    const at = '2026-11-01T00:00:00.000Z';
    await db.insertInto('workspaces').values({ id: 'ws', name: 'Workspace', created_at: at }).execute();
    await db.insertInto('plans').values({ id: 'plan-1', workspace_id: 'ws', name: 'Demo', created_at: at, updated_at: at }).execute();
    const plans = { getPlanForUser: async () => ({ role: 'operations' }) } as unknown as PlanService;
    documents = testRegistry({ documents: new DocumentRepository(db), idleUnloadMs: 60_000 });
    service = new BaselineService(plans, documents, new BaselineRepository(db), createLogger('silent'));
    const room = await documents.open('plan-1');
    await room.applyServerChange((doc) => writePlanData(doc, generateDemoPlan(HORIZON_START)));
  });
  afterEach(async () => {
    await service.stop();
    await documents.close(1001, 'test over');
    await db.destroy();
  });

  const horizon = bucketRange(HORIZON_START, 18);
  async function statistical(): Promise<Map<string, number>> {
    return new Map(valueMap((await documents.open('plan-1')).doc, 'statistical').entries());
  }
  async function setCells(change: (doc: Y.Doc) => void): Promise<void> {
    await (await documents.open('plan-1')).applyServerChange(change);
  }

  it('records a run that changes the baseline (cells, biggest changes, shapes, previous values) and restores them', async () => {
    // SPA-001's baseline as a flat line, so the run's record shows it turning seasonal.
    await setCells((doc) => horizon.forEach((bucket) => valueMap(doc, 'statistical').set(cellKey('SPA-001', bucket), 3200)));
    const before = await statistical();
    service.start('plan-1', { type: 'import', at: '2026-11-20T10:32:00.000Z', userId: 'user-1', userName: 'Olivia' });
    await service.idle('plan-1');
    const status = await service.status('user-1', 'plan-1');
    expect(status.state).toBe('done');
    expect(status.changedCells).toBeGreaterThan(0);
    expect(status.seasonLength).toBe(12);

    const { changes } = await service.changes('user-1', 'plan-1');
    expect(changes).toHaveLength(1);
    const record = changes[0]!;
    expect(record).toMatchObject({ id: status.changeId, kind: 'run', changedCells: status.changedCells, restorable: true, restored: null });
    expect(record.trigger).toMatchObject({ type: 'import', at: '2026-11-20T10:32:00.000Z', userName: 'Olivia' });
    expect(record.biggestChanges).toHaveLength(10);
    const sizes = record.biggestChanges.map((cell) => Math.abs((cell.value ?? 0) - (cell.previous ?? 0)));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(record.shapeChanges).toContainEqual({
      productId: 'SPA-001',
      productName: 'Alpine Sparkling 0.5 L',
      from: 'flat',
      to: 'seasonal',
    });
    // No seasonal product of the demo lost its season.
    expect(record.shapeChanges.filter((change) => change.from === 'seasonal')).toEqual([]);

    const detail = await service.change('user-1', 'plan-1', record.id);
    expect(detail.cells).toHaveLength(record.changedCells);
    const after = await statistical();
    for (const cell of detail.cells) {
      const key = cellKey(cell.productId, cell.bucket);
      expect(cell.previous).toBe(before.get(key) ?? null);
      expect(cell.value).toBe(after.get(key));
    }
    const spa = horizon.map((bucket) => after.get(cellKey('SPA-001', bucket)) ?? 0);
    expect(forecastShape(spa)).toBe('seasonal');
    expect((await service.productFit('user-1', 'plan-1', 'SPA-001')).note).toMatch(/^Seasonal profile from the Sparkling Water family/);

    const restore = await service.restore('user-1', 'plan-1', record.id);
    expect(restore).toMatchObject({ kind: 'restore', changedCells: record.changedCells });
    expect(restore.trigger).toMatchObject({ type: 'restore', userId: 'user-1', restoredChangeId: record.id });
    expect(await statistical()).toEqual(before);
    const listed = (await service.changes('user-1', 'plan-1')).changes;
    expect(listed.map((change) => change.kind)).toEqual(['restore', 'run']);
    expect(listed[1]!.restored).toMatchObject({ userId: 'user-1', changeId: restore.id });
    expect(listed[1]!.restorable).toBe(false);
    expect(listed[0]!.restorable).toBe(true);
    const again = await service.restore('user-1', 'plan-1', record.id).catch((e: unknown) => e);
    expect(again).toMatchObject({ status: 409, code: ErrorCode.conflict });
    // The run's fits are gone with it: the plan had none before.
    expect(await service.productFit('user-1', 'plan-1', 'SPA-001').catch((e: unknown) => e)).toMatchObject({ status: 404 });
  });

  it('writes nothing while the plan is locked: runs fail, requests and restores get 409', async () => {
    service.start('plan-1');
    await service.idle('plan-1');
    const [record] = (await service.changes('user-1', 'plan-1')).changes;
    await setCells((doc) => doc.getMap('meta').set('cycleStage', 'locked'));
    const before = await statistical();

    const requested = await service.request('user-1', 'plan-1').catch((e: unknown) => e);
    expect(requested).toBeInstanceOf(HttpError);
    expect(requested).toMatchObject({ status: 409, code: ErrorCode.planLocked });
    // An import's run (started without the request's check) is refused inside the change.
    await setCells((doc) => valueMap(doc, 'statistical').set(cellKey('SPA-001', horizon[0]!), 1));
    service.start('plan-1');
    await service.idle('plan-1');
    const status = await service.status('user-1', 'plan-1');
    expect(status.state).toBe('failed');
    expect(status.error).toMatch(/locked/);
    expect(valueMap((await documents.open('plan-1')).doc, 'statistical').get(cellKey('SPA-001', horizon[0]!))).toBe(1);

    const listed = await service.changes('user-1', 'plan-1');
    expect(listed.changes).toHaveLength(1);
    expect(listed.changes[0]).toMatchObject({ restorable: false, restoreRefusal: expect.stringMatching(/locked/) as unknown });
    const restored = await service.restore('user-1', 'plan-1', record!.id).catch((e: unknown) => e);
    expect(restored).toMatchObject({ status: 409, code: ErrorCode.planLocked });
    const cells = await statistical();
    cells.delete(cellKey('SPA-001', horizon[0]!));
    before.delete(cellKey('SPA-001', horizon[0]!));
    expect(cells).toEqual(before);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

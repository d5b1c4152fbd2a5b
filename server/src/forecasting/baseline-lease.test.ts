import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writePlanData } from '@accord/plan-model';
import type { BaselineStatus } from '@accord/protocol';
import { openPostgres, type Db } from '../db/database.ts';
import { testPostgresDatabase, type TestPostgres } from '../db/test-database.ts';
import { createLogger } from '../logger.ts';
import type { PlanService } from '../plans/plan.service.ts';
import { generateDemoPlan } from '../seed/demo-plan.ts';
import { DocumentRepository } from '../sync/document.repository.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import { testRegistry } from '../sync/test-registry.ts';
import { BaselineRepository, type Lease } from './baseline.repository.ts';
import { BaselineService } from './baseline.service.ts';

const running: BaselineStatus = {
  state: 'running',
  progress: 0,
  startedAt: '2026-11-01T00:00:00.000Z',
  finishedAt: null,
  methods: {},
  products: 0,
  changedCells: 0,
};
const at = '2026-11-01T00:00:00.000Z';

async function addPlan(db: Db, planId: string): Promise<void> {
  if (!(await db.selectFrom('workspaces').select('id').where('id', '=', 'ws').executeTakeFirst()))
    await db.insertInto('workspaces').values({ id: 'ws', name: 'Workspace', created_at: at }).execute();
  await db.insertInto('plans').values({ id: planId, workspace_id: 'ws', name: planId, created_at: at, updated_at: at }).execute();
}

describe('baseline leases on PostgreSQL (instances sharing a database)', () => {
  let database: TestPostgres;
  beforeEach(async () => {
    database = await testPostgresDatabase();
    await addPlan(database.db, 'plan-1');
  });
  afterEach(async () => {
    await database.drop();
  });

  it('gives a plan’s lease to one instance at a time, queues the other’s run for it, and lets a lapsed lease be taken over', async () => {
    const runs = new BaselineRepository(database.db);
    const a: Lease = { owner: 'instance-a', ms: 60_000 };
    const b: Lease = { owner: 'instance-b', ms: 60_000 };
    expect(await runs.claimRun('plan-1', running, at, a)).toBe('claimed');
    expect(await runs.claimRun('plan-1', running, at, b, '{"trigger":{"type":"request"},"seasonLength":"auto"}')).toBe('held');
    expect(await runs.lapsedRuns('instance-b')).toEqual([]);
    expect(await runs.renewLease('plan-1', running, at, a)).toBe(true);
    expect(await runs.renewLease('plan-1', running, at, b)).toBe(false);
    // The holder ends its run and hears of the one queued meanwhile.
    const ended = await runs.saveFailed('plan-1', { ...running, state: 'failed' }, at, a);
    expect(ended).toEqual({ recorded: true, queued: '{"trigger":{"type":"request"},"seasonLength":"auto"}' });
    expect(await runs.claimRun('plan-1', running, at, b)).toBe('claimed');

    // b stops renewing (it died): its lease lapses and a takes the run over; b can no longer record.
    await runs.renewLease('plan-1', running, at, { ...b, ms: 50 });
    await vi.waitFor(async () => expect((await runs.lapsedRuns('instance-a')).map((run) => run.planId)).toEqual(['plan-1']), {
      timeout: 5_000,
      interval: 50,
    });
    expect(await runs.claimRun('plan-1', running, at, a)).toBe('claimed');
    expect(await runs.renewLease('plan-1', running, at, b)).toBe(false);
    expect(await runs.saveFailed('plan-1', { ...running, state: 'failed' }, at, b)).toEqual({ recorded: false, queued: null });
    // A stop lets go at once: the run stays marked running for anyone to take over.
    await runs.releaseLease('plan-1', 'instance-a');
    expect((await runs.lapsedRuns('instance-b')).map((run) => run.planId)).toEqual(['plan-1']);
  });

  describe('two BaselineServices', () => {
    let secondDb: Db;
    const registries: DocumentRegistry[] = [];
    const services: BaselineService[] = [];
    /** What each instance did, in order: claimed the lease, or ended its run. */
    const events: string[] = [];

    /** An instance: its own connection pool, document registry and baseline service. */
    function instance(db: Db, name: string, leaseMs: number): BaselineService {
      const runs = new BaselineRepository(db);
      const claimRun = runs.claimRun.bind(runs);
      runs.claimRun = async (...args) => {
        const claim = await claimRun(...args);
        if (claim === 'claimed') events.push(`start ${name}`);
        return claim;
      };
      const saveFinished = runs.saveFinished.bind(runs);
      runs.saveFinished = async (...args) => {
        events.push(`end ${name}`);
        return saveFinished(...args);
      };
      const documents = testRegistry({ documents: new DocumentRepository(db), idleUnloadMs: 60_000 });
      registries.push(documents);
      const plans = { getPlanForUser: async () => ({ role: 'operations' }) } as unknown as PlanService;
      const service = new BaselineService(plans, documents, runs, createLogger('silent'), { instanceId: name, leaseMs });
      services.push(service);
      return service;
    }

    beforeEach(async () => {
      events.length = 0;
      secondDb = await openPostgres(database.url);
      const documents = testRegistry({ documents: new DocumentRepository(database.db), idleUnloadMs: 60_000 });
      await (await documents.open('plan-1')).applyServerChange((doc) => writePlanData(doc, generateDemoPlan('2027-01')));
      await documents.close(1001, 'set up');
    });
    afterEach(async () => {
      for (const service of services.splice(0)) await service.stop();
      for (const documents of registries.splice(0)) await documents.close(1001, 'test over');
      await secondDb.destroy();
    });

    it('runs a plan’s baseline on one instance at a time when both are asked at once, and the second request after the first', async () => {
      const a = instance(database.db, 'a', 10_000);
      const b = instance(secondDb, 'b', 10_000);
      expect(a.start('plan-1')).toBe(true);
      expect(b.start('plan-1')).toBe(true);
      await vi.waitFor(() => expect(events.filter((e) => e.startsWith('end'))).toHaveLength(2), { timeout: 30_000, interval: 50 });
      // Never two starts in a row: the queued run began after the first had ended.
      expect(events).toHaveLength(4);
      expect(events.map((e) => e.split(' ')[0])).toEqual(['start', 'end', 'start', 'end']);
      expect(events[0]!.split(' ')[1]).toBe(events[1]!.split(' ')[1]);
      await vi.waitFor(async () => expect((await a.status('u1', 'plan-1')).state).toBe('done'), { timeout: 10_000, interval: 50 });
      await Promise.all([a.idle('plan-1'), b.idle('plan-1')]);
      // The first run changed the statistical layer; the second found nothing left to change.
      expect((await a.changes('u1', 'plan-1')).changes).toHaveLength(1);
      expect((await b.changes('u1', 'plan-1')).changes).toHaveLength(1);
    });

    it('takes over a run whose instance died, once its lease has lapsed', async () => {
      // An instance that claimed the run and then died: its lease lapses in 300 ms.
      const dead: Lease = { owner: 'dead', ms: 300 };
      await new BaselineRepository(database.db).claimRun('plan-1', running, at, dead);
      const b = instance(secondDb, 'b', 600);
      b.watch();
      await vi.waitFor(() => expect(events).toEqual(['start b', 'end b']), { timeout: 30_000, interval: 100 });
      await b.idle('plan-1');
      expect((await b.status('u1', 'plan-1')).state).toBe('done');
      expect((await b.changes('u1', 'plan-1')).changes).toHaveLength(1);
    });
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Db } from '../db/database.ts';
import { testDatabase } from '../db/test-database.ts';
import { createLogger } from '../logger.ts';
import type { PlanService } from '../plans/plan.service.ts';
import type { SessionService } from '../auth/session.service.ts';
import type { TokenService } from '../auth/token.service.ts';
import { DocumentRepository } from './document.repository.ts';
import { SyncServer } from './sync-server.ts';

describe('SyncServer rooms', () => {
  let db: Db;
  let sync: SyncServer;
  beforeEach(async () => {
    db = await testDatabase();
    sync = new SyncServer({
      // Not reached: these tests open rooms without sockets.
      sessions: {} as SessionService,
      tokens: {} as TokenService,
      plans: {} as PlanService,
      documents: new DocumentRepository(db),
      log: createLogger('silent'),
      allowedOrigins: [],
      idleUnloadMs: 50,
    });
  });
  afterEach(async () => {
    await sync.close();
    await db.destroy();
  });

  it('unloads a room that no socket is in (loaded for an API call or a job) after the idle period, keeping its changes', async () => {
    const room = await sync.room('plan-1');
    expect(await sync.room('plan-1')).toBe(room);
    await room.applyServerChange((doc) => doc.getMap<number>('sales').set('SKU-1|2027-01', 42));

    await vi.waitFor(() => expect(room.destroyed).toBe(true), { timeout: 5_000, interval: 20 });
    const reloaded = await sync.room('plan-1');
    expect(reloaded).not.toBe(room);
    expect(reloaded.doc.getMap<number>('sales').get('SKU-1|2027-01')).toBe(42);
  });
});

import type { SessionService } from '../auth/session.service.ts';
import type { TokenService } from '../auth/token.service.ts';
import { createLogger } from '../logger.ts';
import type { PlanService } from '../plans/plan.service.ts';
import type { DocumentRepository } from './document.repository.ts';
import { SyncServer } from './sync-server.ts';

/**
 * A SyncServer for unit tests that open rooms without sockets: sessions and tokens are never
 * asked, and `plans` only as far as the test's own stub answers.
 */
export function testSyncServer(options: { documents: DocumentRepository; idleUnloadMs: number; plans?: PlanService }): SyncServer {
  return new SyncServer({
    sessions: {} as SessionService,
    tokens: {} as TokenService,
    plans: options.plans ?? ({} as PlanService),
    documents: options.documents,
    log: createLogger('silent'),
    allowedOrigins: [],
    idleUnloadMs: options.idleUnloadMs,
  });
}

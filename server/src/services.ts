import type { LogCompactor } from './sync/log-compactor.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from './config.ts';
import type { Db } from './db/database.ts';
import type { Logger } from './logger.ts';
import { AuthService } from './auth/auth.service.ts';
import { SessionRepository } from './auth/session.repository.ts';
import { SessionService } from './auth/session.service.ts';
import { PlanRepository } from './plans/plan.repository.ts';
import { PlanService } from './plans/plan.service.ts';
import { UserRepository } from './users/user.repository.ts';
import { DocumentRepository } from './sync/document.repository.ts';
import { SyncServer } from './sync/sync-server.ts';
import { TokenRepository } from './auth/token.repository.ts';
import { TokenService } from './auth/token.service.ts';
import { HistoryRepository } from './history/history.repository.ts';
import { AdminService } from './admin/admin.service.ts';
import { GovernanceRepository } from './governance/governance.repository.ts';
import { DecisionService } from './governance/decision.service.ts';
import { SnapshotService } from './governance/snapshot.service.ts';
import { CycleService } from './governance/cycle.service.ts';
import { CommentIndex } from './governance/comment-index.ts';
import { BaselineRepository } from './forecasting/baseline.repository.ts';
import { BaselineService } from './forecasting/baseline.service.ts';
import { ImportService } from './imports/import.service.ts';
import { KpiService } from './kpi/kpi.service.ts';
import { OverrideAuthorRepository } from './kpi/override-author.repository.ts';
import { ExportService } from './export/export.service.ts';
import { ScenarioRepository } from './scenarios/scenario.repository.ts';
import { ScenarioService } from './scenarios/scenario.service.ts';

/** Everything the routes and the sync endpoint use, wired once at start-up. */
export interface Services {
  config: Config;
  log: Logger;
  db: Db;
  version: string;
  webRoot: string | undefined;
  users: UserRepository;
  planRepository: PlanRepository;
  documents: DocumentRepository;
  sessions: SessionService;
  tokens: TokenService;
  history: HistoryRepository;
  admin: AdminService;
  auth: AuthService;
  plans: PlanService;
  sync: SyncServer;
  decisions: DecisionService;
  snapshots: SnapshotService;
  cycle: CycleService;
  comments: CommentIndex;
  governance: GovernanceRepository;
  exports: ExportService;
  scenarios: ScenarioService;
  imports: ImportService;
  baseline: BaselineService;
  kpis: KpiService;
}

/** Where the built web app lives (web/build beside this package). */
export const DEFAULT_WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/build');

/** Wires repositories and services over one database. */
export function createServices(
  config: Config,
  db: Db,
  log: Logger,
  webRoot: string | undefined = DEFAULT_WEB_ROOT,
  options: { compactor?: LogCompactor } = {},
): Services {
  const users = new UserRepository(db);
  const planRepository = new PlanRepository(db);
  const documents = new DocumentRepository(db, { compactor: options.compactor });
  const sessions = new SessionService(new SessionRepository(db), users);
  const scenarioRepository = new ScenarioRepository(db);
  const plans = new PlanService(planRepository, users, scenarioRepository);
  const tokens = new TokenService(new TokenRepository(db), users);
  const sync = new SyncServer({
    sessions,
    tokens,
    plans,
    documents,
    log,
    allowedOrigins: config.allowedOrigins,
    idleUnloadMs: config.docIdleMs,
  });
  const governance = new GovernanceRepository(db);
  const comments = new CommentIndex(governance, users, planRepository, log);
  sync.onCommentsChanged = (room) => void comments.reindex(room.documentId, room.doc);
  const admin = new AdminService(users, planRepository, documents, sessions);
  const decisions = new DecisionService(governance, plans, users, sync);
  const snapshots = new SnapshotService(governance, plans, sync);
  // A committed actuals import starts the baseline job.
  const baseline = new BaselineService(plans, sync, new BaselineRepository(db), log);
  return {
    config,
    log,
    db,
    version: '0.1.0',
    webRoot,
    users,
    planRepository,
    documents,
    sessions,
    tokens,
    history: new HistoryRepository(db),
    admin,
    auth: new AuthService(users, sessions),
    plans,
    sync,
    decisions,
    snapshots,
    exports: new ExportService(plans, snapshots, decisions, admin, config.chromiumPath),
    cycle: new CycleService(governance, plans, users, sync),
    comments,
    governance,
    scenarios: new ScenarioService(scenarioRepository, { plans, users, sync, snapshots, decisions }),
    baseline,
    imports: new ImportService(plans, users, sync, log, (planId) => baseline.start(planId)),
    kpis: new KpiService(plans, sync, governance, new OverrideAuthorRepository(db)),
  };
}

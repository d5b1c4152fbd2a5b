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
import { DocumentRegistry } from './sync/document-registry.ts';
import { SyncEndpoint } from './sync/sync-endpoint.ts';
import { AccessEvents, bridgeAccessEvents } from './auth/access-events.ts';
import type { Fanout } from './sync/fanout.ts';
import { TokenRepository } from './auth/token.repository.ts';
import { TokenService } from './auth/token.service.ts';
import { HistoryRepository } from './history/history.repository.ts';
import { AdminService } from './admin/admin.service.ts';
import { GovernanceRepository } from './governance/governance.repository.ts';
import { DecisionService } from './governance/decision.service.ts';
import { SnapshotService } from './governance/snapshot.service.ts';
import { CycleService } from './governance/cycle.service.ts';
import { CommentIndex } from './governance/comment-index.ts';
import { InboxService } from './governance/inbox.service.ts';
import { Notifier } from './governance/notifier.ts';
import { InvitationRepository } from './admin/invitation.repository.ts';
import { InvitationService } from './admin/invitation.service.ts';
import { PlanSetupService } from './plans/plan-setup.service.ts';
import { WorkspaceHomeService } from './plans/workspace-home.service.ts';
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
  documentStore: DocumentRepository;
  /** Loaded plan documents: what services read and change. */
  documents: DocumentRegistry;
  access: AccessEvents;
  sessions: SessionService;
  tokens: TokenService;
  history: HistoryRepository;
  admin: AdminService;
  auth: AuthService;
  plans: PlanService;
  /** The WebSocket endpoint (attached to the HTTP server at start-up). */
  sync: SyncEndpoint;
  decisions: DecisionService;
  snapshots: SnapshotService;
  cycle: CycleService;
  comments: CommentIndex;
  inbox: InboxService;
  invitations: InvitationService;
  planSetup: PlanSetupService;
  home: WorkspaceHomeService;
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
  options: { compactor?: LogCompactor; fanout?: Fanout } = {},
): Services {
  const users = new UserRepository(db);
  const planRepository = new PlanRepository(db);
  const documentStore = new DocumentRepository(db, { compactor: options.compactor });
  const documents = new DocumentRegistry({ documents: documentStore, fanout: options.fanout, log, idleUnloadMs: config.docIdleMs });
  const access = new AccessEvents();
  // Sign-outs, revoked tokens and role changes reach the sockets of every instance.
  if (options.fanout) bridgeAccessEvents(access, options.fanout);
  const sessions = new SessionService(new SessionRepository(db), users, access);
  const scenarioRepository = new ScenarioRepository(db);
  const plans = new PlanService(planRepository, users, scenarioRepository);
  const tokens = new TokenService(new TokenRepository(db), users, access);
  const sync = new SyncEndpoint({ sessions, tokens, plans, documents, access, log, allowedOrigins: config.allowedOrigins });
  const governance = new GovernanceRepository(db);
  const comments = new CommentIndex(governance, users, planRepository, log);
  documents.onCommentsChanged = (room) => void comments.reindex(room.documentId, room.doc);
  const admin = new AdminService(users, planRepository, documentStore, sessions, access);
  const notifier = new Notifier(governance);
  const inbox = new InboxService(governance);
  const decisions = new DecisionService(governance, plans, users, documents, notifier);
  const snapshots = new SnapshotService(governance, plans, documents);
  // A committed actuals import starts the baseline job.
  const baseline = new BaselineService(plans, documents, new BaselineRepository(db), log, {
    users,
    instanceId: options.fanout?.instanceId,
    leaseMs: config.baselineLeaseMs,
  });
  return {
    config,
    log,
    db,
    version: '0.1.0',
    webRoot,
    users,
    planRepository,
    documentStore,
    documents,
    access,
    sessions,
    tokens,
    history: new HistoryRepository(db),
    admin,
    auth: new AuthService(users, sessions),
    plans,
    sync,
    decisions,
    snapshots,
    exports: new ExportService(plans, snapshots, decisions, config.chromiumPath),
    cycle: new CycleService({ repo: governance, plans, planRows: planRepository, users, documents, snapshots, notifier }),
    comments,
    inbox,
    invitations: new InvitationService({ repo: new InvitationRepository(db), users, admin, sessions, access }),
    planSetup: new PlanSetupService({ plans, planRows: planRepository, admin, snapshots, governance, documents }),
    home: new WorkspaceHomeService({ plans, planRows: planRepository, governance, inbox, documents }),
    governance,
    scenarios: new ScenarioService(scenarioRepository, { plans, users, documents, snapshots, decisions }),
    baseline,
    imports: new ImportService(plans, users, documents, log, (planId, userId) =>
      baseline.start(planId, { type: 'import', at: new Date().toISOString(), userId, userName: null }),
    ),
    kpis: new KpiService(plans, documents, governance, new OverrideAuthorRepository(db)),
  };
}

import type { Db } from '../db/database.ts';
import { BaselineRepository } from '../forecasting/baseline.repository.ts';
import { BaselineService } from '../forecasting/baseline.service.ts';
import type { GovernanceRepository } from '../governance/governance.repository.ts';
import type { DataServices } from '../http/data.routes.ts';
import { KpiService } from '../kpi/kpi.service.ts';
import { OverrideAuthorRepository } from '../kpi/override-author.repository.ts';
import type { Logger } from '../logger.ts';
import type { PlanService } from '../plans/plan.service.ts';
import type { SyncServer } from '../sync/sync-server.ts';
import type { UserRepository } from '../users/user.repository.ts';
import { ImportService } from './import.service.ts';

/** Wires imports, the baseline job and KPIs: a committed actuals import starts the baseline job. */
export function createDataServices(deps: {
  db: Db;
  log: Logger;
  plans: PlanService;
  users: UserRepository;
  sync: SyncServer;
  governance: GovernanceRepository;
}): DataServices {
  const baseline = new BaselineService(deps.plans, deps.sync, new BaselineRepository(deps.db), deps.log);
  return {
    baseline,
    imports: new ImportService(deps.plans, deps.users, deps.sync, deps.log, (planId) => baseline.start(planId)),
    kpis: new KpiService(deps.plans, deps.sync, deps.governance, new OverrideAuthorRepository(deps.db)),
  };
}

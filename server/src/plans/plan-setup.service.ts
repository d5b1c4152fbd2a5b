import { emptyCells, type PlanData, type ValueRoot } from '@accord/plan-calc';
import { readPlanData, SCHEMA_VERSION } from '@accord/plan-model';
import { actionRolesText, ErrorCode, mayAct, type CreatePlanRequest, type PlanSummary } from '@accord/protocol';
import type { AdminService } from '../admin/admin.service.ts';
import { HttpError } from '../errors.ts';
import type { GovernanceRepository } from '../governance/governance.repository.ts';
import type { SnapshotService } from '../governance/snapshot.service.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import type { PlanRepository } from './plan.repository.ts';
import { toPlanSummary, type PlanService } from './plan.service.ts';

/**
 * What a copy of a plan takes along besides the catalog and the settings: the history (actuals
 * and the statistical baseline fitted on them) and the reference figures a new cycle starts from
 * (prices, unit costs, capacity, opening stock). The team's inputs (forecasts, uplifts, production
 * plans, consensus, budget, holds), comments, decisions and snapshots start empty.
 */
export const COPIED_ROOTS: readonly ValueRoot[] = [
  'actuals',
  'actualProduction',
  'actualInventory',
  'statistical',
  'prices',
  'costs',
  'capacity',
  'inventory',
];

/**
 * Starting plans from the web app (leaders and admins): a copy of another plan of the workspace,
 * a locked snapshot, or an empty plan whose catalog is imported next. Every new plan starts a new
 * cycle at data gathering, keeps the stage owners of the plan it came from, and has a name no
 * other plan of the workspace has.
 */
export class PlanSetupService {
  readonly #plans: PlanService;
  readonly #planRows: PlanRepository;
  readonly #admin: AdminService;
  readonly #snapshots: SnapshotService;
  readonly #governance: GovernanceRepository;
  readonly #documents: DocumentRegistry;

  constructor(deps: {
    plans: PlanService;
    planRows: PlanRepository;
    admin: AdminService;
    snapshots: SnapshotService;
    governance: GovernanceRepository;
    documents: DocumentRegistry;
  }) {
    this.#plans = deps.plans;
    this.#planRows = deps.planRows;
    this.#admin = deps.admin;
    this.#snapshots = deps.snapshots;
    this.#governance = deps.governance;
    this.#documents = deps.documents;
  }

  async create(userId: string, workspaceId: string, request: CreatePlanRequest): Promise<PlanSummary> {
    const role = await this.#plans.requireRole(userId, workspaceId);
    if (!mayAct(role, 'createPlan'))
      throw new HttpError(403, ErrorCode.forbidden, `Starting plans is for ${actionRolesText('createPlan')}; you are ${role}.`);
    const name = request.name.trim();
    if (await this.#planRows.findByName(workspaceId, name))
      throw new HttpError(409, ErrorCode.conflict, `A plan named "${name}" exists in this workspace already; choose another name.`);

    let data: PlanData;
    let ownersFrom: string | undefined;
    if (request.from === 'copy') {
      const { plan } = await this.#plans.getPlanForUser(userId, request.planId).catch(() => {
        throw new HttpError(400, ErrorCode.badRequest, 'planId: no such plan in this workspace.');
      });
      if (plan.workspace_id !== workspaceId) throw new HttpError(400, ErrorCode.badRequest, 'planId: no such plan in this workspace.');
      const room = await this.#documents.open(plan.id);
      await room.flush();
      data = copyOf(readPlanData(room.doc));
      ownersFrom = plan.id;
    } else if (request.from === 'snapshot') {
      const snapshot = await this.#snapshots.getSnapshot(userId, request.snapshotId);
      const { plan } = await this.#plans.getPlanForUser(userId, snapshot.plan_id);
      if (plan.workspace_id !== workspaceId)
        throw new HttpError(400, ErrorCode.badRequest, 'snapshotId: no such snapshot in this workspace.');
      data = await this.#snapshots.loadVersion(userId, snapshot.plan_id, snapshot.id);
      ownersFrom = plan.id;
    } else {
      data = {
        meta: {
          name,
          currency: request.currency,
          bucket: 'month',
          horizonStart: request.horizonStart,
          horizonBuckets: request.horizonBuckets,
          historyBuckets: request.historyBuckets,
          cycleStage: 'data-gathering',
          schemaVersion: SCHEMA_VERSION,
        },
        families: {},
        products: {},
        resources: {},
        cells: emptyCells(),
      };
    }
    data.meta = { ...data.meta, name, cycleStage: 'data-gathering' };
    const { id } = await this.#admin.createPlan(`user:${userId}`, workspaceId, data, { from: request.from });
    if (ownersFrom) {
      const owners = (await this.#governance.listStages(ownersFrom)).filter((s) => s.owner_id !== null);
      await this.#governance.upsertStages(
        id,
        owners.map((s) => ({ stage: s.stage, ownerId: s.owner_id, dueDate: null })),
      );
    }
    return toPlanSummary((await this.#planRows.findById(id))!);
  }

  /** A new plan from a snapshot, named `name`, in the snapshot's workspace (`POST /api/snapshots/:id/plans`). */
  async fromSnapshot(userId: string, snapshotId: string, name: string): Promise<{ id: string }> {
    const snapshot = await this.#snapshots.getSnapshot(userId, snapshotId);
    const { plan } = await this.#plans.getPlanForUser(userId, snapshot.plan_id);
    const created = await this.create(userId, plan.workspace_id, { from: 'snapshot', snapshotId, name });
    return { id: created.id };
  }
}

/** A copy's data: catalog, settings and COPIED_ROOTS; every other layer empty. */
function copyOf(source: PlanData): PlanData {
  const cells = emptyCells();
  for (const root of COPIED_ROOTS) cells[root] = { ...source.cells[root] };
  return { meta: { ...source.meta }, families: source.families, products: source.products, resources: source.resources, cells };
}

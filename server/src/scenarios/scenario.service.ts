import { toComparedCell } from '../governance/snapshot.service.ts';
import * as Y from 'yjs';
import { diffPlans, valueInEffect, type PlanData } from '@accord/plan-calc';
import { readPlanData } from '@accord/plan-model';
import {
  actionRolesText,
  ErrorCode,
  mayAct,
  CloseCode,
  WRITABLE_SECTIONS,
  type CompareScenariosResponse,
  type ComparedVersion,
  type CreateScenarioRequest,
  type DecisionView,
  type Role,
  type MergeCell,
  type MergePreviewResponse,
  type MergeScenarioRequest,
  type ScenarioStatus,
  type ScenarioView,
  type UnmergeableChange,
} from '@accord/protocol';
import { nowIso } from '../db/database.ts';
import { randomId } from '../db/ids.ts';
import type { Plan, Scenario } from '../db/schema.ts';
import { HttpError, notFound } from '../errors.ts';
import type { PlanService } from '../plans/plan.service.ts';
import { today, type DecisionService } from '../governance/decision.service.ts';
import { snapshotPlanData, type SnapshotService } from '../governance/snapshot.service.ts';
import { assertPlanWritable } from '../governance/plan-lock.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { ScenarioRepository, ScenarioWithNames } from './scenario.repository.ts';
import { scenarioFigures } from './scenario-figures.ts';

// Plan settings the fork itself changes in the scenario document (docs/decisions.md): not
// something anyone edited in the scenario, so never reported as an unmergeable change.
const FORK_META_FIELDS = new Set(['name', 'cycleStage']);
// A decision links at most 100 cells (protocol's DecisionLinks); a bigger merge links the first 100.
const MAX_LINKED_CELLS = 100;

/** The outcome of a merge request: applied, or refused because selected cells conflict. */
export type MergeOutcome =
  { type: 'merged'; merged: number; keptPlan: number; decision: DecisionView } | { type: 'conflict'; conflicts: MergeCell[] };

/** The live plan changed a selected cell between the preview and the write. */
class PlanMovedError extends Error {
  override name = 'PlanMovedError';
}

const refOf = (cell: { root: string; key: string }) => `${cell.root}:${cell.key}`;

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

/**
 * Scenarios: what-if copies of a plan, each its own Yjs document synced at `/sync/<scenarioId>`
 * with the plan's members and roles. Forked from the live plan or a snapshot, compared with the
 * live plan on plan-calc's figures, and merged back cell by cell as one attributed change tied to
 * a decision, never over plan edits made since the fork without an explicit resolution.
 */
export class ScenarioService {
  readonly #repo: ScenarioRepository;
  readonly #plans: PlanService;
  readonly #users: UserRepository;
  readonly #documents: DocumentRegistry;
  readonly #snapshots: SnapshotService;
  readonly #decisions: DecisionService;
  readonly #now: () => Date;

  constructor(
    repo: ScenarioRepository,
    deps: {
      plans: PlanService;
      users: UserRepository;
      documents: DocumentRegistry;
      snapshots: SnapshotService;
      decisions: DecisionService;
    },
    now: () => Date = () => new Date(),
  ) {
    this.#repo = repo;
    this.#plans = deps.plans;
    this.#users = deps.users;
    this.#documents = deps.documents;
    this.#snapshots = deps.snapshots;
    this.#decisions = deps.decisions;
    this.#now = now;
  }

  /**
   * Forks the live plan (or one of its snapshots) into a new scenario document. Any member who may
   * write some section of the plan (not viewers or commenters) may create one.
   */
  async create(userId: string, planId: string, input: CreateScenarioRequest): Promise<ScenarioView> {
    const { plan, role } = await this.#plans.getPlanForUser(userId, planId);
    if (!WRITABLE_SECTIONS[role].some((section) => section !== 'comments'))
      throw new HttpError(403, ErrorCode.forbidden, 'Only members who edit the plan create scenarios.');
    const ownerId = input.ownerId ?? userId;
    if (!(await this.#users.findRole(ownerId, plan.workspace_id)))
      throw new HttpError(400, ErrorCode.badRequest, 'ownerId: the owner must be a member of this workspace.');
    let forkState: Uint8Array;
    if (input.from === 'live') {
      const room = await this.#documents.open(planId);
      await room.flush();
      forkState = Y.encodeStateAsUpdate(room.doc);
    } else {
      const snapshot = await this.#snapshots.getSnapshot(userId, input.from);
      if (snapshot.plan_id !== planId)
        throw new HttpError(400, ErrorCode.badRequest, `from: snapshot ${input.from} belongs to another plan.`);
      forkState = new Uint8Array(snapshot.state);
    }
    const doc = new Y.Doc();
    Y.applyUpdate(doc, forkState);
    doc.transact(() => {
      const meta = doc.getMap<unknown>('meta');
      meta.set('name', input.name);
      // No section is closed by the cycle inside a scenario (docs/decisions.md, "Scenarios").
      meta.set('cycleStage', 'data-gathering');
    });
    const initialState = Y.encodeStateAsUpdate(doc);
    doc.destroy();
    const now = nowIso(this.#now());
    const scenario: Scenario = {
      id: randomId(),
      plan_id: planId,
      name: input.name,
      description: input.description,
      owner_id: ownerId,
      status: 'active',
      forked_from: input.from,
      fork_state: forkState,
      created_by: userId,
      created_at: now,
      updated_at: now,
    };
    await this.#repo.insert(scenario, initialState);
    await this.#audit(userId, 'scenario.create', scenario.id, { planId, name: input.name, from: input.from });
    return this.#getView(scenario.id);
  }

  /** The plan's scenarios (active ones unless `status` says otherwise), newest first. */
  async list(userId: string, planId: string, status: ScenarioStatus | 'all'): Promise<ScenarioView[]> {
    await this.#plans.getPlanForUser(userId, planId);
    const rows = await this.#repo.listByPlan(planId, status === 'all' ? undefined : status);
    return rows.map(toView);
  }

  async get(userId: string, scenarioId: string): Promise<ScenarioView> {
    await this.#access(userId, scenarioId);
    return this.#getView(scenarioId);
  }

  /**
   * The live plan and one to four of its scenarios side by side: plan-calc's figures per family ×
   * bucket and in total, and each scenario's cell-level differences from the live plan.
   */
  async compare(userId: string, planId: string, ids: string[], limit: number): Promise<CompareScenariosResponse> {
    const { plan } = await this.#plans.getPlanForUser(userId, planId);
    const scenarios: Scenario[] = [];
    for (const id of ids) {
      const scenario = await this.#repo.findById(id);
      if (!scenario || scenario.plan_id !== planId) throw notFound(`Scenario ${id}`);
      scenarios.push(scenario);
    }
    const base = await this.#readDocument(planId);
    const none = { changedCells: 0, cells: [], truncated: false, catalogChanges: 0 };
    const baseVersion: ComparedVersion = { id: 'live', name: plan.name, ...scenarioFigures(base), differences: none };
    const versions: ComparedVersion[] = [];
    for (const scenario of scenarios) {
      const data = await this.#readDocument(scenario.id);
      const diff = diffPlans(base, data);
      versions.push({
        id: scenario.id,
        name: scenario.name,
        ...scenarioFigures(data),
        differences: {
          changedCells: diff.cells.length,
          cells: diff.cells.slice(0, limit).map((c) => toComparedCell(c, names(base, data))),
          truncated: diff.cells.length > limit,
          catalogChanges: diff.catalog.length,
        },
      });
    }
    return { currency: base.meta.currency, base: baseVersion, scenarios: versions };
  }

  /** The three-way view of a merge: every cell the scenario changed since the fork, at fork, in the plan now and in the scenario. */
  async mergePreview(userId: string, scenarioId: string): Promise<MergePreviewResponse> {
    const { scenario } = await this.#access(userId, scenarioId);
    const { cells, notMergeable } = await this.#threeWay(scenario);
    return {
      scenarioId,
      planId: scenario.plan_id,
      cells,
      conflicts: cells.filter((c) => c.conflict).length,
      notMergeable,
    };
  }

  /**
   * Adopts the selected scenario cells into the live plan as one change attributed to the merging
   * leader or admin, and records or links the decision. Selected conflicts (the plan changed the cell
   * since the fork) need a resolution; otherwise nothing is written and they are returned.
   */
  async merge(userId: string, scenarioId: string, input: MergeScenarioRequest): Promise<MergeOutcome> {
    const { scenario, plan, role } = await this.#access(userId, scenarioId);
    if (!mayAct(role, 'mergeScenario'))
      throw new HttpError(
        403,
        ErrorCode.forbidden,
        `Merging scenarios into the plan is for ${actionRolesText('mergeScenario')}; you are ${role}.`,
      );
    // Refused before anything is computed when the plan is locked; checked again inside the change.
    assertPlanWritable((await this.#documents.open(plan.id)).doc, 'a scenario merge');
    const { cells } = await this.#threeWay(scenario);
    const selected = this.#select(cells, input.selection);
    const unresolved = selected.filter((c) => c.conflict && input.resolutions[refOf(c)] === undefined);
    if (unresolved.length > 0) return { type: 'conflict', conflicts: unresolved };
    const keptPlan = selected.filter((c) => c.conflict && input.resolutions[refOf(c)] === 'plan').length;
    // A cell the plan already holds at the scenario's value (adopted earlier, or typed alike) is no change.
    const toApply = selected.filter((c) => c.plan !== c.scenario && (!c.conflict || input.resolutions[refOf(c)] === 'scenario'));
    const existing = await this.#checkDecision(userId, plan, scenarioId, input.decision);

    const decisionTitle = 'decisionId' in input.decision ? existing!.title : input.decision.title;
    if (toApply.length > 0) {
      const room = await this.#documents.open(plan.id);
      try {
        await room.applyServerChange(
          (doc) => {
            assertPlanWritable(doc, 'a scenario merge');
            for (const cell of toApply) {
              const map = doc.getMap<unknown>(cell.root);
              // The preview's plan value is what the merger saw; if it moved since, show it first.
              if (numberOrNull(map.get(cell.key)) !== cell.plan) throw new PlanMovedError(`${refOf(cell)} changed in the plan`);
              if (cell.scenario === null) map.delete(cell.key);
              else map.set(cell.key, cell.scenario);
            }
          },
          {
            userId,
            kind: 'merge',
            summary: `Scenario “${scenario.name}” merged: ${toApply.length} cell${toApply.length === 1 ? '' : 's'}, decision “${decisionTitle}”`,
          },
        );
      } catch (e: unknown) {
        if (e instanceof PlanMovedError)
          throw new HttpError(409, ErrorCode.conflict, 'The plan changed while merging; review the merge again.');
        throw e;
      }
    }

    const mergedCells = toApply.map((c) => ({ root: c.root, key: c.key }));
    let decision: DecisionView;
    if ('decisionId' in input.decision) {
      const linked = new Map([...existing!.links.cells, ...mergedCells].map((c) => [refOf(c), c]));
      decision = await this.#decisions.update(userId, input.decision.decisionId, {
        links: { ...existing!.links, cells: [...linked.values()].slice(0, MAX_LINKED_CELLS), scenarioId },
      });
    } else {
      const links = { cells: mergedCells.slice(0, MAX_LINKED_CELLS), scenarioId };
      decision = await this.#decisions.create(userId, plan.id, { ...input.decision, status: 'open', links });
    }
    await this.#audit(userId, 'scenario.merge', scenarioId, { planId: plan.id, merged: toApply.length, keptPlan, decisionId: decision.id });
    return { type: 'merged', merged: toApply.length, keptPlan, decision };
  }

  /** Archives a scenario: kept, read-only for everyone. The owner, leaders and admins may. */
  async archive(userId: string, scenarioId: string): Promise<ScenarioView> {
    return this.#setStatus(userId, scenarioId, 'archived');
  }

  /** Makes an archived scenario editable again. The owner, leaders and admins may. */
  async restore(userId: string, scenarioId: string): Promise<ScenarioView> {
    return this.#setStatus(userId, scenarioId, 'active');
  }

  /**
   * Deletes a scenario and its document. Refused (409) while a decision links it or a snapshot's
   * recorded decisions mention it: those keep it. The owner, leaders and admins may.
   */
  async delete(userId: string, scenarioId: string): Promise<void> {
    const { scenario } = await this.#requireManager(userId, scenarioId);
    const decisions = (await this.#repo.decisionLinksMentioning(scenario.plan_id, scenarioId)).filter(
      (d) => (JSON.parse(d.links) as { scenarioId?: string }).scenarioId === scenarioId,
    );
    const snapshots = await this.#repo.snapshotsMentioning(scenario.plan_id, scenarioId);
    if (decisions.length > 0 || snapshots.length > 0) {
      const what = [
        decisions.length > 0 ? `${decisions.length} decision(s)` : '',
        snapshots.length > 0 ? `${snapshots.length} snapshot(s)` : '',
      ].filter(Boolean);
      throw new HttpError(409, ErrorCode.conflict, `The scenario is referenced by ${what.join(' and ')}; archive it instead.`);
    }
    await this.#documents.discard(scenarioId, CloseCode.accessChanged, 'the scenario was deleted');
    await this.#repo.delete(scenarioId);
    await this.#audit(userId, 'scenario.delete', scenarioId, { planId: scenario.plan_id, name: scenario.name });
  }

  async #setStatus(userId: string, scenarioId: string, status: ScenarioStatus): Promise<ScenarioView> {
    const { scenario } = await this.#requireManager(userId, scenarioId);
    if (scenario.status !== status) {
      await this.#repo.setStatus(scenarioId, status, nowIso(this.#now()));
      // Open sockets carry the old role; closing them makes clients reconnect read-only (or writable again).
      this.#documents.closeSockets(
        scenarioId,
        CloseCode.accessChanged,
        status === 'archived' ? 'the scenario was archived' : 'the scenario was restored',
      );
      await this.#audit(userId, status === 'archived' ? 'scenario.archive' : 'scenario.restore', scenarioId, { planId: scenario.plan_id });
    }
    return this.#getView(scenarioId);
  }

  /** The scenario and the user's role in its plan; 404 for anyone outside the plan's workspace. */
  async #access(userId: string, scenarioId: string): Promise<{ scenario: Scenario; plan: Plan; role: Role }> {
    const scenario = await this.#repo.findById(scenarioId);
    if (!scenario) throw notFound('Scenario');
    const { plan, role } = await this.#plans.getPlanForUser(userId, scenario.plan_id).catch(() => {
      throw notFound('Scenario');
    });
    return { scenario, plan, role };
  }

  async #requireManager(userId: string, scenarioId: string): Promise<{ scenario: Scenario; plan: Plan }> {
    const access = await this.#access(userId, scenarioId);
    if (access.scenario.owner_id !== userId && !mayAct(access.role, 'manageScenarios'))
      throw new HttpError(403, ErrorCode.forbidden, "Only the scenario's owner, leaders and admins archive or delete it.");
    return access;
  }

  /** Base at the fork, the live plan and the scenario, compared on every value cell the scenario changed. */
  async #threeWay(scenario: Scenario): Promise<{ cells: MergeCell[]; notMergeable: UnmergeableChange[] }> {
    const base = snapshotPlanData({ state: scenario.fork_state });
    const live = await this.#readDocument(scenario.plan_id);
    const data = await this.#readDocument(scenario.id);
    const diff = diffPlans(base, data);
    const cells: MergeCell[] = diff.cells
      // Server-only roots (actuals, statistical) are the server's to write, in the plan as anywhere.
      .filter((c) => c.section !== 'server')
      .map((c) => {
        const plan = live.cells[c.root]?.[c.key] ?? null;
        const named = toComparedCell(c, names(live, data));
        return {
          root: c.root,
          key: c.key,
          section: c.section,
          layer: named.layer,
          rowId: c.rowId,
          rowName: named.rowName,
          bucket: c.bucket,
          base: c.before,
          plan,
          scenario: c.after,
          inEffect: {
            base: { value: c.beforeInEffect, follows: c.beforeFollows },
            plan: valueInEffect(live, c.root, c.key, plan),
            scenario: { value: c.afterInEffect, follows: c.afterFollows },
          },
          conflict: plan !== c.before && plan !== c.after,
        };
      });
    const notMergeable: UnmergeableChange[] = [
      ...diff.catalog.map((c) => ({ kind: c.kind, id: c.id, name: (c.after ?? c.before)?.name ?? c.id, fields: c.fields })),
      ...diff.meta
        .filter((m) => !FORK_META_FIELDS.has(m.field))
        .map((m) => ({ kind: 'meta' as const, id: m.field, name: m.field, fields: [m.field] })),
    ];
    return { cells, notMergeable };
  }

  /** The preview cells a selection names: the union of all, sections, rows and cells. */
  #select(cells: MergeCell[], selection: MergeScenarioRequest['selection']): MergeCell[] {
    const changed = new Set(cells.map(refOf));
    for (const ref of selection.cells ?? []) {
      if (!changed.has(refOf(ref)))
        throw new HttpError(400, ErrorCode.badRequest, `selection.cells: ${refOf(ref)} was not changed in the scenario.`);
    }
    const sections = new Set<string>(selection.sections ?? []);
    const rows = new Set(selection.rows ?? []);
    const named = new Set((selection.cells ?? []).map(refOf));
    const selected = cells.filter((c) => selection.all === true || sections.has(c.section) || rows.has(c.rowId) || named.has(refOf(c)));
    if (selected.length === 0) throw new HttpError(400, ErrorCode.badRequest, 'selection: it holds none of the changes of the scenario.');
    return selected;
  }

  /**
   * Checks the decision part of a merge before anything is written: an existing decision of this
   * plan not tied to another scenario, or the owner and due date of a new one.
   */
  async #checkDecision(
    userId: string,
    plan: Plan,
    scenarioId: string,
    decision: MergeScenarioRequest['decision'],
  ): Promise<DecisionView | undefined> {
    if ('decisionId' in decision) {
      const found = (await this.#decisions.list(userId, plan.id, {})).find((d) => d.id === decision.decisionId);
      if (!found) throw new HttpError(400, ErrorCode.badRequest, 'decision.decisionId: no such decision in this plan.');
      if (found.links.scenarioId !== undefined && found.links.scenarioId !== scenarioId)
        throw new HttpError(400, ErrorCode.badRequest, 'decision.decisionId: that decision concerns another scenario.');
      return found;
    }
    if (!(await this.#users.findRole(decision.ownerId, plan.workspace_id)))
      throw new HttpError(400, ErrorCode.badRequest, 'decision.ownerId: the owner must be a member of this workspace.');
    if (decision.dueDate < today(this.#now()))
      throw new HttpError(400, ErrorCode.badRequest, 'decision.dueDate: the due date is in the past.');
    return undefined;
  }

  /** A document's current data, with every accepted update applied. */
  async #readDocument(documentId: string): Promise<PlanData> {
    const room = await this.#documents.open(documentId);
    await room.flush();
    return readPlanData(room.doc);
  }

  async #getView(scenarioId: string): Promise<ScenarioView> {
    const row = await this.#repo.findWithNames(scenarioId);
    if (!row) throw notFound('Scenario');
    return toView(row);
  }

  #audit(actor: string, action: string, target: string, details: unknown): Promise<void> {
    return this.#users.insertAudit({ actor, action, target, details, created_at: nowIso(this.#now()) });
  }
}

/** Products, families and lines of both versions (the scenario's own first), to name every changed cell. */
function names(base: PlanData, scenario: PlanData): Pick<PlanData, 'products' | 'families' | 'resources'> {
  return {
    products: { ...base.products, ...scenario.products },
    families: { ...base.families, ...scenario.families },
    resources: { ...base.resources, ...scenario.resources },
  };
}

function toView(row: ScenarioWithNames): ScenarioView {
  return {
    id: row.id,
    planId: row.plan_id,
    name: row.name,
    description: row.description,
    owner: { id: row.owner_id, name: row.owner_name },
    status: row.status,
    forkedFrom: row.forked_from,
    createdBy: { id: row.created_by, name: row.creator_name },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

import { isStage, STAGES, type MyOpenItems, type PlanListResponse, type PlanOverview, type Stage } from '@accord/protocol';
import { nowIso } from '../db/database.ts';
import { today } from '../governance/decision.service.ts';
import type { GovernanceRepository } from '../governance/governance.repository.ts';
import type { InboxService } from '../governance/inbox.service.ts';
import { stageOf } from '../governance/plan-lock.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import type { PlanRepository } from './plan.repository.ts';
import { toPlanSummary, type PlanService } from './plan.service.ts';

/**
 * The workspace home: each plan with where its cycle stands (stage, owner, due date), the cells
 * others changed since the caller last opened it, and what waits for the caller (unread inbox
 * entries, decisions they own, stages they own that are not closed yet).
 */
export class WorkspaceHomeService {
  readonly #plans: PlanService;
  readonly #planRows: PlanRepository;
  readonly #governance: GovernanceRepository;
  readonly #inbox: InboxService;
  readonly #documents: DocumentRegistry;
  readonly #now: () => Date;

  constructor(deps: {
    plans: PlanService;
    planRows: PlanRepository;
    governance: GovernanceRepository;
    inbox: InboxService;
    documents: DocumentRegistry;
    now?: () => Date;
  }) {
    this.#plans = deps.plans;
    this.#planRows = deps.planRows;
    this.#governance = deps.governance;
    this.#inbox = deps.inbox;
    this.#documents = deps.documents;
    this.#now = deps.now ?? (() => new Date());
  }

  async overview(userId: string, workspaceId: string): Promise<PlanListResponse> {
    const plans = await this.#plans.listPlansForUser(userId, workspaceId);
    const day = today(this.#now());
    const stageRows = await this.#governance.listWorkspaceStages(workspaceId);
    const visits = await this.#planRows.listVisits(userId, workspaceId);
    const inbox = (await this.#inbox.items(userId)).filter((i) => i.workspaceId === workspaceId && i.unread);
    const decisions = await this.#governance.openDecisionsOwnedBy(userId, workspaceId);
    const mine: MyOpenItems = {
      decisions: decisions.map((d) => ({
        id: d.id,
        planId: d.plan_id,
        planName: d.plan_name,
        title: d.title,
        dueDate: d.due_date,
        status: d.status,
        overdue: d.due_date < day,
      })),
      stages: [],
      unread: inbox.length,
    };
    const overviews: PlanOverview[] = [];
    for (const plan of plans) {
      let stage: Stage;
      let cycle: string;
      if (isStage(plan.cycle_stage) && plan.cycle) {
        stage = plan.cycle_stage;
        cycle = plan.cycle;
      } else {
        // A plan made before the stage was mirrored into its row: read it once from the document.
        const room = await this.#documents.open(plan.id);
        stage = stageOf(room.doc);
        cycle = String(room.doc.getMap<unknown>('meta').get('horizonStart') ?? '');
        await this.#planRows.setCycle(plan.id, cycle, stage);
      }
      const stages = new Map(stageRows.filter((r) => r.plan_id === plan.id).map((r) => [r.stage, r]));
      const current = stages.get(stage);
      const currentIndex = STAGES.indexOf(stage);
      let ownedStages = 0;
      for (const [name, row] of stages) {
        if (!isStage(name) || row.owner_id !== userId || name === 'locked' || stage === 'locked') continue;
        if (STAGES.indexOf(name) < currentIndex) continue;
        ownedStages++;
        mine.stages.push({
          planId: plan.id,
          planName: plan.name,
          stage: name,
          dueDate: row.due_date,
          overdue: row.due_date !== null && row.due_date < day,
          current: name === stage,
        });
      }
      const visited = visits.get(plan.id);
      overviews.push({
        ...toPlanSummary(plan),
        cycle: {
          cycle,
          stage,
          owner: current?.owner_id ? { id: current.owner_id, name: current.owner_name ?? '' } : null,
          dueDate: stage === 'locked' ? null : (current?.due_date ?? null),
          overdue: stage !== 'locked' && current?.due_date != null && current.due_date < day,
        },
        changesSinceVisit: visited === undefined ? null : await this.#planRows.countChangesSince(plan.id, userId, visited),
        mine: {
          unread: inbox.filter((i) => i.planId === plan.id).length,
          decisions: decisions.filter((d) => d.plan_id === plan.id).length,
          stages: ownedStages,
        },
      });
    }
    mine.stages.sort((a, b) => (a.dueDate ?? '9999').localeCompare(b.dueDate ?? '9999'));
    return { plans: overviews, mine };
  }

  /** When the user last opened the plan, and how many cells others changed since. */
  async lastVisit(userId: string, planId: string): Promise<{ lastVisitAt: string | null; changes: number }> {
    await this.#plans.getPlanForUser(userId, planId);
    const at = await this.#planRows.findVisit(userId, planId);
    return { lastVisitAt: at ?? null, changes: at === undefined ? 0 : await this.#planRows.countChangesSince(planId, userId, at) };
  }

  /** Records that the user has seen the plan as it is now. */
  async recordVisit(userId: string, planId: string): Promise<void> {
    await this.#plans.getPlanForUser(userId, planId);
    await this.#planRows.recordVisit(userId, planId, nowIso(this.#now()));
  }
}

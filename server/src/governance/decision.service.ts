import * as Y from 'yjs';
import { actionRolesText, ErrorCode, mayAct } from '@accord/protocol';
import type { CreateDecisionRequest, DecisionChangeView, DecisionView, UpdateDecisionRequest } from '@accord/protocol';
import type { Decision } from '../db/schema.ts';
import { randomId } from '../db/ids.ts';
import { HttpError, notFound } from '../errors.ts';
import type { PlanService } from '../plans/plan.service.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import type { GovernanceRepository } from './governance.repository.ts';
import { dayWords, type NotificationInput, type Notifier } from './notifier.ts';

const CLOSED_STATUSES = new Set(['done', 'dropped']);
const STATUS_WORDS: Record<DecisionView['status'], string> = {
  open: 'open',
  'in-progress': 'in progress',
  done: 'done',
  dropped: 'dropped',
};

/** Today as YYYY-MM-DD (UTC), for due dates and overdue flags. */
export function today(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/**
 * Decisions with owners: leaders and admins decide and change anything; an owner updates the
 * status of their own actions; the server stamps who decided and records every change. Each
 * decision is mirrored into the plan document's server-only `decisions` root so it shows live.
 */
export class DecisionService {
  readonly #repo: GovernanceRepository;
  readonly #plans: PlanService;
  readonly #users: UserRepository;
  readonly #documents: DocumentRegistry;
  readonly #notifier: Notifier;
  readonly #now: () => Date;

  constructor(
    repo: GovernanceRepository,
    plans: PlanService,
    users: UserRepository,
    documents: DocumentRegistry,
    notifier: Notifier,
    now: () => Date = () => new Date(),
  ) {
    this.#repo = repo;
    this.#plans = plans;
    this.#users = users;
    this.#documents = documents;
    this.#notifier = notifier;
    this.#now = now;
  }

  async create(
    userId: string,
    planId: string,
    input: CreateDecisionRequest,
    options: { allowPastDue?: boolean; decidedAt?: string } = {},
  ): Promise<DecisionView> {
    const { plan, role } = await this.#plans.getPlanForUser(userId, planId);
    if (!mayAct(role, 'recordDecision'))
      throw new HttpError(403, ErrorCode.forbidden, `Recording decisions is for ${actionRolesText('recordDecision')}; you are ${role}.`);
    await this.#requireMember(plan.workspace_id, input.ownerId);
    if (!options.allowPastDue && input.dueDate < today(this.#now()))
      throw new HttpError(400, ErrorCode.badRequest, 'dueDate: the due date is in the past.');
    const at = options.decidedAt ?? this.#now().toISOString();
    const room = await this.#documents.open(planId);
    const cycle = String(room.doc.getMap<unknown>('meta').get('horizonStart') ?? '');
    const decision: Decision = {
      id: randomId(),
      plan_id: planId,
      title: input.title,
      rationale: input.rationale,
      owner_id: input.ownerId,
      due_date: input.dueDate,
      status: input.status,
      links: JSON.stringify(input.links),
      cycle,
      decided_by: userId,
      decided_at: at,
      updated_at: at,
    };
    await this.#repo.insertDecision(decision, userId);
    const view = await this.#getView(planId, decision.id);
    await this.#mirror(view);
    await this.#notifier.notify([
      {
        userId: view.owner.id,
        planId,
        kind: 'decision-assigned',
        subjectId: view.id,
        actorId: userId,
        text: `${view.decidedBy.name} assigned you “${view.title}” in ${plan.name}, due ${dayWords(view.dueDate)}.`,
      },
    ]);
    return view;
  }

  async update(userId: string, decisionId: string, patch: UpdateDecisionRequest): Promise<DecisionView> {
    const decision = await this.#repo.findDecision(decisionId);
    if (!decision) throw notFound('Decision');
    const { plan, role } = await this.#plans.getPlanForUser(userId, decision.plan_id).catch(() => {
      throw notFound('Decision');
    });
    const decides = mayAct(role, 'recordDecision');
    if (!decides) {
      const onlyStatus = Object.keys(patch).every((k) => k === 'status');
      if (decision.owner_id !== userId || !onlyStatus) {
        throw new HttpError(
          403,
          ErrorCode.forbidden,
          'Only leaders and admins change decisions; an owner may update the status of their own.',
        );
      }
    }
    if (patch.ownerId) await this.#requireMember(plan.workspace_id, patch.ownerId);
    if (patch.dueDate && patch.dueDate !== decision.due_date && patch.dueDate < today(this.#now())) {
      throw new HttpError(400, ErrorCode.badRequest, 'dueDate: the due date is in the past.');
    }
    const next: Partial<Decision> = {};
    const changes: Record<string, [unknown, unknown]> = {};
    const fields = { title: 'title', rationale: 'rationale', ownerId: 'owner_id', dueDate: 'due_date', status: 'status' } as const;
    for (const [field, column] of Object.entries(fields) as [keyof typeof fields, (typeof fields)[keyof typeof fields]][]) {
      const value = patch[field];
      if (value !== undefined && value !== decision[column]) {
        changes[field] = [decision[column], value];
        (next as Record<string, unknown>)[column] = value;
      }
    }
    if (patch.links !== undefined && JSON.stringify(patch.links) !== decision.links) {
      changes.links = [JSON.parse(decision.links), patch.links];
      next.links = JSON.stringify(patch.links);
    }
    if (Object.keys(changes).length > 0) await this.#repo.updateDecision(decisionId, next, userId, changes, this.#now().toISOString());
    const view = await this.#getView(decision.plan_id, decisionId);
    await this.#mirror(view);
    const actor = (await this.#users.findUserById(userId))?.name ?? 'Someone';
    const notes: NotificationInput[] = [];
    if (changes.ownerId)
      notes.push({
        userId: view.owner.id,
        planId: plan.id,
        kind: 'decision-assigned',
        subjectId: view.id,
        actorId: userId,
        text: `${actor} assigned you “${view.title}” in ${plan.name}, due ${dayWords(view.dueDate)}.`,
      });
    if (changes.status)
      notes.push({
        userId: decision.decided_by,
        planId: plan.id,
        kind: 'decision-status',
        subjectId: view.id,
        actorId: userId,
        text: `${actor} moved “${view.title}” in ${plan.name} from ${STATUS_WORDS[decision.status]} to ${STATUS_WORDS[view.status]}.`,
      });
    await this.#notifier.notify(notes);
    return view;
  }

  async list(
    userId: string,
    planId: string,
    filter: { ownerId?: string; status?: string; dueBefore?: string; cycle?: string; overdue?: boolean },
  ): Promise<DecisionView[]> {
    await this.#plans.getPlanForUser(userId, planId);
    const rows = await this.#repo.listDecisions(planId, filter);
    const views = rows.map((row) => this.#toView(row));
    return filter.overdue ? views.filter((v) => v.overdue) : views;
  }

  async history(userId: string, decisionId: string): Promise<DecisionChangeView[]> {
    const decision = await this.#repo.findDecision(decisionId);
    if (!decision) throw notFound('Decision');
    await this.#plans.getPlanForUser(userId, decision.plan_id).catch(() => {
      throw notFound('Decision');
    });
    const rows = await this.#repo.decisionHistory(decisionId);
    return rows.map((r) => ({
      changedBy: r.changed_by,
      changedByName: r.changed_by_name ?? 'Someone',
      changedAt: r.changed_at,
      changes: JSON.parse(r.changes) as Record<string, [unknown, unknown]>,
    }));
  }

  async #requireMember(workspaceId: string, userId: string): Promise<void> {
    if (!(await this.#users.findRole(userId, workspaceId)))
      throw new HttpError(400, ErrorCode.badRequest, 'ownerId: the owner must be a member of this workspace.');
  }

  async #getView(planId: string, decisionId: string): Promise<DecisionView> {
    const row = (await this.#repo.listDecisions(planId, {})).find((r) => r.id === decisionId);
    if (!row) throw notFound('Decision');
    return this.#toView(row);
  }

  #toView(row: Decision & { owner_name: string; decider_name: string }): DecisionView {
    return {
      id: row.id,
      planId: row.plan_id,
      title: row.title,
      rationale: row.rationale,
      owner: { id: row.owner_id, name: row.owner_name },
      dueDate: row.due_date,
      status: row.status,
      overdue: !CLOSED_STATUSES.has(row.status) && row.due_date < today(this.#now()),
      links: JSON.parse(row.links) as DecisionView['links'],
      cycle: row.cycle,
      decidedBy: { id: row.decided_by, name: row.decider_name },
      decidedAt: row.decided_at,
      updatedAt: row.updated_at,
    };
  }

  /** Writes the decision into the document's server-only root, so everyone in the plan sees it live. */
  async #mirror(view: DecisionView): Promise<void> {
    const room = await this.#documents.open(view.planId);
    await room.applyServerChange(
      (doc) => {
        const entry = new Y.Map<unknown>();
        for (const [field, value] of Object.entries({ ...view, overdue: undefined })) if (value !== undefined) entry.set(field, value);
        doc.getMap<Y.Map<unknown>>('decisions').set(view.id, entry);
      },
      {
        kind: 'decision',
        summary: `Decision “${view.title}”: ${STATUS_WORDS[view.status]}, owner ${view.owner.name}, due ${view.dueDate}`,
      },
    );
  }
}

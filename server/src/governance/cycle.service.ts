import * as Y from 'yjs';
import {
  actionRolesText,
  ErrorCode,
  mayAct,
  mayOwnStage,
  stageClosing,
  stagesToLock,
  STAGE_LABELS,
  STAGES,
  type CycleEventView,
  type CycleResponse,
  type Role,
  type SnapshotView,
  type Stage,
} from '@accord/protocol';
import { rollHorizon } from '@accord/plan-model';
import { randomId } from '../db/ids.ts';
import { nowIso } from '../db/database.ts';
import type { Plan } from '../db/schema.ts';
import { HttpError } from '../errors.ts';
import type { PlanService } from '../plans/plan.service.ts';
import type { PlanRepository } from '../plans/plan.repository.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import type { GovernanceRepository } from './governance.repository.ts';
import { dayWords, type Notifier } from './notifier.ts';
import type { SnapshotService } from './snapshot.service.ts';
import { planLockedError, stageOf } from './plan-lock.ts';
import { today } from './decision.service.ts';

/** The stages that have an owner and a due date: every one but `locked`. */
const WORKING_STAGES = STAGES.filter((s) => s !== 'locked');

const label = (stage: Stage) => STAGE_LABELS[stage];

/** "a, b and c" */
function listing(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}

/** The stage before `stage` (data gathering has none: itself). */
function previousStage(stage: Stage): Stage {
  return STAGES[Math.max(0, STAGES.indexOf(stage) - 1)]!;
}

/** The same day one month later (the 31st of January becomes the last day of February). */
export function nextMonthDate(date: string): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const first = new Date(Date.UTC(year, month, 1));
  const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  first.setUTCDate(Math.min(day, lastDay));
  return first.toISOString().slice(0, 10);
}

/**
 * The monthly cycle of a plan (DESIGN.md §1): its current stage lives in the document
 * (`meta.cycleStage`, set only by the server) and is mirrored into the plan row for listings;
 * owners and due dates of stages are in SQL, and what happened to the cycle (closes, reopens with
 * their reason, the lock, the next cycle) in `cycle_events` and the audit log. Stages close one at
 * a time; the leader may reopen the last closed one; locking the consensus is the executive
 * stage's act, and a locked plan changes only by starting the next cycle. Every stage change is
 * made inside the document change, so it is judged against the stage as it is then.
 */
export class CycleService {
  readonly #repo: GovernanceRepository;
  readonly #plans: PlanService;
  readonly #planRows: PlanRepository;
  readonly #users: UserRepository;
  readonly #documents: DocumentRegistry;
  readonly #snapshots: SnapshotService;
  readonly #notifier: Notifier;
  readonly #now: () => Date;

  constructor(deps: {
    repo: GovernanceRepository;
    plans: PlanService;
    planRows: PlanRepository;
    users: UserRepository;
    documents: DocumentRegistry;
    snapshots: SnapshotService;
    notifier: Notifier;
    now?: () => Date;
  }) {
    this.#repo = deps.repo;
    this.#plans = deps.plans;
    this.#planRows = deps.planRows;
    this.#users = deps.users;
    this.#documents = deps.documents;
    this.#snapshots = deps.snapshots;
    this.#notifier = deps.notifier;
    this.#now = deps.now ?? (() => new Date());
  }

  async get(userId: string, planId: string): Promise<CycleResponse> {
    const { plan } = await this.#plans.getPlanForUser(userId, planId);
    return this.#view(plan);
  }

  /** Sets one stage's owner and due date (leaders and admins); see `setStages`. */
  async setStage(userId: string, planId: string, stage: string, ownerId: string | null, dueDate: string | null): Promise<CycleResponse> {
    if (!(STAGES as readonly string[]).includes(stage))
      throw new HttpError(404, ErrorCode.notFound, `No stage ${stage}; stages are ${STAGES.join(', ')}.`);
    return this.setStages(userId, planId, [{ stage: stage as Stage, ownerId, dueDate }]);
  }

  /**
   * Sets owners and due dates of stages (leaders and admins), checked together with the stages not
   * named: an owner is a member of the workspace, and due dates follow the stages' order.
   */
  async setStages(
    userId: string,
    planId: string,
    changes: { stage: Stage; ownerId: string | null; dueDate: string | null }[],
  ): Promise<CycleResponse> {
    const { plan, role } = await this.#plans.getPlanForUser(userId, planId);
    if (!mayAct(role, 'planCycle'))
      throw new HttpError(
        403,
        ErrorCode.forbidden,
        `Setting stage owners and due dates is for ${actionRolesText('planCycle')}; you are ${role}.`,
      );
    const members = new Map((await this.#users.listMembers(plan.workspace_id)).map((m) => [m.userId, m]));
    for (const change of changes) {
      if (change.stage === 'locked') throw new HttpError(400, ErrorCode.badRequest, 'The locked stage has no owner or due date.');
      if (change.ownerId === null) continue;
      const owner = members.get(change.ownerId);
      if (!owner)
        throw new HttpError(400, ErrorCode.badRequest, `ownerId: the owner of ${label(change.stage)} must be a member of this workspace.`);
      if (!mayOwnStage(owner.role as Role))
        throw new HttpError(
          400,
          ErrorCode.badRequest,
          `ownerId: ${owner.name} is a ${owner.role} and cannot change the plan, so cannot own ${label(change.stage)}; choose a planner, a leader or an admin.`,
        );
    }
    const current = new Map((await this.#repo.listStages(planId)).map((r) => [r.stage, r.due_date]));
    const due = new Map<Stage, string | null>(WORKING_STAGES.map((s) => [s, current.get(s) ?? null]));
    for (const change of changes) due.set(change.stage, change.dueDate);
    // Due dates follow the stages: none may be due before a stage that comes earlier in the cycle.
    let latest: { stage: Stage; date: string } | undefined;
    for (const stage of WORKING_STAGES) {
      const date = due.get(stage);
      if (!date) continue;
      if (latest && date < latest.date)
        throw new HttpError(
          400,
          ErrorCode.badRequest,
          `dueDate: due dates follow the stages, so ${label(stage)} (due ${date}) cannot be due before ${label(latest.stage)} (due ${latest.date}).`,
        );
      latest = { stage, date };
    }
    await this.#repo.upsertStages(planId, changes);
    await this.#audit(userId, 'cycle.plan-stages', planId, {
      stages: changes.map((c) => ({ stage: c.stage, owner: c.ownerId && members.get(c.ownerId)?.name, dueDate: c.dueDate })),
    });
    return this.#view(plan);
  }

  /**
   * Closes the current stage (leaders): its sections become read-only for everyone but leaders,
   * and the next stage opens (its owner hears of it). With `expected`, refused when the plan has
   * moved to another stage meanwhile. The executive stage is closed by locking the consensus.
   */
  async close(userId: string, planId: string, expected?: Stage): Promise<CycleResponse> {
    const { plan } = await this.#requireMover(userId, planId);
    const room = await this.#documents.open(planId);
    let closed: Stage = 'data-gathering';
    await room.applyServerChange(
      (doc) => {
        closed = stageOf(doc);
        if (expected !== undefined && expected !== closed)
          throw new HttpError(
            409,
            ErrorCode.conflict,
            `The plan is at ${label(closed)} now, not ${label(expected)}; look again before closing.`,
          );
        if (closed === 'locked') throw planLockedError('closing a stage');
        if (closed === 'executive') throw new HttpError(409, ErrorCode.conflict, 'The executive meeting closes by locking the consensus.');
        doc.getMap<unknown>('meta').set('cycleStage', stageClosing(closed)!.next);
      },
      { userId, kind: 'cycle', summary: `Closed ${label(expected ?? stageOf(room.doc))}` },
    );
    const next = stageClosing(closed)!.next;
    await this.#afterChange(plan, room.doc, userId, [{ action: 'close', stage: closed, reason: null }], next);
    return this.#view(plan);
  }

  /**
   * Reopens the last closed stage (leaders), with the reason on record (cycle bar and audit log):
   * the cycle goes back to it and its sections open again. A locked consensus is not reopened:
   * the next cycle starts instead (DESIGN.md §1: nothing writes a locked plan until then).
   */
  async reopen(userId: string, planId: string, reason: string): Promise<CycleResponse> {
    const { plan } = await this.#requireMover(userId, planId);
    const room = await this.#documents.open(planId);
    let reopened: Stage = 'data-gathering';
    await room.applyServerChange(
      (doc) => {
        const stage = stageOf(doc);
        if (stage === 'locked')
          throw new HttpError(
            409,
            ErrorCode.planLocked,
            'The consensus of this cycle is locked and stays as agreed; start the next cycle to plan again.',
          );
        const index = STAGES.indexOf(stage);
        if (index === 0) throw new HttpError(409, ErrorCode.conflict, 'No stage of this cycle is closed yet.');
        reopened = STAGES[index - 1]!;
        doc.getMap<unknown>('meta').set('cycleStage', reopened);
      },
      { userId, kind: 'cycle', summary: `Reopened ${label(previousStage(stageOf(room.doc)))}: ${reason}` },
    );
    await this.#afterChange(plan, room.doc, userId, [{ action: 'reopen', stage: reopened, reason }], reopened);
    return this.#view(plan);
  }

  /**
   * Locks the consensus (leaders): the act of the executive stage. From an earlier stage only with
   * `closeRemaining` (the stages still open are closed on record, then the plan is locked);
   * otherwise 409. The stage is set to locked first, inside the document change, so no edit lands
   * between the snapshot and the lock; if storing the snapshot fails, the stage is set back.
   */
  async lock(userId: string, planId: string, name: string, closeRemaining: boolean): Promise<SnapshotView> {
    const { plan, role } = await this.#plans.getPlanForUser(userId, planId);
    if (!mayAct(role, 'lockConsensus'))
      throw new HttpError(403, ErrorCode.forbidden, `Locking the consensus is for ${actionRolesText('lockConsensus')}; you are ${role}.`);
    const room = await this.#documents.open(planId);
    let from: Stage = 'executive';
    await room.applyServerChange(
      (doc) => {
        from = stageOf(doc);
        if (from === 'locked')
          throw new HttpError(
            409,
            ErrorCode.planLocked,
            'The consensus of this cycle is locked already; start the next cycle to plan again.',
          );
        if (from !== 'executive' && !closeRemaining) {
          const remaining = stagesToLock(from).map(label);
          throw new HttpError(
            409,
            ErrorCode.conflict,
            `Locking the consensus is the act of the executive meeting, and the plan is at ${label(from)}. Close the stages one at a time, or close ${listing(remaining)} and lock in one step.`,
          );
        }
        doc.getMap<unknown>('meta').set('cycleStage', 'locked');
      },
      { userId, kind: 'cycle', summary: `Locked the consensus as “${name}”` },
    );
    let snapshot: SnapshotView;
    try {
      await room.flush();
      snapshot = await this.#snapshots.record(userId, planId, name, Y.encodeStateAsUpdate(room.doc));
    } catch (e: unknown) {
      await room.applyServerChange((doc) => doc.getMap<unknown>('meta').set('cycleStage', from), {
        userId,
        kind: 'cycle',
        summary: `Lock undone: the snapshot “${name}” could not be stored`,
      });
      throw e;
    }
    const closes = stagesToLock(from)
      .filter((s) => s !== 'executive')
      .map((stage) => ({ action: 'close' as const, stage, reason: null }));
    await this.#afterChange(plan, room.doc, userId, [...closes, { action: 'lock', stage: 'executive', reason: name }], null);
    return snapshot;
  }

  /**
   * Starts the next cycle of a locked plan (leaders): the horizon starts one bucket later, the
   * stage is data gathering again, the last locked snapshot becomes the baseline the new cycle
   * compares to, and the stages keep their owners with due dates a month later.
   */
  async roll(userId: string, planId: string): Promise<CycleResponse> {
    const { plan } = await this.#requireMover(userId, planId);
    const latest = (await this.#repo.listSnapshots(planId))[0];
    const room = await this.#documents.open(planId);
    await room.applyServerChange(
      (doc) => {
        if (stageOf(doc) !== 'locked')
          throw new HttpError(409, ErrorCode.conflict, 'Lock the consensus of this cycle before starting the next one.');
        rollHorizon(doc);
      },
      { userId, kind: 'cycle', summary: 'Started the next cycle' },
    );
    await this.#repo.setBaseline(planId, latest?.id ?? null);
    const stages = await this.#repo.listStages(planId);
    await this.#repo.upsertStages(
      planId,
      stages.filter((s) => s.due_date !== null).map((s) => ({ stage: s.stage, ownerId: s.owner_id, dueDate: nextMonthDate(s.due_date!) })),
    );
    await this.#afterChange(plan, room.doc, userId, [{ action: 'roll', stage: 'data-gathering', reason: null }], 'data-gathering');
    return this.#view(plan);
  }

  /** Records what happened, mirrors the stage into the plan row and tells the owner of the stage that opened. */
  async #afterChange(
    plan: Plan,
    doc: Y.Doc,
    userId: string,
    events: { action: CycleEventView['action']; stage: Stage; reason: string | null }[],
    opened: Stage | null,
  ): Promise<void> {
    const cycle = String(doc.getMap<unknown>('meta').get('horizonStart') ?? '');
    const stage = stageOf(doc);
    const at = nowIso(this.#now());
    for (const event of events) {
      await this.#repo.insertCycleEvent({ id: randomId(), plan_id: plan.id, cycle, user_id: userId, created_at: at, ...event });
      await this.#audit(userId, `cycle.${event.action}`, plan.id, { cycle, stage: event.stage, reason: event.reason ?? undefined });
    }
    await this.#planRows.setCycle(plan.id, cycle, stage);
    if (opened === null || opened === 'locked') return;
    const owner = (await this.#repo.listStages(plan.id)).find((s) => s.stage === opened);
    if (!owner?.owner_id) return;
    const reopened = events.some((e) => e.action === 'reopen');
    await this.#notifier.notify([
      {
        userId: owner.owner_id,
        planId: plan.id,
        kind: 'stage-opened',
        subjectId: opened,
        actorId: userId,
        text: `${label(opened)} of ${plan.name} (cycle ${cycle}) is ${reopened ? 'reopened' : 'open'}; you own it${owner.due_date ? `, due ${dayWords(owner.due_date)}` : ''}.`,
      },
    ]);
  }

  async #view(stale: Plan): Promise<CycleResponse> {
    // Read the row again: the action that preceded may have changed it (baseline, stage mirror).
    const plan = (await this.#planRows.findById(stale.id)) ?? stale;
    const room = await this.#documents.open(plan.id);
    const stage = stageOf(room.doc);
    const cycle = String(room.doc.getMap<unknown>('meta').get('horizonStart') ?? '');
    // Plans made before the stage was mirrored into their row (or by the seed) get it on first read.
    if (plan.cycle_stage !== stage || plan.cycle !== cycle) await this.#planRows.setCycle(plan.id, cycle, stage);
    const rows = new Map((await this.#repo.listStages(plan.id)).map((r) => [r.stage, r]));
    const current = STAGES.indexOf(stage);
    const day = today(this.#now());
    const events = await this.#repo.listCycleEvents(plan.id, cycle);
    const latest = stage === 'locked' ? (await this.#repo.listSnapshots(plan.id))[0] : undefined;
    return {
      cycle,
      stage,
      baselineSnapshotId: plan.baseline_snapshot_id,
      stages: STAGES.map((s, i) => {
        const row = rows.get(s);
        const closed = i < current;
        const dueDate = row?.due_date ?? null;
        return {
          stage: s,
          owner: row?.owner_id ? { id: row.owner_id, name: row.owner_name ?? '' } : null,
          dueDate,
          closed,
          overdue: !closed && s !== 'locked' && dueDate !== null && dueDate < day,
        };
      }),
      events: events.map((e) => ({
        action: e.action,
        stage: e.stage as Stage,
        reason: e.reason,
        by: e.user_id ? { id: e.user_id, name: e.user_name ?? '' } : null,
        at: e.created_at,
      })),
      lockedSnapshot: latest
        ? { id: latest.id, name: latest.name, lockedBy: { id: latest.locked_by, name: latest.locked_by_name }, lockedAt: latest.locked_at }
        : null,
    };
  }

  async #requireMover(userId: string, planId: string): Promise<{ plan: Plan; role: Role }> {
    const access = await this.#plans.getPlanForUser(userId, planId);
    if (!mayAct(access.role, 'moveCycle'))
      throw new HttpError(403, ErrorCode.forbidden, `Moving the cycle is for ${actionRolesText('moveCycle')}; you are ${access.role}.`);
    return access;
  }

  #audit(userId: string, action: string, target: string, details: unknown): Promise<void> {
    return this.#users.insertAudit({ actor: `user:${userId}`, action, target, details, created_at: nowIso(this.#now()) });
  }
}

import { actionRolesText, ErrorCode, mayAct, closedSections, isStage, STAGES, type CycleResponse, type Stage } from '@accord/protocol';
import { rollHorizon } from '@accord/plan-model';
import { HttpError } from '../errors.ts';
import type { PlanService } from '../plans/plan.service.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import type { GovernanceRepository } from './governance.repository.ts';

/**
 * The monthly cycle of a plan: its current stage lives in the document (`meta.cycleStage`, set
 * only by the server), owners and due dates of stages in SQL. Leaders advance the stage; past
 * stages close their sections for everyone but leaders (enforced by the sync guard).
 */
export class CycleService {
  readonly #repo: GovernanceRepository;
  readonly #plans: PlanService;
  readonly #users: UserRepository;
  readonly #documents: DocumentRegistry;

  constructor(repo: GovernanceRepository, plans: PlanService, users: UserRepository, documents: DocumentRegistry) {
    this.#repo = repo;
    this.#plans = plans;
    this.#users = users;
    this.#documents = documents;
  }

  async get(userId: string, planId: string): Promise<CycleResponse> {
    const { plan } = await this.#plans.getPlanForUser(userId, planId);
    const room = await this.#documents.open(planId);
    const meta = room.doc.getMap<unknown>('meta');
    const raw = meta.get('cycleStage');
    const stage: Stage = isStage(raw) ? raw : 'data-gathering';
    const rows = new Map((await this.#repo.listStages(planId)).map((r) => [r.stage, r]));
    const closed = new Set(closedSections(stage));
    const current = STAGES.indexOf(stage);
    return {
      cycle: String(meta.get('horizonStart') ?? ''),
      stage,
      baselineSnapshotId: plan.baseline_snapshot_id,
      stages: STAGES.map((s, i) => {
        const row = rows.get(s);
        return {
          stage: s,
          owner: row?.owner_id ? { id: row.owner_id, name: row.owner_name ?? '' } : null,
          dueDate: row?.due_date ?? null,
          closed: i < current || (stage === 'locked' && closed.size > 0),
        };
      }),
    };
  }

  async setStage(userId: string, planId: string, stage: string, ownerId: string | null, dueDate: string | null): Promise<CycleResponse> {
    const { plan } = await this.#requireLeader(userId, planId);
    if (!isStage(stage)) throw new HttpError(404, ErrorCode.notFound, `No stage ${stage}; stages are ${STAGES.join(', ')}.`);
    if (ownerId && !(await this.#users.findRole(ownerId, plan.workspace_id))) {
      throw new HttpError(400, ErrorCode.badRequest, 'ownerId: the owner must be a member of this workspace.');
    }
    await this.#repo.upsertStage(planId, stage, ownerId, dueDate);
    return this.get(userId, planId);
  }

  /** Moves to the next stage, up to the executive meeting; locking is done by locking a snapshot. */
  async advance(userId: string, planId: string): Promise<CycleResponse> {
    await this.#requireLeader(userId, planId);
    const current = (await this.get(userId, planId)).stage;
    const next = STAGES[STAGES.indexOf(current) + 1];
    if (current === 'executive' || next === undefined) {
      throw new HttpError(
        409,
        ErrorCode.conflict,
        current === 'locked' ? 'The cycle is locked; roll to the next cycle.' : 'Lock the consensus to close the executive stage.',
      );
    }
    const room = await this.#documents.open(planId);
    await room.applyServerChange((doc) => doc.getMap<unknown>('meta').set('cycleStage', next));
    return this.get(userId, planId);
  }

  /**
   * Rolls a locked plan to the next cycle: the horizon starts one bucket later, the stage is data
   * gathering again, and the last locked snapshot becomes the baseline the new cycle compares to.
   */
  async roll(userId: string, planId: string): Promise<CycleResponse> {
    await this.#requireLeader(userId, planId);
    const cycle = await this.get(userId, planId);
    if (cycle.stage !== 'locked') throw new HttpError(409, ErrorCode.conflict, 'Lock the consensus before rolling to the next cycle.');
    const latest = (await this.#repo.listSnapshots(planId))[0];
    const room = await this.#documents.open(planId);
    await room.applyServerChange((doc) => rollHorizon(doc));
    await this.#repo.setBaseline(planId, latest?.id ?? null);
    return this.get(userId, planId);
  }

  async #requireLeader(userId: string, planId: string) {
    const access = await this.#plans.getPlanForUser(userId, planId);
    if (!mayAct(access.role, 'moveCycle'))
      throw new HttpError(403, ErrorCode.forbidden, `Moving the cycle is for ${actionRolesText('moveCycle')}; you are ${access.role}.`);
    return access;
  }
}

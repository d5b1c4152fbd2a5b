import type * as Y from 'yjs';
import { Worker } from 'node:worker_threads';
import { seasonLengthFor, type GroupForecast } from '@accord/forecast';
import { addBuckets, bucketRange, cellKey, type PlanMeta } from '@accord/plan-calc';
import { getMeta, valueMap } from '@accord/plan-model';
import {
  ACTION_ROLES,
  actionRolesText,
  ErrorCode,
  mayAct,
  type BaselineCellChange,
  type BaselineChangeDetail,
  type BaselineChangeList,
  type BaselineChangeRecord,
  type BaselineProductFit,
  type BaselineRunRequest,
  type BaselineShapeChange,
  type BaselineStatus,
  type BaselineTrigger,
  type ForecastShape,
  type Role,
} from '@accord/protocol';
import { randomId } from '../db/ids.ts';
import { HttpError, notFound } from '../errors.ts';
import { assertPlanWritable, stageOf } from '../governance/plan-lock.ts';
import type { Logger } from '../logger.ts';
import type { PlanService } from '../plans/plan.service.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import { fitNote, forecastShape, trendOf } from './baseline-notes.ts';
import type { ForecastJob, ForecastWorkerMessage } from './forecast-worker.ts';
import type { BaselineRepository, EndedRun, Lease, StoredChange } from './baseline.repository.ts';
import { workerUrl } from '../worker-url.ts';

/** Roles that may start the baseline job by hand or restore the values before a change (it also starts after an actuals import). */
export const BASELINE_ROLES: readonly Role[] = ACTION_ROLES.runBaseline;

// The worker reports progress every this many products (one `auto` fit takes about 1–2 ms).
const CHUNK_PRODUCTS = 25;
/**
 * How long an instance's lease on a plan's baseline lasts unless renewed (it renews every third of
 * it while the run goes on): a run whose instance died is taken over within about this long plus a
 * third. Long enough that a busy event loop does not lose it, short enough that nobody waits long.
 */
export const DEFAULT_BASELINE_LEASE_MS = 15_000;
// A change record lists this many of its biggest cell changes (the notice shows them; the rest is one click away).
const BIGGEST_CHANGES = 10;

/** One product's series as the job reads it. */
interface SeriesInput {
  productId: string;
  productName: string;
  familyId: string | undefined;
  familyName: string | undefined;
  firstBucket: string;
  /** Index of the first bucket among the plan's history buckets. */
  start: number;
  values: number[];
  integers: boolean;
}

/** What a run was asked for with. */
interface RunRequest {
  trigger: BaselineTrigger;
  seasonLength: number | 'auto';
}

/**
 * Whether this instance runs a plan's baseline: 'claimed' (it holds the plan's lease), or 'held'
 * (another instance holds it; a run asked for here waits there).
 */
type Claim = 'claimed' | 'held';

/** A run started by this process. */
interface JobState {
  status: BaselineStatus;
  /** The fits of the last run this process finished (also stored). */
  fits: Map<string, BaselineProductFit>;
  request: RunRequest;
  /** Set when a new run is asked for while one runs: it starts again on the newest actuals. */
  rerun: RunRequest | undefined;
  /** Settles once the run's start is recorded with the plan's lease, or queued for the instance that holds it. */
  recorded: Promise<Claim>;
  done: Promise<void>;
  /** Aborted when another instance took the lease over (this one stopped renewing it in time). */
  lost: AbortController;
}

/** How the service finds a user's name for its records. */
export interface UserNames {
  findUserById(id: string): Promise<{ name: string } | undefined>;
}

const finiteOrNull = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? value : null);

/** The history series of a product: leading buckets with no actual are dropped, gaps inside count as 0. */
export function historySeries(
  actuals: Y.Map<number>,
  productId: string,
  buckets: string[],
): Pick<SeriesInput, 'firstBucket' | 'start' | 'values' | 'integers'> | undefined {
  const raw = buckets.map((b) => actuals.get(cellKey(productId, b)));
  const first = raw.findIndex((v) => typeof v === 'number');
  if (first < 0) return undefined;
  const values = raw.slice(first).map((v) => (typeof v === 'number' ? v : 0));
  return { firstBucket: buckets[first]!, start: first, values, integers: values.every(Number.isInteger) };
}

/** A forecast value as stored: whole units when the history is in whole units, else two decimals. */
function stored(value: number, integers: boolean): number {
  return integers ? Math.round(value) : Math.round(value * 100) / 100;
}

/** Position of a bucket in its yearly season: month of the year − 1, or ISO week − 1 (week 53 joins week 1). */
export function seasonPositionOf(bucket: string, seasonLength: number): number {
  const week = /^\d{4}-W(\d{2})$/.exec(bucket);
  const month = /^\d{4}-(\d{2})$/.exec(bucket);
  const position = week ? Number(week[1]) - 1 : month ? Number(month[1]) - 1 : 0;
  return seasonLength > 1 ? position % seasonLength : 0;
}

/** Whether a plan document's cycle is locked: nothing writes the live plan until the next cycle. */
function isLocked(doc: Y.Doc): boolean {
  return stageOf(doc) === 'locked';
}

/**
 * The statistical baseline job: forecasts every active product from its sales actuals with
 * @accord/forecast (products of a family borrow its pooled seasonal profile when their own history is
 * short) and writes the changed `statistical` cells of the horizon. Fits in a worker thread so the
 * sync loop stays responsive. Each run's status and the last finished run's per-product fits are
 * stored, so they outlive a restart, and a run that a restart interrupted is started again
 * (`resumeInterrupted`). `stop` ends running fits at shutdown without recording them as failed: they
 * stay "running" on record, so the next start, or another instance, runs them again.
 *
 * Instances sharing a database run a plan's baseline once (#19): the instance that runs it holds a
 * lease on the plan's `baseline_runs` row (its id and an expiry by the database's clock), renewed
 * while the run goes on and checked once more before the result is written. A run asked for on
 * another instance meanwhile is queued on the row for the holder to run next. Every instance looks
 * for runs marked running whose lease lapsed (`watch`) and takes them over, so a run cut short by
 * an instance dying is finished by another.
 *
 * No change is silent: a run that changes cells leaves a change record (what started it, how many
 * cells, the biggest changes, products whose forecast changed shape) with every cell's value before
 * and after, and the fits it replaced. The roles that may start a run may restore the values from
 * before the latest change (`restore`), which is itself recorded and can be undone the same way.
 * Nothing is written while the plan's consensus is locked.
 */
export class BaselineService {
  readonly #plans: PlanService;
  readonly #documents: DocumentRegistry;
  readonly #runs: BaselineRepository;
  readonly #log: Logger;
  readonly #users: UserNames | undefined;
  readonly #jobs = new Map<string, JobState>();
  readonly #now: () => Date;
  /** Aborted by `stop`: running fits end and no run starts any more. */
  readonly #stopping = new AbortController();
  /** Runs asked for during the stop, being put on record for the next start. */
  readonly #deferred = new Set<Promise<void>>();
  /** This instance's lease on the plans whose baseline it runs. */
  readonly #lease: Lease;
  #watch: NodeJS.Timeout | undefined;

  constructor(
    plans: PlanService,
    documents: DocumentRegistry,
    runs: BaselineRepository,
    log: Logger,
    options: {
      users?: UserNames;
      now?: () => Date;
      /** This instance's id as lease owner (the fan-out's, so logs of both name the same instance). */
      instanceId?: string;
      leaseMs?: number;
    } = {},
  ) {
    this.#plans = plans;
    this.#documents = documents;
    this.#runs = runs;
    this.#log = log;
    this.#users = options.users;
    this.#now = options.now ?? (() => new Date());
    this.#lease = { owner: options.instanceId ?? randomId(), ms: options.leaseMs ?? DEFAULT_BASELINE_LEASE_MS };
  }

  /**
   * The job status of a plan the user may read: of the run this process knows, unless the stored
   * one is of a later run (another instance's, whose progress it stores as it renews its lease).
   */
  async status(userId: string, planId: string): Promise<BaselineStatus> {
    await this.#plans.getPlanForUser(userId, planId);
    const job = this.#jobs.get(planId);
    const stored = await this.#runs.findStatus(planId);
    if (job && (!stored || (stored.startedAt ?? '') <= (job.status.startedAt ?? ''))) return this.#statusOf(planId);
    return stored ?? emptyStatus();
  }

  /**
   * Takes over every run marked running that no live instance holds (cut short by a stop or a crash
   * of this or another instance), for what started it or what was queued for it; one instance wins
   * each. Resolves with the plans it looked at.
   */
  async resumeInterrupted(): Promise<string[]> {
    const lapsed = await this.#runs.lapsedRuns(this.#lease.owner);
    for (const run of lapsed) {
      const status = run.status;
      const request = parseQueued(run.queued) ?? {
        trigger: status.trigger ?? { type: 'restart', at: this.#now().toISOString() },
        seasonLength: status.seasonLengthAuto === false && status.seasonLength ? status.seasonLength : 'auto',
      };
      this.#begin(run.planId, request, 'resume');
    }
    return lapsed.map((run) => run.planId);
  }

  /**
   * Resumes interrupted runs now and then looks again every third of the lease (at start-up, until
   * `stop`): a run whose instance died is taken over once its lease has lapsed.
   */
  watch(): void {
    if (this.#watch || this.#stopping.signal.aborted) return;
    let looking = false;
    const look = () => {
      if (looking || this.#stopping.signal.aborted) return;
      looking = true;
      this.resumeInterrupted()
        .catch((e: unknown) => this.#log.error({ err: e }, 'looking for interrupted baseline runs failed'))
        .finally(() => (looking = false));
    };
    look();
    this.#watch = setInterval(look, Math.max(100, this.#lease.ms / 3));
    this.#watch.unref();
  }

  /** Starts the job on request (operations, leaders, admins); 409 while the plan is locked. */
  async request(userId: string, planId: string, body: BaselineRunRequest = { seasonLength: 'auto' }): Promise<BaselineStatus> {
    const { role } = await this.#plans.getPlanForUser(userId, planId);
    if (!mayAct(role, 'runBaseline'))
      throw new HttpError(403, ErrorCode.forbidden, `Recomputing the baseline is for ${actionRolesText('runBaseline')}; you are ${role}.`);
    if (!this.#stopping.signal.aborted) assertPlanWritable((await this.#documents.open(planId)).doc, 'a baseline run');
    const trigger: BaselineTrigger = { type: 'request', at: this.#now().toISOString(), userId, userName: await this.#nameOf(userId) };
    if (!this.start(planId, trigger, body.seasonLength))
      throw new HttpError(503, ErrorCode.unavailable, 'The server is shutting down; the baseline is recomputed when it is back.');
    // Answered once the run's start is stored (a failure to store it is logged), so a restart from
    // now on resumes it; when another instance runs the plan's baseline, with the status it stores.
    const claim = await this.#jobs.get(planId)?.recorded.catch(() => undefined);
    if (claim === 'held') return (await this.#runs.findStatus(planId)) ?? this.#statusOf(planId);
    return this.#statusOf(planId);
  }

  /** How one product's baseline was fitted in the last run. */
  async productFit(userId: string, planId: string, productId: string): Promise<BaselineProductFit> {
    await this.#plans.getPlanForUser(userId, planId);
    // Stored first: the last run may have been another instance's.
    const fit = (await this.#runs.findFit(planId, productId)) ?? this.#jobs.get(planId)?.fits.get(productId);
    if (!fit) throw notFound(`A baseline fit of product ${productId}`);
    return fit;
  }

  /** The plan's last changes to its statistical layer, newest first, with whether the caller may restore each. */
  async changes(userId: string, planId: string): Promise<BaselineChangeList> {
    const { role } = await this.#plans.getPlanForUser(userId, planId);
    const stored = await this.#runs.listChanges(planId);
    const locked = isLocked((await this.#documents.open(planId)).doc);
    const running = await this.#runningAnywhere(planId);
    return { changes: stored.map((change, i) => this.#withRestoreRule(change, i === 0, role, locked, running)) };
  }

  /** One change with every cell it wrote, to compare the values before and after. */
  async change(userId: string, planId: string, changeId: string): Promise<BaselineChangeDetail> {
    const { role } = await this.#plans.getPlanForUser(userId, planId);
    const [stored, cells, latest] = await Promise.all([
      this.#runs.findChange(planId, changeId),
      this.#runs.findChangeCells(planId, changeId),
      this.#runs.listChanges(planId).then((list) => list[0]?.id),
    ]);
    if (!stored || !cells) throw notFound('That baseline change');
    const locked = isLocked((await this.#documents.open(planId)).doc);
    const running = await this.#runningAnywhere(planId);
    return { ...this.#withRestoreRule(stored, latest === changeId, role, locked, running), cells };
  }

  /**
   * Puts back the statistical values from before the plan's latest change (a run, or a restore),
   * where the cells still hold what that change wrote, and the fits that were current then; records
   * the restore as a change of its own. 403 for roles that may not run the baseline, 404 for an
   * unknown change, 409 while a run is going, for an older or already restored change, or a locked plan.
   */
  async restore(userId: string, planId: string, changeId: string): Promise<BaselineChangeRecord> {
    const { role } = await this.#plans.getPlanForUser(userId, planId);
    if (!mayAct(role, 'runBaseline'))
      throw new HttpError(403, ErrorCode.forbidden, `Restoring the baseline is for ${actionRolesText('runBaseline')}; you are ${role}.`);
    const target = await this.#runs.findChange(planId, changeId);
    if (!target) throw notFound('That baseline change');
    const latest = (await this.#runs.listChanges(planId))[0]?.id === changeId;
    const refusal = this.#restoreRefusal(target, latest, await this.#runningAnywhere(planId));
    if (refusal) throw new HttpError(409, ErrorCode.conflict, refusal);
    const cells = (await this.#runs.findChangeCells(planId, changeId)) ?? [];
    const startedAt = this.#now().toISOString();
    const room = await this.#documents.open(planId);
    const written: BaselineCellChange[] = [];
    let skipped = 0;
    const names = new Map<string, string>();
    const before = new Map<string, (number | null)[]>();
    const after = new Map<string, (number | null)[]>();
    await room.applyServerChange(
      (doc) => {
        assertPlanWritable(doc, 'restoring the baseline');
        const statistical = valueMap(doc, 'statistical');
        written.length = 0;
        skipped = 0;
        for (const cell of cells) {
          const key = cellKey(cell.productId, cell.bucket);
          const current = statistical.get(key);
          // A cell that no longer holds what the change wrote was changed since; it is left alone.
          if ((current ?? null) !== cell.value) {
            skipped++;
            continue;
          }
          if (cell.previous === null) statistical.delete(key);
          else statistical.set(key, cell.previous);
          written.push({ productId: cell.productId, bucket: cell.bucket, previous: cell.value, value: cell.previous });
        }
        readShapes(doc, new Set(written.map((cell) => cell.productId)), written, names, before, after);
      },
      { userId, kind: 'baseline-restore', summary: () => `Statistical forecast restored to the previous run: ${written.length} cells` },
    );
    const finishedAt = this.#now().toISOString();
    const record: StoredChange = {
      id: randomId(),
      kind: 'restore',
      trigger: { type: 'restore', at: startedAt, userId, userName: await this.#nameOf(userId), restoredChangeId: changeId },
      startedAt,
      finishedAt,
      seasonLength: null,
      changedCells: written.length,
      changedProducts: new Set(written.map((cell) => cell.productId)).size,
      biggestChanges: biggest(written, names),
      shapeChanges: shapeChanges(before, after, names),
      restored: null,
    };
    await this.#runs.saveRestore(planId, changeId, { record, cells: written });
    // The fits from before the change are current again: read them from the store.
    const job = this.#jobs.get(planId);
    if (job) job.fits = new Map();
    this.#log.info({ planId, userId, changeId, restoredCells: written.length, skipped }, 'baseline change restored');
    return { ...record, restorable: false, restoreRefusal: null };
  }

  /**
   * Starts a run now, or once more after the running one (the actuals changed while it ran); when
   * another instance runs the plan's baseline, the run is queued there. Returns true when a run was
   * started or queued. Once the service is stopping, a run is only put on record for the next
   * start (or another instance), and false is returned.
   */
  start(planId: string, trigger?: BaselineTrigger, seasonLength: number | 'auto' = 'auto'): boolean {
    const request: RunRequest = {
      trigger: trigger ?? { type: 'request', at: this.#now().toISOString(), userId: null, userName: null },
      seasonLength,
    };
    return this.#begin(planId, request, 'request');
  }

  /**
   * Starts a run unless one is going here. 'request': asked for (an import, a person), queued for
   * the holder when another instance holds the lease. 'resume': taking over a lapsed run, dropped
   * when another instance got there first.
   */
  #begin(planId: string, request: RunRequest, mode: 'request' | 'resume'): boolean {
    const job = this.#jobs.get(planId);
    if (job?.status.state === 'running') {
      if (mode === 'request') job.rerun = request;
      return true;
    }
    if (this.#stopping.signal.aborted) {
      if (mode === 'request') this.#deferToNextStart(planId, request);
      return false;
    }
    const state: JobState = job ?? {
      status: emptyStatus(),
      fits: new Map(),
      request,
      rerun: undefined,
      recorded: Promise.resolve('claimed'),
      done: Promise.resolve(),
      lost: new AbortController(),
    };
    const startedAt = this.#now().toISOString();
    state.request = request;
    state.status = { ...emptyStatus(), ...requestStatus(request), state: 'running', startedAt };
    state.rerun = undefined;
    state.lost = new AbortController();
    this.#jobs.set(planId, state);
    const queue = mode === 'request' ? JSON.stringify(request) : undefined;
    state.recorded = this.#runs.claimRun(planId, state.status, startedAt, this.#lease, queue);
    state.done = state.recorded
      .then(async (claim) => {
        if (claim === 'held') return this.#leaveToHolder(planId, state, mode);
        if (mode === 'resume')
          this.#log.info(
            { planId },
            'baseline job interrupted by a restart; running it again (a stop or a crash of this or another instance)',
          );
        await this.#run(planId, state);
      })
      .catch(async (e: unknown) => {
        if (this.#stopping.signal.aborted) {
          // Still "running" on record: another instance takes it over now, or the next start does.
          await this.#runs
            .releaseLease(planId, this.#lease.owner)
            .catch((err: unknown) => this.#log.warn({ err, planId }, 'letting go of the baseline lease failed; it lapses'));
          this.#log.info({ planId }, 'baseline job stopped by the shutdown; it runs again at the next start, or on another instance');
          return;
        }
        if (state.lost.signal.aborted) {
          this.#log.warn(
            { planId },
            'another instance took the baseline run over (this one did not renew its lease in time); nothing written here',
          );
          if (this.#jobs.get(planId) === state) this.#jobs.delete(planId);
          return;
        }
        if (e instanceof HttpError && e.code === ErrorCode.planLocked)
          this.#log.info({ planId }, 'baseline not written: the plan is locked');
        else this.#log.error({ err: e, planId }, 'baseline job failed');
        state.status = {
          ...state.status,
          state: 'failed',
          finishedAt: this.#now().toISOString(),
          error: e instanceof Error ? e.message : String(e),
        };
        const ended = await this.#end(planId, () => this.#runs.saveFailed(planId, state.status, this.#now().toISOString(), this.#lease));
        // The actuals changed while it ran: that deserves a run of its own.
        this.#next(planId, state, ended);
      });
    return true;
  }

  /** Another instance holds the plan's lease: a request waits there (queued on the row); this instance keeps no job. */
  #leaveToHolder(planId: string, state: JobState, mode: 'request' | 'resume'): void {
    if (this.#jobs.get(planId) === state) this.#jobs.delete(planId);
    if (mode === 'request')
      this.#log.info({ planId }, 'another instance is running the baseline of this plan; the run asked for is queued there');
    if (state.rerun) this.#begin(planId, state.rerun, 'request');
  }

  /** Stores how a run ended and lets go of its lease; a failure to store is logged. */
  async #end(planId: string, save: () => Promise<EndedRun>): Promise<EndedRun | undefined> {
    try {
      const ended = await save();
      if (!ended.recorded) this.#log.warn({ planId }, 'another instance took the baseline lease over before this run was recorded');
      return ended;
    } catch (e: unknown) {
      this.#log.error({ err: e, planId }, 'storing the baseline status failed');
      return undefined;
    }
  }

  /** After a run: the run asked for meanwhile, here or on another instance (one run reads the newest actuals for both). */
  #next(planId: string, state: JobState, ended: EndedRun | undefined): void {
    const next = state.rerun ?? parseQueued(ended?.queued ?? null);
    if (next) this.#begin(planId, next, 'request');
  }

  /** Extends the lease while a run goes on (storing its progress); aborts the run when another instance has taken it over. */
  async #renew(planId: string, state: JobState): Promise<void> {
    try {
      if (!(await this.#runs.renewLease(planId, state.status, this.#now().toISOString(), this.#lease)))
        state.lost.abort(new Error('another instance took the baseline run over'));
    } catch (e: unknown) {
      // Probably the database is unreachable, and the run's write would fail too; the lease may lapse.
      this.#log.warn({ err: e, planId }, 'renewing the baseline lease failed');
    }
  }

  /** Resolves when the current run (if any) has ended; for tests in this process. */
  async idle(planId: string): Promise<void> {
    await this.#jobs.get(planId)?.done;
  }

  /**
   * Stops for shutdown, before the rooms and the database close: running fits are ended (their
   * workers terminated) and their leases let go, no run starts any more, and what was being
   * stored is waited for.
   */
  async stop(): Promise<void> {
    this.#stopping.abort();
    clearInterval(this.#watch);
    await Promise.all([...this.#jobs.values()].map((job) => job.done));
    await Promise.all(this.#deferred);
  }

  /**
   * Puts a run on record as running without starting it (queued for the holder when another
   * instance runs the plan's baseline): another instance or the next start runs it.
   */
  #deferToNextStart(planId: string, request: RunRequest): void {
    this.#log.info({ planId }, 'baseline job asked for during the shutdown; it runs on another instance or at the next start');
    const status: BaselineStatus = { ...emptyStatus(), ...requestStatus(request), state: 'running', startedAt: this.#now().toISOString() };
    const job = this.#jobs.get(planId);
    if (job) job.status = status;
    const recorded = (async () => {
      const claim = await this.#runs.claimRun(planId, status, this.#now().toISOString(), this.#lease, JSON.stringify(request));
      if (claim === 'claimed') await this.#runs.releaseLease(planId, this.#lease.owner);
    })().catch((e: unknown) => this.#log.error({ err: e, planId }, 'storing the baseline status failed'));
    this.#deferred.add(recorded);
    void recorded.finally(() => this.#deferred.delete(recorded));
  }

  #statusOf(planId: string): BaselineStatus {
    const status = this.#jobs.get(planId)?.status ?? emptyStatus();
    return { ...status, methods: { ...status.methods } };
  }

  async #nameOf(userId: string | null): Promise<string | null> {
    if (userId === null || !this.#users) return null;
    try {
      return (await this.#users.findUserById(userId))?.name ?? null;
    } catch (e: unknown) {
      this.#log.warn({ err: e, userId }, 'could not read a user name for the baseline record');
      return null;
    }
  }

  /** Whether a run of the plan's baseline is going, here or on another instance. */
  async #runningAnywhere(planId: string): Promise<boolean> {
    if (this.#jobs.get(planId)?.status.state === 'running') return true;
    return (await this.#runs.findStatus(planId))?.state === 'running';
  }

  /** Why a change cannot be restored now (null: it can be, by a role that may run the baseline). */
  #restoreRefusal(change: StoredChange, latest: boolean, running: boolean): string | null {
    if (running) return 'A baseline run is going; restore when it has finished.';
    if (change.restored) return 'This change was restored already.';
    if (!latest) return 'Only the latest baseline change can be restored; a later one changed the baseline since.';
    if (change.changedCells === 0) return 'This change wrote no cells.';
    return null;
  }

  #withRestoreRule(change: StoredChange, latest: boolean, role: Role, locked: boolean, running: boolean): BaselineChangeRecord {
    let refusal = this.#restoreRefusal(change, latest, running);
    if (!refusal && locked) refusal = "The plan's consensus is locked; nothing is restored until the next cycle starts.";
    if (!refusal && !mayAct(role, 'runBaseline')) refusal = `Restoring the baseline is for ${actionRolesText('runBaseline')}.`;
    return { ...change, restorable: refusal === null, restoreRefusal: refusal };
  }

  async #run(planId: string, state: JobState): Promise<void> {
    const renewal = setInterval(() => void this.#renew(planId, state), Math.max(50, this.#lease.ms / 3));
    renewal.unref();
    try {
      await this.#fitAndWrite(planId, state);
    } finally {
      clearInterval(renewal);
    }
  }

  async #fitAndWrite(planId: string, state: JobState): Promise<void> {
    // Let the request that started the job (an import, say) send its answer first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    // A stop, or another instance taking the run over, ends it.
    const stopping = AbortSignal.any([this.#stopping.signal, state.lost.signal]);
    stopping.throwIfAborted();
    const { trigger } = state.request;
    if (trigger.type !== 'restart' && trigger.userId !== null && trigger.userName === null)
      trigger.userName = await this.#nameOf(trigger.userId);
    const room = await this.#documents.open(planId);
    stopping.throwIfAborted();
    const meta = getMeta(room.doc);
    const { inputs, historyStart } = this.#readSeries(room.doc, meta);
    const horizon = bucketRange(meta.horizonStart, meta.horizonBuckets);
    const requested = state.request.seasonLength;
    const seasonLength = requested === 'auto' ? seasonLengthFor(meta.bucket) : requested;
    const seasonPosition = seasonPositionOf(historyStart, seasonLength);
    const horizonPosition = seasonPositionOf(meta.horizonStart, seasonLength);
    const values = new Map<string, number>();
    const fits = new Map<string, BaselineProductFit>();
    const methods: Record<string, number> = {};
    state.status.products = inputs.length;
    state.status.seasonLength = seasonLength;
    const results = await fitInWorker(
      {
        series: inputs.map((input) => ({ values: input.values, start: input.start, group: input.familyId })),
        horizon: horizon.length,
        seasonLength,
        seasonPosition,
        chunk: CHUNK_PRODUCTS,
      },
      (done) => (state.status.progress = Math.min(1, done / Math.max(1, inputs.length)) * 0.99),
      stopping,
    );
    const fittedAt = this.#now().toISOString();
    inputs.forEach((input, i) => {
      const result = results[i]!;
      methods[result.method] = (methods[result.method] ?? 0) + 1;
      horizon.forEach((bucket, h) => values.set(cellKey(input.productId, bucket), stored(result.forecast[h] ?? 0, input.integers)));
      fits.set(input.productId, toFit(input, result, horizon, fittedAt, { bucket: meta.bucket, horizonPosition }));
    });
    // Still this instance's run? (It may have stalled past its lease.) Then write to the room as it
    // is now (it may have been unloaded and reloaded meanwhile).
    await this.#renew(planId, state);
    stopping.throwIfAborted();
    const cells: BaselineCellChange[] = [];
    const names = new Map<string, string>();
    const before = new Map<string, (number | null)[]>();
    const after = new Map<string, (number | null)[]>();
    const current = await this.#documents.open(planId);
    await current.applyServerChange(
      (doc) => {
        assertPlanWritable(doc, 'the baseline run');
        const statistical = valueMap(doc, 'statistical');
        cells.length = 0;
        for (const [key, value] of values) {
          const previous = statistical.get(key);
          if (previous !== value) {
            statistical.set(key, value);
            const bar = key.lastIndexOf('|');
            cells.push({ productId: key.slice(0, bar), bucket: key.slice(bar + 1), previous: previous ?? null, value });
          }
        }
        readShapes(doc, new Set(cells.map((cell) => cell.productId)), cells, names, before, after);
      },
      { kind: 'baseline', summary: () => `Baseline re-run: ${cells.length} statistical cells changed` },
    );
    state.fits = fits;
    const finishedAt = this.#now().toISOString();
    const change: StoredChange | undefined =
      cells.length === 0
        ? undefined
        : {
            id: randomId(),
            kind: 'run',
            trigger,
            startedAt: state.status.startedAt ?? finishedAt,
            finishedAt,
            seasonLength,
            changedCells: cells.length,
            changedProducts: new Set(cells.map((cell) => cell.productId)).size,
            biggestChanges: biggest(cells, names),
            shapeChanges: shapeChanges(before, after, names),
            restored: null,
          };
    state.status = {
      ...state.status,
      state: 'done',
      progress: 1,
      finishedAt,
      methods,
      changedCells: cells.length,
      changeId: change?.id ?? null,
    };
    let ended: EndedRun | undefined;
    try {
      ended = await this.#runs.saveFinished(
        planId,
        state.status,
        [...fits.values()],
        finishedAt,
        change && { record: change, cells },
        this.#lease,
      );
      if (!ended.recorded) this.#log.warn({ planId }, 'another instance took the baseline lease over before this run was recorded');
    } catch (e: unknown) {
      // The forecasts are in the plan; the explanation of each fit and the change record are lost.
      this.#log.error({ err: e, planId }, 'storing the baseline fits and change record failed');
    }
    this.#log.info({ planId, products: inputs.length, changedCells: cells.length, methods, seasonLength }, 'baseline computed');
    this.#next(planId, state, ended);
  }

  /** Every non-retired product (of a non-retired family) with sales actuals over the history buckets. */
  #readSeries(doc: Y.Doc, meta: PlanMeta): { inputs: SeriesInput[]; historyStart: string } {
    const historyStart = addBuckets(meta.horizonStart, -meta.historyBuckets);
    const history = bucketRange(historyStart, meta.historyBuckets);
    const actuals = valueMap(doc, 'actuals');
    const families = doc.getMap<Y.Map<unknown>>('families');
    const inputs: SeriesInput[] = [];
    doc.getMap<Y.Map<unknown>>('products').forEach((product, productId) => {
      if (product.get('retired') === true) return;
      const familyId = product.get('familyId');
      const family = typeof familyId === 'string' ? families.get(familyId) : undefined;
      if (family?.get('retired') === true) return;
      const series = historySeries(actuals, productId, history);
      if (!series) return;
      const name = product.get('name');
      const familyName = family?.get('name');
      inputs.push({
        productId,
        productName: typeof name === 'string' ? name : productId,
        familyId: typeof familyId === 'string' ? familyId : undefined,
        familyName: typeof familyName === 'string' ? familyName : undefined,
        ...series,
      });
    });
    return { inputs: inputs.sort((a, b) => (a.productId < b.productId ? -1 : 1)), historyStart };
  }
}

/** A run queued on the plan's row by another instance (JSON of a RunRequest), or undefined. */
function parseQueued(queued: string | null): RunRequest | undefined {
  if (queued === null) return undefined;
  try {
    const request = JSON.parse(queued) as Partial<RunRequest>;
    if (request.trigger && (request.seasonLength === 'auto' || typeof request.seasonLength === 'number')) return request as RunRequest;
  } catch {
    // Unreadable: the run it stood for is dropped; the next import or request asks again.
  }
  return undefined;
}

/** The fields of a run's status that say what it was asked for. */
function requestStatus(request: RunRequest): Pick<BaselineStatus, 'trigger' | 'seasonLengthAuto' | 'seasonLength'> {
  return request.seasonLength === 'auto'
    ? { trigger: request.trigger, seasonLengthAuto: true }
    : { trigger: request.trigger, seasonLengthAuto: false, seasonLength: request.seasonLength };
}

/**
 * Reads, inside a server change, each changed product's name and its horizon values before (from the
 * change's cells) and after the change, so the record can say which forecasts changed shape.
 */
function readShapes(
  doc: Y.Doc,
  productIds: Set<string>,
  cells: readonly BaselineCellChange[],
  names: Map<string, string>,
  before: Map<string, (number | null)[]>,
  after: Map<string, (number | null)[]>,
): void {
  const meta = getMeta(doc);
  const horizon = bucketRange(meta.horizonStart, meta.horizonBuckets);
  const statistical = valueMap(doc, 'statistical');
  const products = doc.getMap<Y.Map<unknown>>('products');
  const previous = new Map(cells.map((cell) => [cellKey(cell.productId, cell.bucket), cell.previous]));
  for (const productId of productIds) {
    const name = products.get(productId)?.get('name');
    names.set(productId, typeof name === 'string' ? name : productId);
    const now = horizon.map((bucket) => statistical.get(cellKey(productId, bucket)) ?? null);
    after.set(productId, now);
    before.set(
      productId,
      horizon.map((bucket, h) => {
        const key = cellKey(productId, bucket);
        return previous.has(key) ? (previous.get(key) ?? null) : (now[h] ?? null);
      }),
    );
  }
}

/** The biggest cell changes by size, with product names. */
function biggest(cells: readonly BaselineCellChange[], names: Map<string, string>): BaselineChangeRecord['biggestChanges'] {
  const size = (cell: BaselineCellChange) => Math.abs((cell.value ?? 0) - (cell.previous ?? 0));
  return [...cells]
    .sort((a, b) => size(b) - size(a))
    .slice(0, BIGGEST_CHANGES)
    .map((cell) => ({ ...cell, productName: names.get(cell.productId) ?? cell.productId }));
}

// Seasonal → anything else is what a planner must see first; then the rest by product.
const SHAPE_ORDER: Record<string, number> = { seasonal: 0, trend: 1, flat: 2 };

/** Products whose forecast shape differs before and after a change; those that lost their season first. */
function shapeChanges(
  before: Map<string, (number | null)[]>,
  after: Map<string, (number | null)[]>,
  names: Map<string, string>,
): BaselineShapeChange[] {
  const changes: BaselineShapeChange[] = [];
  for (const [productId, values] of after) {
    const from: ForecastShape | null = forecastShape(before.get(productId) ?? []);
    const to: ForecastShape | null = forecastShape(values);
    if (from !== to) changes.push({ productId, productName: names.get(productId) ?? productId, from, to });
  }
  return changes.sort(
    (a, b) =>
      (SHAPE_ORDER[a.from ?? ''] ?? 3) - (SHAPE_ORDER[b.from ?? ''] ?? 3) ||
      (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0),
  );
}

/**
 * Fits every series in a worker thread (forecast-worker.ts), reporting progress as chunks finish.
 * Aborting `signal` terminates the worker and rejects.
 */
function fitInWorker(job: ForecastJob, onProgress: (done: number) => void, signal: AbortSignal): Promise<GroupForecast[]> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const worker = new Worker(workerUrl('forecast-worker', import.meta.url), { workerData: job });
    let settled = false;
    const onAbort = () => {
      settled = true;
      reject(signal.reason);
      void worker.terminate();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    worker.on('exit', () => signal.removeEventListener('abort', onAbort));
    worker.on('message', (message: ForecastWorkerMessage) => {
      if (message.type === 'progress') onProgress(message.done);
      else {
        settled = true;
        resolve(message.results);
      }
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the forecasting worker stopped (exit code ${code}) before it finished`));
    });
  });
}

function emptyStatus(): BaselineStatus {
  return { state: 'idle', progress: 0, startedAt: null, finishedAt: null, methods: {}, products: 0, changedCells: 0 };
}

/** A product's fit as stored and shown: the numbers, and the same in a planner's words. */
function toFit(
  input: SeriesInput,
  result: GroupForecast,
  horizon: string[],
  computedAt: string,
  plan: { bucket: string; horizonPosition: number },
): BaselineProductFit {
  const holdOut = result.holdOutError;
  const forecast = horizon.map((bucket, h) => ({ bucket, value: stored(result.forecast[h] ?? 0, input.integers) }));
  const pooled = result.pooled;
  const season: BaselineProductFit['season'] = {
    seasonLength: result.season.seasonLength,
    source: result.season.source,
    reason: result.season.reason,
    ownWeight: result.season.ownWeight,
    indices: result.season.indices,
    pooled: pooled
      ? {
          from: pooled.from === 'group' ? 'family' : 'plan',
          familyId: pooled.from === 'group' ? (input.familyId ?? null) : null,
          name: pooled.from === 'group' ? (input.familyName ?? input.familyId ?? 'its family') : 'the whole plan',
          members: pooled.profile.members,
          fStatistic: pooled.profile.fStatistic,
          pValue: pooled.profile.pValue,
        }
      : null,
    holdOut: result.season.holdOut ?? null,
  };
  const periodsPerYear = plan.bucket === 'week' ? 52 : 12;
  const trend = trendOf(result.forecast, result.season.indices, plan.horizonPosition, periodsPerYear);
  return {
    productId: input.productId,
    productName: input.productName,
    method: result.method,
    label: result.label,
    demandClass: result.demandClass,
    parameters: result.parameters,
    seasonallyAdjusted: result.seasonallyAdjusted,
    historyBuckets: input.values.length,
    firstBucket: input.firstBucket,
    forecast,
    inSampleError: { mae: finiteOrNull(result.inSampleError.mae), rmse: finiteOrNull(result.inSampleError.rmse) },
    holdOutError: holdOut
      ? {
          horizon: holdOut.horizon,
          mae: finiteOrNull(holdOut.mae),
          rmse: finiteOrNull(holdOut.rmse),
          smape: finiteOrNull(holdOut.smape),
          mase: finiteOrNull(holdOut.mase),
          wmape: finiteOrNull(holdOut.wmape),
        }
      : null,
    computedAt,
    note: fitNote({
      season,
      demandClass: result.demandClass,
      trend,
      historyBuckets: input.values.length,
      periodsWithDemand: input.values.filter((value) => value > 0).length,
      bucket: plan.bucket,
      holdOut: holdOut ? { periods: holdOut.horizon, wmape: finiteOrNull(holdOut.wmape) } : null,
    }),
    season,
    trend,
    shape: forecastShape(forecast.map((point) => point.value)) ?? 'flat',
  };
}

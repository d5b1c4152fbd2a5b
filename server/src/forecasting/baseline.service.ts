import type * as Y from 'yjs';
import { Worker } from 'node:worker_threads';
import type { ForecastResult } from '@accord/forecast';
import { addBuckets, bucketRange, cellKey, type PlanMeta } from '@accord/plan-calc';
import { getMeta, valueMap } from '@accord/plan-model';
import {
  ACTION_ROLES,
  actionRolesText,
  ErrorCode,
  mayAct,
  type BaselineProductFit,
  type BaselineStatus,
  type Role,
} from '@accord/protocol';
import { HttpError, notFound } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { PlanService } from '../plans/plan.service.ts';
import type { DocumentRegistry } from '../sync/document-registry.ts';
import type { ForecastJob, ForecastWorkerMessage } from './forecast-worker.ts';
import type { BaselineRepository } from './baseline.repository.ts';

/** Roles that may start the baseline job by hand (it also starts after an actuals import). */
export const BASELINE_ROLES: readonly Role[] = ACTION_ROLES.runBaseline;

// The worker reports progress every this many products (one `auto` fit takes about 1–2 ms).
const CHUNK_PRODUCTS = 25;
// Periods per seasonal cycle: a year of months, a year of weeks (what @accord/forecast was tuned with).
const SEASON_LENGTH = { month: 12, week: 52 } as const;

/** One product's series as the job reads it. */
interface SeriesInput {
  productId: string;
  firstBucket: string;
  values: number[];
  integers: boolean;
}

/** A run started by this process. */
interface JobState {
  status: BaselineStatus;
  /** The fits of the last run this process finished (also stored). */
  fits: Map<string, BaselineProductFit>;
  /** Set when a new run is asked for while one runs: it starts again on the newest actuals. */
  rerun: boolean;
  /** Settles once the run's start is recorded. */
  recorded: Promise<void>;
  done: Promise<void>;
}

const finiteOrNull = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? value : null);

/** The history series of a product: leading buckets with no actual are dropped, gaps inside count as 0. */
export function historySeries(actuals: Y.Map<number>, productId: string, buckets: string[]): Omit<SeriesInput, 'productId'> | undefined {
  const raw = buckets.map((b) => actuals.get(cellKey(productId, b)));
  const first = raw.findIndex((v) => typeof v === 'number');
  if (first < 0) return undefined;
  const values = raw.slice(first).map((v) => (typeof v === 'number' ? v : 0));
  return { firstBucket: buckets[first]!, values, integers: values.every(Number.isInteger) };
}

/** A forecast value as stored: whole units when the history is in whole units, else two decimals. */
function stored(value: number, integers: boolean): number {
  return integers ? Math.round(value) : Math.round(value * 100) / 100;
}

/**
 * The statistical baseline job: forecasts every active product from its sales actuals with
 * @accord/forecast and writes the changed `statistical` cells of the horizon. Fits in a worker
 * thread so the sync loop stays responsive. Each run's status and the last finished run's
 * per-product fits are stored, so they outlive a restart, and a run that a restart interrupted
 * is started again (`resumeInterrupted`). `stop` ends running fits at shutdown without recording
 * them as failed: they stay "running" on record, so the next start runs them again.
 */
export class BaselineService {
  readonly #plans: PlanService;
  readonly #documents: DocumentRegistry;
  readonly #runs: BaselineRepository;
  readonly #log: Logger;
  readonly #jobs = new Map<string, JobState>();
  readonly #now: () => Date;
  /** Aborted by `stop`: running fits end and no run starts any more. */
  readonly #stopping = new AbortController();
  /** Runs asked for during the stop, being put on record for the next start. */
  readonly #deferred = new Set<Promise<void>>();

  constructor(plans: PlanService, documents: DocumentRegistry, runs: BaselineRepository, log: Logger, now: () => Date = () => new Date()) {
    this.#plans = plans;
    this.#documents = documents;
    this.#runs = runs;
    this.#log = log;
    this.#now = now;
  }

  /** The job status of a plan the user may read: of the run this process knows, else the stored one. */
  async status(userId: string, planId: string): Promise<BaselineStatus> {
    await this.#plans.getPlanForUser(userId, planId);
    if (this.#jobs.has(planId)) return this.#statusOf(planId);
    return (await this.#runs.findStatus(planId)) ?? emptyStatus();
  }

  /** Starts again every run that was still going when the server last stopped (at start-up). */
  async resumeInterrupted(): Promise<string[]> {
    const planIds = await this.#runs.interrupted();
    for (const planId of planIds) {
      this.#log.info({ planId }, 'baseline job interrupted by a restart; running it again');
      this.start(planId);
    }
    return planIds;
  }

  /** Starts the job on request (operations, leaders, admins). */
  async request(userId: string, planId: string): Promise<BaselineStatus> {
    const { role } = await this.#plans.getPlanForUser(userId, planId);
    if (!mayAct(role, 'runBaseline'))
      throw new HttpError(403, ErrorCode.forbidden, `Recomputing the baseline is for ${actionRolesText('runBaseline')}; you are ${role}.`);
    if (!this.start(planId))
      throw new HttpError(503, ErrorCode.unavailable, 'The server is shutting down; the baseline is recomputed when it is back.');
    // Answered once the run's start is stored (a failure to store it is logged), so a restart from
    // now on resumes it.
    await this.#jobs.get(planId)?.recorded;
    return this.#statusOf(planId);
  }

  /** How one product's baseline was fitted in the last run. */
  async productFit(userId: string, planId: string, productId: string): Promise<BaselineProductFit> {
    await this.#plans.getPlanForUser(userId, planId);
    const fit = this.#jobs.get(planId)?.fits.get(productId) ?? (await this.#runs.findFit(planId, productId));
    if (!fit) throw notFound(`A baseline fit of product ${productId}`);
    return fit;
  }

  /**
   * Starts a run now, or once more after the running one (the actuals changed while it ran).
   * Returns true when a run was started or queued. Once the service is stopping, a run is only
   * put on record for the next start, and false is returned.
   */
  start(planId: string): boolean {
    const job = this.#jobs.get(planId);
    if (job?.status.state === 'running') {
      job.rerun = true;
      return true;
    }
    if (this.#stopping.signal.aborted) {
      this.#deferToNextStart(planId);
      return false;
    }
    const state: JobState = job ?? {
      status: emptyStatus(),
      fits: new Map(),
      rerun: false,
      recorded: Promise.resolve(),
      done: Promise.resolve(),
    };
    const startedAt = this.#now().toISOString();
    state.status = { ...emptyStatus(), state: 'running', startedAt };
    state.rerun = false;
    this.#jobs.set(planId, state);
    state.recorded = this.#record(planId, state.status);
    state.done = this.#run(planId, state).catch(async (e: unknown) => {
      if (this.#stopping.signal.aborted) {
        // Still "running" on record: the next start runs it again.
        this.#log.info({ planId }, 'baseline job stopped by the shutdown; it runs again at the next start');
        return;
      }
      this.#log.error({ err: e, planId }, 'baseline job failed');
      state.status = {
        ...state.status,
        state: 'failed',
        finishedAt: this.#now().toISOString(),
        error: e instanceof Error ? e.message : String(e),
      };
      await state.recorded;
      await this.#record(planId, state.status);
      // The actuals changed while it ran: that deserves a run of its own.
      if (state.rerun) this.start(planId);
    });
    return true;
  }

  /** Resolves when the current run (if any) has ended; for tests in this process. */
  async idle(planId: string): Promise<void> {
    await this.#jobs.get(planId)?.done;
  }

  /**
   * Stops for shutdown, before the rooms and the database close: running fits are ended (their
   * workers terminated), no run starts any more, and what was being stored is waited for.
   */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await Promise.all([...this.#jobs.values()].map((job) => job.done));
    await Promise.all(this.#deferred);
  }

  /** Puts a run on record as running without starting it: the next start runs it (`resumeInterrupted`). */
  #deferToNextStart(planId: string): void {
    this.#log.info({ planId }, 'baseline job asked for during the shutdown; it runs at the next start');
    const status: BaselineStatus = { ...emptyStatus(), state: 'running', startedAt: this.#now().toISOString() };
    const job = this.#jobs.get(planId);
    if (job) job.status = status;
    const recorded = this.#record(planId, status);
    this.#deferred.add(recorded);
    void recorded.finally(() => this.#deferred.delete(recorded));
  }

  #statusOf(planId: string): BaselineStatus {
    const status = this.#jobs.get(planId)?.status ?? emptyStatus();
    return { ...status, methods: { ...status.methods } };
  }

  async #run(planId: string, state: JobState): Promise<void> {
    // Let the request that started the job (an import, say) send its answer first.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const stopping = this.#stopping.signal;
    stopping.throwIfAborted();
    const room = await this.#documents.open(planId);
    stopping.throwIfAborted();
    const meta = getMeta(room.doc);
    const inputs = this.#readSeries(room.doc, meta);
    const horizon = bucketRange(meta.horizonStart, meta.horizonBuckets);
    const seasonLength = SEASON_LENGTH[meta.bucket] ?? 1;
    const values = new Map<string, number>();
    const fits = new Map<string, BaselineProductFit>();
    const methods: Record<string, number> = {};
    state.status.products = inputs.length;
    const results = await fitInWorker(
      { series: inputs.map((input) => input.values), horizon: horizon.length, seasonLength, chunk: CHUNK_PRODUCTS },
      (done) => (state.status.progress = Math.min(1, done / Math.max(1, inputs.length)) * 0.99),
      stopping,
    );
    const fittedAt = this.#now().toISOString();
    inputs.forEach((input, i) => {
      const result = results[i]!;
      methods[result.method] = (methods[result.method] ?? 0) + 1;
      horizon.forEach((bucket, h) => values.set(cellKey(input.productId, bucket), stored(result.forecast[h] ?? 0, input.integers)));
      fits.set(input.productId, toFit(input, result, horizon, fittedAt));
    });
    // Write to the room as it is now (it may have been unloaded and reloaded meanwhile).
    stopping.throwIfAborted();
    let changedCells = 0;
    const current = await this.#documents.open(planId);
    await current.applyServerChange((doc) => {
      const statistical = valueMap(doc, 'statistical');
      for (const [key, value] of values) {
        if (statistical.get(key) !== value) {
          statistical.set(key, value);
          changedCells++;
        }
      }
    });
    state.fits = fits;
    const finishedAt = this.#now().toISOString();
    state.status = { ...state.status, state: 'done', progress: 1, finishedAt, methods, changedCells };
    await state.recorded;
    try {
      await this.#runs.saveFinished(planId, state.status, [...fits.values()], finishedAt);
    } catch (e: unknown) {
      // The forecasts are in the plan; only the explanation of each fit is lost to a restart.
      this.#log.error({ err: e, planId }, 'storing the baseline fits failed');
    }
    this.#log.info({ planId, products: inputs.length, changedCells, methods }, 'baseline computed');
    if (state.rerun) this.start(planId);
  }

  /** Stores a run's status; a failure is logged and the run goes on. */
  async #record(planId: string, status: BaselineStatus): Promise<void> {
    try {
      await this.#runs.saveStatus(planId, status, this.#now().toISOString());
    } catch (e: unknown) {
      this.#log.error({ err: e, planId }, 'storing the baseline status failed');
    }
  }

  /** Every non-retired product (of a non-retired family) with sales actuals over the history buckets. */
  #readSeries(doc: Y.Doc, meta: PlanMeta): SeriesInput[] {
    const history = bucketRange(addBuckets(meta.horizonStart, -meta.historyBuckets), meta.historyBuckets);
    const actuals = valueMap(doc, 'actuals');
    const families = doc.getMap<Y.Map<unknown>>('families');
    const inputs: SeriesInput[] = [];
    doc.getMap<Y.Map<unknown>>('products').forEach((product, productId) => {
      if (product.get('retired') === true) return;
      if (families.get(String(product.get('familyId')))?.get('retired') === true) return;
      const series = historySeries(actuals, productId, history);
      if (series) inputs.push({ productId, ...series });
    });
    return inputs.sort((a, b) => (a.productId < b.productId ? -1 : 1));
  }
}

/**
 * Fits every series in a worker thread (forecast-worker.ts), reporting progress as chunks finish.
 * Aborting `signal` terminates the worker and rejects.
 */
function fitInWorker(job: ForecastJob, onProgress: (done: number) => void, signal: AbortSignal): Promise<ForecastResult[]> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const worker = new Worker(new URL('./forecast-worker.ts', import.meta.url), { workerData: job });
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

function toFit(input: SeriesInput, result: ForecastResult, horizon: string[], computedAt: string): BaselineProductFit {
  const holdOut = result.holdOutError;
  return {
    productId: input.productId,
    method: result.method,
    label: result.label,
    demandClass: result.demandClass,
    parameters: result.parameters,
    seasonallyAdjusted: result.seasonallyAdjusted,
    historyBuckets: input.values.length,
    firstBucket: input.firstBucket,
    forecast: horizon.map((bucket, h) => ({ bucket, value: stored(result.forecast[h] ?? 0, input.integers) })),
    inSampleError: { mae: finiteOrNull(result.inSampleError.mae), rmse: finiteOrNull(result.inSampleError.rmse) },
    holdOutError: holdOut
      ? {
          horizon: holdOut.horizon,
          mae: finiteOrNull(holdOut.mae),
          rmse: finiteOrNull(holdOut.rmse),
          smape: finiteOrNull(holdOut.smape),
          mase: finiteOrNull(holdOut.mase),
        }
      : null,
    computedAt,
  };
}

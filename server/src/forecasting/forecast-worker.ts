// Runs in a worker thread (see fitInWorker in baseline.service.ts): fits the statistical baseline
// of every series of a plan off the event loop, so sockets keep syncing while it runs, and reports
// progress after every chunk. Series of a family share its pooled seasonal profile (forecastGroup).
import { parentPort, workerData } from 'node:worker_threads';
import { forecastGroup, type GroupForecast, type GroupSeries } from '@accord/forecast';

/** What the baseline job hands the worker. */
export interface ForecastJob {
  /** Each product's history, where it starts on the plan's history axis, and its family. */
  series: GroupSeries[];
  horizon: number;
  seasonLength: number;
  /** Season position (calendar month − 1, or ISO week − 1) of the first history bucket. */
  seasonPosition: number;
  chunk: number;
}

/** What the worker posts back: progress after each chunk, then every result in input order. */
export type ForecastWorkerMessage = { type: 'progress'; done: number } | { type: 'done'; results: GroupForecast[] };

const job = workerData as ForecastJob;
const { results } = forecastGroup(job.series, {
  horizon: job.horizon,
  seasonLength: job.seasonLength,
  seasonPosition: job.seasonPosition,
  onProgress: (done) => {
    if (done % job.chunk === 0) parentPort!.postMessage({ type: 'progress', done } satisfies ForecastWorkerMessage);
  },
});
parentPort!.postMessage({ type: 'done', results } satisfies ForecastWorkerMessage);

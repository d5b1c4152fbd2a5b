// Runs in a worker thread (see fitInWorker in baseline.service.ts): fits the statistical baseline
// of every series of a plan off the event loop, so sockets keep syncing while it runs, and reports
// progress after every chunk.
import { parentPort, workerData } from 'node:worker_threads';
import { forecast, type ForecastResult } from '@accord/forecast';

/** What the baseline job hands the worker. */
export interface ForecastJob {
  series: number[][];
  horizon: number;
  seasonLength: number;
  chunk: number;
}

/** What the worker posts back: progress after each chunk, then every result in input order. */
export type ForecastWorkerMessage = { type: 'progress'; done: number } | { type: 'done'; results: ForecastResult[] };

const job = workerData as ForecastJob;
const results: ForecastResult[] = [];
for (let i = 0; i < job.series.length; i++) {
  results.push(forecast(job.series[i]!, { horizon: job.horizon, seasonLength: job.seasonLength }));
  if ((i + 1) % job.chunk === 0) parentPort!.postMessage({ type: 'progress', done: i + 1 } satisfies ForecastWorkerMessage);
}
parentPort!.postMessage({ type: 'done', results } satisfies ForecastWorkerMessage);

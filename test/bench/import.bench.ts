// Import benchmark: 100,000 rows of actuals (CSV, sales + production + closing stock, so 300,000
// cells) committed through the real HTTP API into a real server, each run into a fresh plan of
// 2,000 SKUs. Prints `METRIC import_100k_ms <median of 3>` (target < 3,000 ms) and the time the
// background baseline job then takes. Run: `pnpm bench:import` (about a minute).
import fs from 'node:fs';
import path from 'node:path';
import type { BaselineStatus, ImportResponse } from '@accord/protocol';
import { addMonths, monthRange } from '@accord/plan-calc';
import { runCli, startServer } from '../support/server-process.ts';
import { demoEmail, signIn } from '../support/clients.ts';
import { planOfSkus, skuId } from '../support/plans.ts';

const SKUS = 2_000;
const MONTHS = 50;
const RUNS = 3;
const HORIZON_START = '2031-01';
const TARGET_MS = 3_000;

const log = (message: string) => console.error(`[import-bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 100,000 rows: every SKU × every history month, with seasonal, noisy, whole-unit quantities. */
function buildCsv(): string {
  const months = monthRange(addMonths(HORIZON_START, -MONTHS), MONTHS);
  const lines = ['SKU,Month,Units sold,Production,Closing stock'];
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
  for (let i = 0; i < SKUS; i++) {
    const base = 200 + 3_000 * random();
    months.forEach((month, t) => {
      const season = 1 + 0.3 * Math.cos(((Number(month.slice(5)) - 7) / 12) * 2 * Math.PI);
      const sales = Math.round(base * season * (0.85 + 0.3 * random()) * (1 + t / 400));
      lines.push(`${skuId(i)},${month},${sales},${Math.round(sales * (0.95 + 0.1 * random()))},${Math.round(sales * 0.9)}`);
    });
  }
  return lines.join('\n') + '\n';
}

/** The job status; retried once when a kept-alive connection was closed while the server was busy writing. */
async function baselineStatus(url: string, planId: string, cookie: string): Promise<BaselineStatus> {
  const get = async () => (await (await fetch(`${url}/api/plans/${planId}/baseline`, { headers: { cookie } })).json()) as BaselineStatus;
  try {
    return await get();
  } catch {
    await sleep(200);
    return get();
  }
}

async function main(): Promise<void> {
  const server = await startServer();
  try {
    const admin = await signIn(server.url, demoEmail('admin'));
    const operations = await signIn(server.url, demoEmail('operations'));
    const workspaceId = admin.me.memberships[0]!.workspaceId;
    const planIds: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      const file = path.join(server.dataDir, `bench-plan-${run}.json`);
      fs.writeFileSync(
        file,
        JSON.stringify(planOfSkus({ name: `Import bench ${run}`, skus: SKUS, horizonStart: HORIZON_START, historyBuckets: MONTHS })),
      );
      const created = await runCli(server.dataDir, ['create-plan', '--workspace', workspaceId, '--from', file]);
      if (created.code !== 0) throw new Error(`create-plan failed: ${created.stderr}`);
      planIds.push(created.stdout.trim());
    }
    const csv = buildCsv();
    log(
      `${SKUS} SKUs × ${MONTHS} months = ${(csv.split('\n').length - 2).toLocaleString('en')} rows, ${(csv.length / 1024 / 1024).toFixed(1)} MiB`,
    );

    const importMs: number[] = [];
    const baselineMs: number[] = [];
    for (const [run, planId] of planIds.entries()) {
      const started = performance.now();
      const response = await fetch(`${server.url}/api/plans/${planId}/imports?kind=actuals&mode=commit`, {
        method: 'POST',
        headers: { cookie: operations.cookie, origin: server.url, 'content-type': 'text/csv' },
        body: csv,
      });
      const body = (await response.json()) as ImportResponse;
      const elapsed = performance.now() - started;
      if (response.status !== 200 || body.changedCells !== SKUS * MONTHS * 3) {
        throw new Error(`import failed: ${response.status} ${JSON.stringify(body).slice(0, 500)}`);
      }
      importMs.push(elapsed);
      log(`run ${run + 1}: ${Math.round(elapsed)} ms, ${body.changedCells.toLocaleString('en')} cells; waiting for the baseline job`);
      // Let the background baseline finish so it does not slow the next run.
      const jobStarted = performance.now();
      let status: BaselineStatus;
      do {
        await sleep(100);
        status = await baselineStatus(server.url, planId, operations.cookie);
      } while (status.state === 'running');
      if (status.state !== 'done') throw new Error(`baseline job ${status.state}: ${status.error}`);
      baselineMs.push(new Date(status.finishedAt!).getTime() - new Date(status.startedAt!).getTime());
      log(
        `baseline: ${baselineMs.at(-1)} ms for ${status.products} products (${JSON.stringify(status.methods)}), waited ${Math.round(performance.now() - jobStarted)} ms`,
      );
    }
    const result = Math.round(median(importMs));
    console.log(`| measure | median of ${RUNS} | runs |`);
    console.log('| --- | --- | --- |');
    console.log(`| import 100k rows (commit) | ${result} ms | ${importMs.map(Math.round).join(', ')} |`);
    console.log(`| baseline job, ${SKUS} SKUs | ${median(baselineMs)} ms | ${baselineMs.join(', ')} |`);
    console.log(result < TARGET_MS ? `OK: under the ${TARGET_MS} ms target` : `SLOW: above the ${TARGET_MS} ms target`);
    console.log(`METRIC import_100k_ms ${result}`);
    console.log(`METRIC baseline_2000_skus_ms ${median(baselineMs)}`);
  } catch (e: unknown) {
    log(`failed; the server's last output:\n${server.output().slice(-3000)}`);
    throw e;
  } finally {
    await server.stop();
  }
}

await main();

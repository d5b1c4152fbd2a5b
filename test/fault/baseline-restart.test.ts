import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addMonths, cellKey, monthRange, type PlanData } from '@accord/plan-calc';
import type { BaselineProductFit, BaselineStatus } from '@accord/protocol';
import { makeDataDir, runCli, startServer, type ServerProcess } from '../support/server-process.ts';
import { demoEmail, firstPlanId, signIn } from '../support/clients.ts';
import { planOfSkus, skuId } from '../support/plans.ts';

/** A plan of `skus` products with 48 months of sales actuals: big enough that a baseline run takes a while. */
function bigPlan(skus: number): PlanData {
  const horizonStart = '2031-01';
  const data = planOfSkus({ name: 'Big plan', skus, horizonStart, historyBuckets: 48 });
  const history = monthRange(addMonths(horizonStart, -48), 48);
  for (let i = 0; i < skus; i++) {
    history.forEach((month, t) => {
      const seasonal = (500 + (i % 97) * 20) * (1 + 0.3 * Math.sin((t / 12) * 2 * Math.PI));
      data.cells.actuals[cellKey(skuId(i), month)] = Math.round(seasonal + ((i * 31 + t * 17) % 50));
    });
  }
  return data;
}

describe('fault: the baseline job across restarts', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('keeps the last run and its fits after a restart, and runs again a job that a crash cut short', async () => {
    const dataDir = makeDataDir();
    server = await startServer({ dataDir });
    const leader = await signIn(server.url, demoEmail('leader'));
    const planId = await firstPlanId(server.url, leader);
    const get = async <T>(suffix: string): Promise<{ status: number; body: T }> => {
      const response = await fetch(`${server!.url}/api/plans/${planId}/baseline${suffix}`, { headers: { cookie: leader.cookie } });
      return { status: response.status, body: (await response.json()) as T };
    };
    const status = async () => (await get<BaselineStatus>('')).body;

    const started = await fetch(`${server.url}/api/plans/${planId}/baseline`, {
      method: 'POST',
      headers: { cookie: leader.cookie, origin: server.url },
    });
    expect(started.status).toBe(202);
    await vi.waitFor(async () => expect((await status()).state).toBe('done'), { timeout: 30_000, interval: 100 });
    const finished = await status();
    const fit = await get<BaselineProductFit>('/products/SPA-001');
    expect(fit.status).toBe(200);
    expect(fit.body.productId).toBe('SPA-001');

    // A clean restart: the status and every fit are read back as they were.
    await server.stop();
    server = await startServer({ dataDir });
    expect(await status()).toEqual(finished);
    expect(await get('/products/SPA-001')).toEqual(fit);
    expect((await get('/products/NOPE')).status).toBe(404);

    // The server dies while a run is going (the run's start is on record, its end is not).
    await server.kill();
    const db = new Database(path.join(dataDir, 'accord.sqlite'));
    const running: BaselineStatus = { ...finished, state: 'running', progress: 0.3, finishedAt: null };
    db.prepare('update baseline_runs set state = ?, status = ? where plan_id = ?').run('running', JSON.stringify(running), planId);
    db.close();
    server = await startServer({ dataDir });
    await vi.waitFor(
      async () => {
        const now = await status();
        expect(now.state).toBe('done');
        expect(now.finishedAt! > finished.finishedAt!).toBe(true);
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(server.output()).toContain('baseline job interrupted by a restart; running it again');
    expect((await get<BaselineProductFit>('/products/SPA-001')).body.computedAt > fit.body.computedAt).toBe(true);
  });

  it('ends a run cleanly when the server stops mid-run, and runs it again at the next start', async () => {
    const dataDir = makeDataDir();
    server = await startServer({ dataDir });
    const admin = await signIn(server.url, demoEmail('admin'));
    const leader = await signIn(server.url, demoEmail('leader'));
    const file = path.join(dataDir, 'big-plan.json');
    fs.writeFileSync(file, JSON.stringify(bigPlan(3_000)));
    const created = await runCli(dataDir, ['create-plan', '--workspace', admin.me.memberships[0]!.workspaceId, '--from', file]);
    expect(created.code, created.stderr).toBe(0);
    const planId = created.stdout;
    const status = async () =>
      (await (await fetch(`${server!.url}/api/plans/${planId}/baseline`, { headers: { cookie: leader.cookie } })).json()) as BaselineStatus;

    const started = await fetch(`${server.url}/api/plans/${planId}/baseline`, {
      method: 'POST',
      headers: { cookie: leader.cookie, origin: server.url },
    });
    expect(started.status).toBe(202);
    // 3,000 products take seconds to fit: stop while the worker is at it.
    await vi.waitFor(async () => expect((await status()).progress).toBeGreaterThan(0), { timeout: 30_000, interval: 20 });
    expect(await server.stop()).toBe(0);
    const output = server.output();
    expect(output).toContain('baseline job stopped by the shutdown; it runs again at the next start');
    expect(output).not.toContain('baseline computed');
    const errors = output.split('\n').filter((line) => line.startsWith('{') && (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).toEqual([]);

    server = await startServer({ dataDir });
    await vi.waitFor(async () => expect((await status()).state).toBe('done'), { timeout: 60_000, interval: 200 });
    expect(server.output()).toContain('baseline job interrupted by a restart; running it again');
    expect((await status()).products).toBe(3_000);
  });
});

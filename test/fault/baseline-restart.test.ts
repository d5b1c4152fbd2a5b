import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { BaselineProductFit, BaselineStatus } from '@accord/protocol';
import { makeDataDir, startServer, type ServerProcess } from '../support/server-process.ts';
import { demoEmail, firstPlanId, signIn } from '../support/clients.ts';

describe('fault: the baseline job across restarts', () => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
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
});

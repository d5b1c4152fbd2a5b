import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CloseCode, type BaselineStatus, type SnapshotView } from '@accord/protocol';
import { addMonths, cellKey, monthRange, type PlanData } from '@accord/plan-calc';
import { findCell, setCell } from '@accord/plan-model';
import { startCluster, type Cluster } from '../support/cluster.ts';
import { runCli, type ServerProcess } from '../support/server-process.ts';
import { connectStore } from '../support/store.ts';
import { planOfSkus, skuId } from '../support/plans.ts';
import { apiCaller, connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

type Session = Awaited<ReturnType<typeof signIn>>;

/** A plan of `skus` products with 48 months of sales actuals: its baseline run takes a while. */
function planWithHistory(skus: number): PlanData {
  const horizonStart = '2031-01';
  const data = planOfSkus({ name: 'Plan with history', skus, horizonStart, historyBuckets: 48 });
  monthRange(addMonths(horizonStart, -48), 48).forEach((month, t) => {
    for (let i = 0; i < skus; i++)
      data.cells.actuals[cellKey(skuId(i), month)] = Math.round((500 + (i % 97) * 20) * (1 + 0.3 * Math.sin((t / 12) * 2 * Math.PI)));
  });
  return data;
}

/**
 * Three instances on one PostgreSQL database behind nginx (#19): they seed an empty database
 * once, access changes and the lock made on one instance hold on the others at once, locks made on
 * two instances at the same moment keep one snapshot hash chain, and a baseline run whose instance
 * dies is finished by another.
 */
describe('cluster: access, the lock, the snapshot chain and background work across instances', () => {
  let cluster: Cluster;
  const s: Record<string, Session> = {};
  let planId: string;
  let workspaceId: string;
  const clients: PlanClient[] = [];

  beforeAll(async () => {
    // A short baseline lease, so a dead instance's run is taken over within seconds.
    cluster = await startCluster({ instances: 3, env: { BASELINE_LEASE_SECONDS: '4' } });
    for (const role of ['viewer', 'sales', 'finance', 'leader', 'admin']) s[role] = await signIn(cluster.url, demoEmail(role));
    planId = await firstPlanId(cluster.url, s.viewer!);
    workspaceId = s.admin!.me.memberships[0]!.workspaceId;
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await cluster?.stop();
  });

  /** A client of `role` on one instance, reached directly (not through nginx). */
  const openOn = async (instance: ServerProcess, role: string, plan = planId) => {
    const client = connectPlan(instance.url, plan, s[role]!.cookie, { origin: instance.url });
    clients.push(client);
    await synced(client, 20_000);
    return client;
  };

  it('seeds an empty database once when three instances start on it together', async () => {
    const db = await connectStore(cluster);
    try {
      const workspaces = await db.query<{ n: number }>('select count(*) as n from workspaces');
      expect(Number(workspaces[0]!.n)).toBe(1);
      const users = await db.query<{ email: string }>('select email from users order by email');
      expect(users.map((u) => u.email)).toEqual(
        ['admin', 'commenter', 'finance', 'leader', 'operations', 'sales', 'viewer'].map((role) => demoEmail(role)),
      );
    } finally {
      await db.close();
    }
  });

  it('closes a member’s sockets on the other two instances within two seconds of a role change made on one', async () => {
    const [a, b, c] = cluster.instances as [ServerProcess, ServerProcess, ServerProcess];
    const onB = await openOn(b, 'finance');
    const onC = await openOn(c, 'finance');
    const changedAt = Date.now();
    const call = apiCaller(a.url);
    expect(
      (await call(s.admin!.cookie, 'PUT', `/workspaces/${workspaceId}/members`, { email: demoEmail('finance'), role: 'viewer' })).status,
    ).toBe(204);
    await vi.waitFor(
      () => {
        expect(onB.closes.map((close) => close.code)).toContain(CloseCode.accessChanged);
        expect(onC.closes.map((close) => close.code)).toContain(CloseCode.accessChanged);
      },
      { timeout: 5_000, interval: 20 },
    );
    expect(Date.now() - changedAt).toBeLessThan(2_000);
    expect(
      (await call(s.admin!.cookie, 'PUT', `/workspaces/${workspaceId}/members`, { email: demoEmail('finance'), role: 'finance' })).status,
    ).toBe(204);
    onB.provider.destroy();
    onC.provider.destroy();
  });

  it('refuses on the other instances an edit sent right after a lock made on one', async () => {
    const [a, b, c] = cluster.instances as [ServerProcess, ServerProcess, ServerProcess];
    const key = cellKey('SPA-001', '2099-01');
    // Open before the lock, on the two other instances; a witness on a third.
    const salesOnB = await openOn(b, 'sales');
    const salesOnC = await openOn(c, 'sales');
    const witness = await openOn(a, 'viewer');
    setCell(salesOnB.doc, 'sales', key, 111);
    await vi.waitFor(() => expect(findCell(witness.doc, 'sales', key)).toBe(111), { timeout: 10_000 });

    const locked = await apiCaller(a.url)<SnapshotView>(s.leader!.cookie, 'POST', `/plans/${planId}/snapshots`, {
      name: 'Locked on one instance',
      closeRemaining: true,
    });
    expect(locked.status).toBe(201);
    // Sent at once, before the other instances may have heard of the lock over Redis.
    setCell(salesOnC.doc, 'sales', key, 222);
    setCell(salesOnB.doc, 'sales', key, 333);
    await vi.waitFor(
      () => {
        expect(salesOnC.closes.map((close) => close.code)).toContain(CloseCode.permissionDenied);
        expect(salesOnB.closes.map((close) => close.code)).toContain(CloseCode.permissionDenied);
      },
      { timeout: 10_000, interval: 20 },
    );
    // Nothing after the lock was stored or sent: the witness and a fresh client on each instance hold 111.
    for (const instance of cluster.instances) {
      const fresh = await openOn(instance, 'viewer');
      expect(findCell(fresh.doc, 'sales', key)).toBe(111);
      expect(fresh.doc.getMap('meta').get('cycleStage')).toBe('locked');
    }
    expect(findCell(witness.doc, 'sales', key)).toBe(111);
  });

  it('keeps one valid snapshot hash chain when plans are locked at the same moment on different instances', async () => {
    const plans: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await runCli(cluster.dataDir, ['create-demo-plan', '--workspace', workspaceId]);
      expect(created.code, created.stderr).toBe(0);
      plans.push(created.stdout);
    }
    const answers = await Promise.all(
      plans.map((plan, i) =>
        apiCaller(cluster.instances[i]!.url)<SnapshotView>(s.leader!.cookie, 'POST', `/plans/${plan}/snapshots`, {
          name: `Locked at once ${i}`,
          closeRemaining: true,
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 201]);
    const verified = await runCli(cluster.dataDir, ['verify-snapshots']);
    expect(verified.code, `${verified.stdout}\n${verified.stderr}`).toBe(0);
    const db = await connectStore(cluster);
    try {
      const chain = await db.query<{ chain_index: number }>('select chain_index from snapshots order by chain_index');
      const first = Number(chain[0]!.chain_index);
      expect(chain.map((row) => Number(row.chain_index))).toEqual(chain.map((_, i) => first + i));
    } finally {
      await db.close();
    }
  });

  it('finishes on another instance a baseline run whose instance was killed mid-run', async () => {
    const file = path.join(cluster.dataDir, 'plan-with-history.json');
    fs.writeFileSync(file, JSON.stringify(planWithHistory(2_000)));
    const created = await runCli(cluster.dataDir, ['create-plan', '--workspace', workspaceId, '--from', file]);
    expect(created.code, created.stderr).toBe(0);
    const bigPlan = created.stdout;
    const [a, b, c] = cluster.instances as [ServerProcess, ServerProcess, ServerProcess];
    const status = async () =>
      (await (await fetch(`${a.url}/api/plans/${bigPlan}/baseline`, { headers: { cookie: s.leader!.cookie } })).json()) as BaselineStatus;

    const started = await fetch(`${c.url}/api/plans/${bigPlan}/baseline`, {
      method: 'POST',
      headers: { cookie: s.leader!.cookie, origin: c.url },
    });
    expect(started.status).toBe(202);
    // The running instance stores its progress as it renews its lease: kill it while it fits.
    await vi.waitFor(async () => expect((await status()).progress).toBeGreaterThan(0), { timeout: 60_000, interval: 50 });
    await cluster.kill(2);
    expect(cluster.instances[2]!.output()).not.toContain('baseline computed');

    await vi.waitFor(async () => expect((await status()).state).toBe('done'), { timeout: 120_000, interval: 250 });
    const final = await status();
    expect(final.products).toBe(2_000);
    expect(final.changedCells).toBeGreaterThan(0);
    // One instance took the run over and wrote it. (On a loaded machine the first taker may stall
    // past its lease while it loads the plan, and hand it on: it then writes nothing.)
    // The log line follows the stored status by a moment.
    const computed = await vi.waitFor(
      () => {
        const found = [a, b].filter((instance) => instance.output().includes('baseline computed'));
        expect(found).toHaveLength(1);
        return found;
      },
      { timeout: 5_000, interval: 50 },
    );
    const takenOver = [a, b].filter((instance) => instance.output().includes('baseline job interrupted by a restart; running it again'));
    expect(takenOver).toContain(computed[0]);
    for (const instance of takenOver.filter((taker) => taker !== computed[0]))
      expect(instance.output()).toContain('another instance took the baseline run over');
    const changes = await (await fetch(`${a.url}/api/plans/${bigPlan}/baseline/changes`, { headers: { cookie: s.leader!.cookie } })).json();
    expect((changes as { changes: unknown[] }).changes).toHaveLength(1);
  });
});

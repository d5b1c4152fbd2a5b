import { describe, expect, it } from 'vitest';
import type { SnapshotListResponse } from '@accord/protocol';
import { runCli, startServer, TEST_STORE } from '../support/server-process.ts';
import { apiCaller, demoEmail, firstPlanId, signIn } from '../support/clients.ts';

// What only PostgreSQL has: run in the integration-pg pass (the rest of the folder runs on both).
describe.runIf(TEST_STORE === 'postgres')('the store: DATABASE_URL, REDIS_URL and instances sharing PostgreSQL', () => {
  it('stops with one sentence and exit code 2 on a bad or unreachable DATABASE_URL, never showing the password', async () => {
    await expect(startServer({ env: { DATABASE_URL: 'mysql://root:hunter2@127.0.0.1/accord' } })).rejects.toThrow(
      /exited with 2[\s\S]*accord: Invalid DATABASE_URL: only PostgreSQL is supported/,
    );
    // Port 1 on loopback: nothing listens there.
    const unreachable = await startServer({ env: { DATABASE_URL: 'postgres://accord:hunter2@127.0.0.1:1/accord' } }).catch((e: Error) => e);
    expect(String(unreachable)).toMatch(
      /exited with 2[\s\S]*accord: Cannot connect to the PostgreSQL database postgres:\/\/accord:\*\*\*@127\.0\.0\.1:1\/accord \(.*ECONNREFUSED.*\); check DATABASE_URL/,
    );
    expect(String(unreachable)).not.toMatch(/hunter2|\n\s+at /);
  });

  it('refuses REDIS_URL on SQLite: one file cannot be shared by several instances', async () => {
    await expect(startServer({ store: 'sqlite', env: { REDIS_URL: 'redis://127.0.0.1:6379' } })).rejects.toThrow(
      /exited with 2[\s\S]*accord: REDIS_URL is set but the store is SQLite: one SQLite file cannot be shared by several instances; set DATABASE_URL/,
    );
  });

  it('lets two instances share one database: seeded once, one session, one snapshot chain', { timeout: 60_000 }, async () => {
    const first = await startServer();
    // No data-directory lock on PostgreSQL: a second instance starts on the same database and
    // finds it seeded.
    const second = await startServer({ databaseUrl: first.databaseUrl });
    try {
      const leader = await signIn(first.url, demoEmail('leader'));
      const onSecond = await apiCaller(second.url)<{ user: { email: string } }>(leader.cookie, 'GET', '/me');
      expect(onSecond.status).toBe(200);
      expect(onSecond.body.user.email).toBe(demoEmail('leader'));
      expect(leader.me.memberships).toHaveLength(1);

      const workspaceId = leader.me.memberships[0]!.workspaceId;
      const created = await runCli(first.dataDir, ['create-demo-plan', '--workspace', workspaceId]);
      expect(created.code, created.stderr).toBe(0);
      const planA = await firstPlanId(first.url, leader);
      const planB = created.stdout;
      // Two leaders lock two plans at the same moment, through different instances: the chain
      // takes both, one after the other.
      const lock = (url: string, planId: string) =>
        apiCaller(url)(leader.cookie, 'POST', `/plans/${planId}/snapshots`, { name: `Consensus ${planId}`, closeRemaining: true });
      const [a, b] = await Promise.all([lock(first.url, planA), lock(second.url, planB)]);
      expect([a.status, b.status]).toEqual([201, 201]);
      const listed = await apiCaller(second.url)<SnapshotListResponse>(leader.cookie, 'GET', `/plans/${planA}/snapshots`);
      expect(listed.body.snapshots[0]!.name).toBe(`Consensus ${planA}`);
      const verified = await runCli(first.dataDir, ['verify-snapshots']);
      expect(verified.code, verified.stderr).toBe(0);
      expect(verified.stdout).toMatch(/All \d+ snapshots verified: the chain is intact/);
    } finally {
      await second.stop();
      await first.stop();
    }
  });
});

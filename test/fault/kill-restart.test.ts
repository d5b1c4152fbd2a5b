import { afterAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { Role } from '@accord/protocol';
import type { ValueRoot } from '@accord/plan-calc';
import { readPlanData } from '@accord/plan-model';
import { editStorm, seeded, WRITABLE } from '../support/edit-storm.ts';
import { makeDataDir, startServer, type ServerProcess } from '../support/server-process.ts';
import { freePort } from '../support/browser.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

/** True when `a` holds at least everything `b` holds (per client, clock ≥). */
function dominates(a: Map<number, number>, b: Map<number, number>): boolean {
  for (const [client, clock] of b) if ((a.get(client) ?? 0) < clock) return false;
  return true;
}

describe('fault: SIGKILL while 20 clients edit', () => {
  let server: ServerProcess | undefined;
  const clients: PlanClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await server?.stop();
  });

  it('loses nothing any client received, and every replica and the stored state end identical', { timeout: 180_000 }, async () => {
    const random = seeded(20261122);
    const dataDir = makeDataDir();
    const port = await freePort();
    server = await startServer({ dataDir, port });
    const sessions = new Map<Role, string>();
    for (const role of [...(Object.keys(WRITABLE) as Role[]), 'viewer' as const])
      sessions.set(role, (await signIn(server.url, demoEmail(role))).cookie);
    const planId = await firstPlanId(server.url, await signIn(server.url, demoEmail('viewer')));
    const url = server.url;

    const writers: { client: PlanClient; roots: ValueRoot[] }[] = [];
    for (const [role, roots] of Object.entries(WRITABLE) as [Role, ValueRoot[]][]) {
      for (let i = 0; i < 5; i++) {
        const client = connectPlan(url, planId, sessions.get(role)!);
        clients.push(client);
        writers.push({ client, roots });
      }
    }
    // The observer only receives: everything in it was broadcast, hence committed first.
    const observer = connectPlan(url, planId, sessions.get('viewer')!);
    clients.push(observer);
    await Promise.all(clients.map((c) => synced(c, 20_000)));
    const products = Object.keys(readPlanData(observer.doc).products).slice(0, 6);
    const months = ['2099-01', '2099-02', '2099-03'];

    const storm = editStorm({ writers, products, months, random, skip: 0.5, intervalMs: 40 });

    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const received = Y.decodeStateVector(Y.encodeStateVector(observer.doc));
      await server.kill();
      // Writers go offline (they keep editing locally) so they cannot resend what the server lost
      // before we check what it kept.
      for (const { client } of writers) client.provider.disconnect();
      server = await startServer({ dataDir, port });
      const fresh = connectPlan(url, planId, sessions.get('viewer')!);
      await synced(fresh, 20_000);
      expect(
        dominates(Y.decodeStateVector(Y.encodeStateVector(fresh.doc)), received),
        `round ${round}: stored state lacks received updates`,
      ).toBe(true);
      fresh.destroy();
      for (const { client } of writers) client.provider.connect();
    }

    const edits = await storm.stop();
    expect(edits).toBeGreaterThan(200);
    // Let every replica converge, then compare them with what a fresh client loads from storage.
    await vi.waitFor(
      () => {
        const vectors = clients.map((c) => Buffer.from(Y.encodeStateVector(c.doc)).toString('base64'));
        expect(new Set(vectors).size).toBe(1);
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(await server.stop()).toBe(0);
    server = await startServer({ dataDir, port });
    const final = connectPlan(url, planId, sessions.get('viewer')!);
    await synced(final, 20_000);
    const stored = readPlanData(final.doc);
    for (const c of clients) expect(readPlanData(c.doc)).toEqual(stored);
    final.destroy();
  });
});

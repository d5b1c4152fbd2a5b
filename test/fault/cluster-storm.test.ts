import { afterAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, type Role } from '@accord/protocol';
import type { ValueRoot } from '@accord/plan-calc';
import { readPlanData } from '@accord/plan-model';
import { editStorm, seeded, WRITABLE } from '../support/edit-storm.ts';
import { startCluster, type Cluster } from '../support/cluster.ts';
import { connectStore } from '../support/store.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

const WRITERS_PER_ROLE = 6;

/** The per-client maximum of several state vectors: everything any of them holds. */
function union(vectors: Map<number, number>[]): Map<number, number> {
  const merged = new Map<number, number>();
  for (const vector of vectors) for (const [client, clock] of vector) merged.set(client, Math.max(merged.get(client) ?? 0, clock));
  return merged;
}

/** What `a` lacks of `b`: the clients whose clock in `a` is behind (empty when `a` holds everything `b` does). */
function missing(a: Map<number, number>, b: Map<number, number>): string[] {
  return [...b]
    .filter(([client, clock]) => (a.get(client) ?? 0) < clock)
    .map(([client, clock]) => `${client}: ${a.get(client) ?? 0} < ${clock}`);
}

const vectorOf = (doc: Y.Doc) => Y.decodeStateVector(Y.encodeStateVector(doc));

/**
 * Three instances on one PostgreSQL database with a Redis of their own and nginx in front
 * (#19): 30 y-websocket clients in five roles, spread over the instances by nginx's round-robin and
 * three observers on one instance each, edit at random while one instance is SIGKILLed and started
 * again and Redis is restarted. Nothing any client received may be lost, every replica and the
 * stored state must end identical, and the document's sequence must have no gaps.
 */
describe('cluster: an edit storm through a crash and a Redis restart', () => {
  let cluster: Cluster | undefined;
  const clients: PlanClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await cluster?.stop();
  });

  it('loses nothing any client received, and every replica and the stored state end identical with no gap in the sequence', async () => {
    const random = seeded(20261202);
    cluster = await startCluster({ instances: 3, privateRedis: true });
    const c = cluster;
    const sessions = new Map<Role, string>();
    for (const role of [...(Object.keys(WRITABLE) as Role[]), 'viewer' as const])
      sessions.set(role, (await signIn(c.url, demoEmail(role))).cookie);
    const planId = await firstPlanId(c.url, await signIn(c.url, demoEmail('viewer')));

    // 24 writers and 3 viewers through nginx, 3 viewers on one instance each: 30 clients.
    const writers: { client: PlanClient; roots: ValueRoot[] }[] = [];
    for (const [role, roots] of Object.entries(WRITABLE) as [Role, ValueRoot[]][]) {
      for (let i = 0; i < WRITERS_PER_ROLE; i++) {
        const client = connectPlan(c.url, planId, sessions.get(role)!);
        clients.push(client);
        writers.push({ client, roots });
      }
    }
    // Observers only receive: everything in them was sent by an instance, hence stored first.
    const observers = [
      ...[0, 1, 2].map(() => connectPlan(c.url, planId, sessions.get('viewer')!)),
      ...c.instances.map((instance) => connectPlan(instance.url, planId, sessions.get('viewer')!, { origin: instance.url })),
    ];
    clients.push(...observers);
    expect(clients).toHaveLength(30);
    await Promise.all(clients.map((client) => synced(client, 30_000)));
    const products = Object.keys(readPlanData(observers[0]!.doc).products).slice(0, 8);
    const months = ['2099-01', '2099-02', '2099-03'];

    const storm = editStorm({ writers, products, months, random, skip: 0.6, intervalMs: 50 });
    const received = () => union(observers.map((observer) => vectorOf(observer.doc)));
    /** The document as stored in PostgreSQL: the compacted state and the log after it. */
    const storedDoc = async () => {
      const db = await connectStore(c);
      try {
        const doc = new Y.Doc();
        const [state] = await db.query<{ state: Uint8Array }>('select state from document_states where document_id = ?', [planId]);
        if (state) Y.applyUpdate(doc, state.state);
        const updates = await db.query<{ data: Uint8Array }>('select data from document_updates where document_id = ? order by seq', [
          planId,
        ]);
        for (const update of updates) Y.applyUpdate(doc, update.data);
        return doc;
      } finally {
        await db.close();
      }
    };

    // Mid-storm, one instance dies. What any observer had received by then must be stored: checked
    // with the writers offline (they keep editing locally), so they cannot resend what was lost.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const beforeKill = received();
    await c.kill(1);
    for (const { client } of writers) client.provider.disconnect();
    expect(missing(vectorOf(await storedDoc()), beforeKill)).toEqual([]);
    for (const { client } of writers) client.provider.connect();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await c.restart(1);

    // Redis goes away for a second while the storm goes on: instances poll the store meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await c.redis!.restart(1_000);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const beforeEnd = received();

    const edits = await storm.stop();
    expect(edits).toBeGreaterThan(300);
    // Honest edits are never refused, whatever instance they reached.
    const refusals = clients
      .flatMap((client) => client.closes)
      .filter((close) => close.code >= 4400 && close.code !== CloseCode.storageFailed);
    expect(refusals).toEqual([]);

    // Every replica converges…
    await vi.waitFor(
      () => {
        // On failure, say which clients lack what (by index: 0–23 writers, 24–26 observers through
        // nginx, 27–29 one observer on each instance).
        const all = union(clients.map((client) => vectorOf(client.doc)));
        const behind = clients.flatMap((client, i) => {
          const lacks = missing(vectorOf(client.doc), all);
          return lacks.length > 0 ? [`client ${i} lacks ${lacks.join(', ')}`] : [];
        });
        expect(behind).toEqual([]);
      },
      { timeout: 60_000, interval: 250 },
    );
    // …on what is stored, and on what each instance holds.
    const stored = await storedDoc();
    expect(missing(vectorOf(stored), beforeEnd)).toEqual([]);
    const plan = readPlanData(stored);
    for (const client of clients) expect(readPlanData(client.doc)).toEqual(plan);
    for (const instance of c.instances) {
      const fresh = connectPlan(instance.url, planId, sessions.get('viewer')!, { origin: instance.url });
      await synced(fresh, 30_000);
      expect(readPlanData(fresh.doc)).toEqual(plan);
      fresh.destroy();
    }

    // One gap-free sequence: the head is the last number given out, the log after the compacted
    // state holds every number up to it, and change records (kept for changes that say more than
    // their cells) name numbers of that sequence.
    const db = await connectStore(c);
    try {
      const [head] = await db.query<{ seq: number }>('select seq from document_heads where document_id = ?', [planId]);
      const [state] = await db.query<{ through_seq: number }>('select through_seq from document_states where document_id = ?', [planId]);
      const logged = (await db.query<{ seq: number }>('select seq from document_updates where document_id = ? order by seq', [planId])).map(
        (row) => Number(row.seq),
      );
      const changes = (
        await db.query<{ seq: number }>('select seq from document_changes where document_id = ? order by seq', [planId])
      ).map((row) => Number(row.seq));
      const last = Number(head!.seq);
      const folded = Number(state?.through_seq ?? 0);
      expect(last).toBeGreaterThan(300);
      expect(folded).toBeLessThanOrEqual(last);
      expect(logged).toEqual(Array.from({ length: last - folded }, (_, i) => folded + i + 1));
      expect(new Set(changes).size).toBe(changes.length);
      for (const seq of changes) expect(seq >= 1 && seq <= last).toBe(true);
    } finally {
      await db.close();
    }
    expect(c.output()).not.toMatch(/unhandled|uncaught/i);
  });
});

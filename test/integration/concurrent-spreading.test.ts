// Issue #15, point 6: several real clients spread aggregates and type SKU cells at once, some of
// them dropping off and coming back. Spreads are ordinary cell writes in one update, so everything
// converges like any other edits: every replica and the stored state end identical, and on every
// replica each family and total row (the calculator's roll-up, kept current incrementally as the web
// app keeps it) equals the sum of the cells below it.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Y from 'yjs';
import {
  HOLD_ROOT_OF,
  PlanCalculator,
  VALUE_ROOTS,
  layerValue,
  planSpread,
  seededRandom,
  type CellChange,
  type PlanData,
  type SummedSpreadRoot,
  type ValueRoot,
} from '@accord/plan-calc';
import { readPlanData } from '@accord/plan-model';
import { freePort } from '../support/browser.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';
import { makeDataDir, startServer, type ServerProcess } from '../support/server-process.ts';

const ACTIONS_PER_CLIENT = 40;

interface Planner {
  role: 'sales' | 'operations' | 'leader';
  root: SummedSpreadRoot;
  client: PlanClient;
  calc: PlanCalculator | null;
}

/** Follows a document with a calculator, batch by batch, as the web app's session does. */
function follow(planner: Planner): void {
  const doc = planner.client.doc;
  planner.calc = new PlanCalculator(readPlanData(doc));
  for (const root of VALUE_ROOTS) {
    const map = doc.getMap<unknown>(root);
    map.observe((event) => {
      const changes: CellChange[] = [...event.keysChanged].map((key) => {
        const value = map.get(key);
        return { root, key, value: typeof value === 'number' ? value : null };
      });
      planner.calc!.applyCellChanges(changes);
    });
  }
}

function write(doc: Y.Doc, changes: readonly CellChange[]): void {
  doc.transact(() => {
    for (const { root, key, value } of changes) {
      const map = doc.getMap<number>(root);
      if (value === null) map.delete(key);
      else map.set(key, value);
    }
  });
}

/** The value cells of a replica, keys sorted (maps list keys in the order this replica first saw them). */
function valueRoots(doc: Y.Doc): Record<string, unknown> {
  return Object.fromEntries(
    VALUE_ROOTS.map((root) => [root, Object.fromEntries(Object.entries(doc.getMap(root).toJSON()).sort(([a], [b]) => (a < b ? -1 : 1)))]),
  );
}

describe('concurrent spreading (seeded, several real clients)', () => {
  let server: ServerProcess;
  let planId: string;
  let dataDir: string;
  let port: number;
  const clients: PlanClient[] = [];

  beforeAll(async () => {
    dataDir = makeDataDir();
    port = await freePort();
    server = await startServer({ dataDir, port });
    planId = await firstPlanId(server.url, await signIn(server.url, demoEmail('sales')));
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.stop();
  });

  it('converges: identical replicas and stored state, and every family and total is the sum of its cells', async () => {
    const cookies = {
      sales: (await signIn(server.url, demoEmail('sales'))).cookie,
      operations: (await signIn(server.url, demoEmail('operations'))).cookie,
      leader: (await signIn(server.url, demoEmail('leader'))).cookie,
    };
    const setup: [Planner['role'], SummedSpreadRoot][] = [
      ['sales', 'sales'],
      ['sales', 'sales'],
      ['sales', 'marketing'],
      ['operations', 'production'],
      ['leader', 'consensus'],
    ];
    const planners: Planner[] = setup.map(([role, root]) => {
      const client = connectPlan(server.url, planId, cookies[role]);
      clients.push(client);
      return { role, root, client, calc: null };
    });
    await Promise.all(planners.map((planner) => synced(planner.client, 20_000)));
    for (const planner of planners) follow(planner);
    const data: PlanData = readPlanData(planners[0]!.client.doc);
    const buckets = planners[0]!.calc!.buckets;
    const families = planners[0]!.calc!.families().map((family) => family.id);
    const productsOf = (familyId: string) =>
      Object.values(data.products)
        .filter((product) => product.familyId === familyId)
        .map((product) => product.id);
    const allProducts = Object.keys(data.products);

    await Promise.all(
      planners.map(async (planner, p) => {
        const random = seededRandom(15_000 + p);
        const int = (max: number) => Math.floor(random() * max);
        const doc = planner.client.doc;
        const read = (root: ValueRoot, key: string) => {
          const value = doc.getMap<unknown>(root).get(key);
          return typeof value === 'number' ? value : undefined;
        };
        for (let action = 0; action < ACTIONS_PER_CLIENT; action++) {
          const roll = random();
          const from = int(buckets.length - 3);
          const span = buckets.slice(from, from + 1 + int(3));
          if (roll < 0.45) {
            // Spread a family (or, one time in five, the total) over one to three months, by ±10 %.
            const rowIds = random() < 0.2 ? allProducts : productsOf(families[int(families.length)]!);
            let before = 0;
            for (const rowId of rowIds) for (const bucket of span) before += layerValue(read, planner.root, rowId, bucket);
            const total = planner.root === 'marketing' ? int(2_000) - 500 : Math.round(before * (0.9 + random() * 0.2)) + int(50);
            const plan = planSpread({ read }, { root: planner.root, rowIds, buckets: span }, total, { round: true });
            if (plan.ok) write(doc, plan.changes);
          } else if (roll < 0.85) {
            // Type one SKU cell.
            const key = `${allProducts[int(allProducts.length)]}|${span[0]}`;
            write(doc, [{ root: planner.root, key, value: planner.root === 'marketing' ? int(400) - 100 : int(5_000) }]);
          } else if (roll < 0.93) {
            // Hold or release a SKU row of the layer.
            const key = allProducts[int(allProducts.length)]!;
            const holds = HOLD_ROOT_OF[planner.root];
            write(doc, [{ root: holds, key, value: read(holds, key) === undefined ? 1 : null }]);
          } else {
            // Drop off for a moment and come back (edits made meanwhile are sent on reconnect).
            planner.client.provider.disconnect();
            await new Promise((resolve) => setTimeout(resolve, int(150)));
            const key = `${allProducts[int(allProducts.length)]}|${span[0]}`;
            write(doc, [{ root: planner.root, key, value: planner.root === 'marketing' ? 10 : 1 + int(900) }]);
            planner.client.provider.connect();
          }
          await new Promise((resolve) => setTimeout(resolve, int(25)));
        }
      }),
    );

    // Every client was allowed everything it did: nobody was refused (a refusal would close with 44xx).
    for (const planner of planners) expect(planner.client.closes.filter((close) => close.code >= 4400 && close.code < 4500)).toEqual([]);

    // Converged: every replica holds the same cells.
    const reference = () => JSON.stringify(valueRoots(planners[0]!.client.doc));
    await vi.waitFor(
      () => {
        for (const planner of planners) expect(JSON.stringify(valueRoots(planner.client.doc))).toBe(reference());
      },
      { timeout: 30_000, interval: 200 },
    );

    // On each replica, family and total rows (incremental roll-ups) equal the sum of the stored cells below.
    for (const planner of planners) {
      const calc = planner.calc!;
      const doc = planner.client.doc;
      const read = (root: ValueRoot, key: string) => {
        const value = doc.getMap<unknown>(root).get(key);
        return typeof value === 'number' ? value : undefined;
      };
      for (const familyId of families) {
        const family = calc.findFamily(familyId)!;
        buckets.forEach((bucket, i) => {
          let sales = 0;
          let production = 0;
          let marketing = 0;
          let consensus = 0;
          for (const productId of calc
            .products()
            .filter((plan) => plan.familyId === familyId)
            .map((plan) => plan.productId)) {
            sales += layerValue(read, 'sales', productId, bucket);
            production += layerValue(read, 'production', productId, bucket);
            marketing += layerValue(read, 'marketing', productId, bucket);
            consensus += layerValue(read, 'consensus', productId, bucket);
          }
          expect(family.salesForecast[i]).toBeCloseTo(sales, 6);
          expect(family.production[i]).toBeCloseTo(production, 6);
          expect(family.marketingUplift[i]).toBeCloseTo(marketing, 6);
          expect(family.demand[i]).toBeCloseTo(consensus, 6);
        });
      }
      const total = calc.total();
      buckets.forEach((_bucket, i) => {
        expect(total.salesForecast[i]).toBeCloseTo(
          calc.families().reduce((sum, family) => sum + family.salesForecast[i]!, 0),
          6,
        );
      });
      // And it equals a calculator built afresh from the replica.
      const fresh = new PlanCalculator(readPlanData(doc));
      expect(calc.total().salesForecast).toEqual(fresh.total().salesForecast);
      expect(calc.total().demand).toEqual(fresh.total().demand);
    }

    // The stored state: after a restart, a fresh client loads exactly what every replica holds.
    const expected = reference();
    for (const planner of planners) planner.client.destroy();
    await server.stop();
    server = await startServer({ dataDir, port });
    const fresh = connectPlan(server.url, planId, (await signIn(server.url, demoEmail('viewer'))).cookie);
    clients.push(fresh);
    await synced(fresh, 20_000);
    expect(JSON.stringify(valueRoots(fresh.doc))).toBe(expected);
  }, 180_000);
});

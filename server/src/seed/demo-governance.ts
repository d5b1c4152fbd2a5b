import * as Y from 'yjs';
import { monthRange, type Cells } from '@accord/plan-calc';
import { valueMap, writePlanData } from '@accord/plan-model';
import type { SnapshotView } from '@accord/protocol';
import type { Services } from '../services.ts';
import { demoCycles } from './demo-cycles.ts';
import { generateDemoPlan } from './demo-plan.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const isoDay = (date: Date) => date.toISOString().slice(0, 10);
// The last cycle was locked 26 days ago, each one before it a month earlier.
const LAST_LOCK_DAYS_AGO = 26;
const DAYS_PER_CYCLE = 30;

/**
 * Replays the demo's tracked cycles through the paths real edits take: each cycle's overrides
 * are stored as server changes made by the sales planner and the leader (so the cell history
 * names them, as for their own edits), and each finished cycle locks its consensus into the
 * snapshot chain. Returns the last snapshot locked.
 */
async function replayTrackedCycles(
  services: Services,
  planId: string,
  horizonStart: string,
  now: Date,
  people: { sales: string; leader: string },
): Promise<SnapshotView> {
  const room = await services.documents.open(planId);
  const setCells = (root: 'sales' | 'consensus', cells: Cells, userId: string) =>
    room.applyServerChange(
      (doc) => {
        const map = valueMap(doc, root);
        for (const [key, value] of Object.entries(cells)) map.set(key, value);
      },
      { userId },
    );
  const cycles = demoCycles(generateDemoPlan(horizonStart));
  const lockedCycles = cycles.filter((c) => c.locked).length;
  let lastLocked: SnapshotView | undefined;
  for (const [index, past] of cycles.entries()) {
    await setCells('sales', past.salesEdits, people.sales);
    await setCells('consensus', past.consensusEdits, people.leader);
    if (!past.locked) continue;
    const doc = new Y.Doc();
    writePlanData(doc, past.locked);
    const daysAgo = LAST_LOCK_DAYS_AGO + (lockedCycles - 1 - index) * DAYS_PER_CYCLE;
    lastLocked = await services.snapshots.record(people.leader, planId, `Consensus ${past.cycle}`, Y.encodeStateAsUpdate(doc), {
      lockedAt: new Date(now.getTime() - daysAgo * DAY_MS).toISOString(),
    });
    doc.destroy();
  }
  if (!lastLocked) throw new Error('the demo has no locked cycle');
  return lastLocked;
}

/**
 * Gives the demo plan a past: the overrides and locked consensus of its last monthly cycles (the
 * last one the comparison baseline), owners and due dates for this cycle's stages, and a few
 * decisions (one overdue), so accuracy by layer and lag, compare and the decision log mean
 * something from the first start.
 */
export async function seedDemoGovernance(services: Services, planId: string, horizonStart: string, now: Date): Promise<void> {
  const { admin, decisions, cycle } = services;
  const user = async (role: string) => (await admin.getUserByEmail(`${role}@demo.accord.test`)).id;
  const leader = await user('leader');

  const snapshot = await replayTrackedCycles(services, planId, horizonStart, now, { sales: await user('sales'), leader });
  await services.governance.setBaseline(planId, snapshot.id);

  const owners = { 'demand-review': 'sales', 'supply-review': 'operations', 'pre-sop': 'finance', executive: 'leader' } as const;
  let dueInDays = 5;
  for (const [stage, role] of Object.entries(owners)) {
    await cycle.setStage(leader, planId, stage, await user(role), isoDay(new Date(now.getTime() + dueInDays * DAY_MS)));
    dueInDays += 5;
  }

  const summer = monthRange(horizonStart, 18)
    .filter((m) => /-0[678]$/.test(m))
    .slice(0, 3);
  await decisions.create(leader, planId, {
    title: 'Add a second shift on bottling line A for the summer peak',
    rationale: 'Sparkling water demand exceeds line A capacity from June to August; a second shift costs less than lost sales.',
    ownerId: await user('operations'),
    dueDate: isoDay(new Date(now.getTime() + 21 * DAY_MS)),
    status: 'in-progress',
    links: { cells: summer.map((month) => ({ root: 'capacity', key: `line-a|${month}` })), snapshotId: snapshot.id },
  });
  await decisions.create(leader, planId, {
    title: 'Support the Volt Zero Peach launch with 600 extra cases a month',
    rationale: 'Marketing campaign agreed with the retail partners; review uptake after two months.',
    ownerId: await user('sales'),
    dueDate: isoDay(new Date(now.getTime() + 10 * DAY_MS)),
    status: 'open',
    links: { cells: [] },
  });
  await decisions.create(
    leader,
    planId,
    {
      title: 'Review juice prices against the budget gap',
      rationale: 'Juices trail budget by several percent; propose a price or mix correction.',
      ownerId: await user('finance'),
      dueDate: isoDay(new Date(now.getTime() - 3 * DAY_MS)),
      status: 'open',
      links: { cells: [] },
    },
    { allowPastDue: true, decidedAt: new Date(now.getTime() - LAST_LOCK_DAYS_AGO * DAY_MS).toISOString() },
  );
}

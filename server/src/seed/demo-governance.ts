import * as Y from 'yjs';
import { addMonths, monthRange } from '@accord/plan-calc';
import { writePlanData } from '@accord/plan-model';
import type { Services } from '../services.ts';
import { generateDemoPlan } from './demo-plan.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const isoDay = (date: Date) => date.toISOString().slice(0, 10);

/**
 * Gives the demo plan a past: last cycle's locked consensus as the comparison baseline, owners and
 * due dates for this cycle's stages, and a few decisions (one overdue), so compare and the
 * decision log mean something from the first start.
 */
export async function seedDemoGovernance(services: Services, planId: string, horizonStart: string, now: Date): Promise<void> {
  const { admin, snapshots, decisions, cycle } = services;
  const user = async (role: string) => (await admin.getUserByEmail(`${role}@demo.accord.test`)).id;
  const leader = await user('leader');

  const previousCycle = addMonths(horizonStart, -1);
  const previous = generateDemoPlan(previousCycle);
  previous.meta.cycleStage = 'locked';
  previous.meta.name = `S&OP ${previousCycle}`;
  const doc = new Y.Doc();
  writePlanData(doc, previous);
  const snapshot = await snapshots.lock(leader, planId, `Consensus ${previousCycle}`, {
    state: Y.encodeStateAsUpdate(doc),
    lockedAt: new Date(now.getTime() - 26 * DAY_MS).toISOString(),
  });
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
    { allowPastDue: true, decidedAt: new Date(now.getTime() - 26 * DAY_MS).toISOString() },
  );
}

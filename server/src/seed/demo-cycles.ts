import {
  addMonths,
  cellKey,
  emptyCells,
  monthRange,
  parseCellKey,
  type Cells,
  type Month,
  type PlanData,
  type ValueRoot,
} from '@accord/plan-calc';
import { DEMO_SEED, familyBudget, plannedProduction } from './demo-plan.ts';
import { gaussian, keyedRandom, roundToTens } from './demo-random.ts';

/**
 * Monthly cycles the demo team has run in Accord before the current one: overrides made since
 * carry their author in the cell history, and each cycle ended in a locked consensus snapshot.
 * Six give lag 1–3 accuracy over the KPI panel's default six months.
 */
export const TRACKED_CYCLES = 6;
// Sales keep overrides for the first six months of a horizon (as in the demo plan); the executive
// meeting agrees the consensus of the first three.
const SALES_OVERRIDE_MONTHS = 6;
const CONSENSUS_MONTHS = 3;
// Each month earlier a forecast was made, it strays about 8 % further from the one made later (a
// random walk in log space), so accuracy falls with the lag as it does in real plans.
const DRIFT_PER_MONTH = 0.08;

type DemandLayer = 'statistical' | 'sales' | 'consensus';
const DEMAND_LAYERS: readonly DemandLayer[] = ['statistical', 'sales', 'consensus'];
const ACTUAL_ROOTS = ['actuals', 'actualProduction', 'actualInventory'] as const;

/** One monthly cycle of the demo's past, oldest first; the last is the cycle under way. */
export interface DemoCycle {
  /** The cycle's horizon start. */
  cycle: Month;
  /** Sales overrides typed during the cycle: new or changed cells. */
  salesEdits: Cells;
  /** Consensus agreed during the cycle: new or changed cells. */
  consensusEdits: Cells;
  /** The plan as locked at the end of the cycle; undefined for the cycle under way. */
  locked: PlanData | undefined;
}

/** Whole months from `from` to `to` (negative when `to` is earlier). */
function monthsFrom(from: Month, to: Month): number {
  const index = (m: Month) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7));
  return index(to) - index(from);
}

/**
 * The demand layers of `plan` for one cell as they were when `cycle` was planned. The plan holds
 * each layer's last revision: made in the cell's own month for history, in this cycle for the
 * baseline and sales, in the last locked cycle for the consensus. Every month before that strays
 * further, on one walk for all layers of the cell (they were made from the same knowledge).
 * Overrides cover only the first months of a horizon.
 */
function cellAt(plan: PlanData, key: string, bucket: Month, cycle: Month, seed: number): Partial<Record<DemandLayer, number>> {
  const current = plan.meta.horizonStart;
  const ahead = monthsFrom(cycle, bucket);
  const random = keyedRandom(seed, `${key}|drift`);
  const walk = [0];
  const layers: Partial<Record<DemandLayer, number>> = {};
  for (const layer of DEMAND_LAYERS) {
    if ((layer === 'sales' && ahead >= SALES_OVERRIDE_MONTHS) || (layer === 'consensus' && ahead >= CONSENSUS_MONTHS)) continue;
    const value = plan.cells[layer][key];
    if (value === undefined) continue;
    const lastRevision = bucket < current ? bucket : layer === 'consensus' ? addMonths(current, -1) : current;
    const monthsEarlier = Math.max(0, monthsFrom(cycle, lastRevision));
    while (walk.length <= monthsEarlier) walk.push(walk.at(-1)! + DRIFT_PER_MONTH * gaussian(random));
    const strayed = value * Math.exp(walk[monthsEarlier]!);
    layers[layer] = monthsEarlier === 0 ? value : layer === 'statistical' ? Math.round(strayed) : roundToTens(strayed);
  }
  return layers;
}

/** Every demand layer over the horizon of `cycle`, as planned then. */
function demandAt(plan: PlanData, cycle: Month, seed: number): Record<DemandLayer, Cells> {
  const demand: Record<DemandLayer, Cells> = { statistical: {}, sales: {}, consensus: {} };
  for (const productId of Object.keys(plan.products)) {
    for (const bucket of monthRange(cycle, plan.meta.horizonBuckets)) {
      const key = cellKey(productId, bucket);
      for (const [layer, value] of Object.entries(cellAt(plan, key, bucket, cycle, seed))) demand[layer as DemandLayer][key] = value;
    }
  }
  return demand;
}

/**
 * The plan as locked at the end of `cycle`: the actuals known then, the demand as planned then, a
 * production plan following it, opening stock from the closing stock of the month before, and
 * capacity, prices, costs, marketing and budget as the plan holds them (flat capacity and the
 * baseline budget where the plan has none, before its horizon).
 */
function lockedPlan(plan: PlanData, cycle: Month, demand: Record<DemandLayer, Cells>): PlanData {
  const { horizonBuckets, historyBuckets, horizonStart: current } = plan.meta;
  const horizon = monthRange(cycle, horizonBuckets);
  const history = monthRange(addMonths(cycle, -historyBuckets), historyBuckets);
  const cells = { ...emptyCells(), ...demand };
  const copy = (root: ValueRoot, key: string) => {
    const value = plan.cells[root][key];
    if (value !== undefined) cells[root][key] = value;
  };
  for (const productId of Object.keys(plan.products)) {
    for (const bucket of history) for (const root of ACTUAL_ROOTS) copy(root, cellKey(productId, bucket));
    copy('prices', productId);
    copy('costs', productId);
    const openingStock = plan.cells.actualInventory[cellKey(productId, addMonths(cycle, -1))] ?? plan.cells.inventory[productId];
    if (openingStock !== undefined) cells.inventory[productId] = openingStock;
    horizon.forEach((bucket, h) => {
      const key = cellKey(productId, bucket);
      for (const root of ['marketing', 'prices', 'costs'] as const) copy(root, key);
      cells.production[key] = plannedProduction(demand.sales[key] ?? demand.statistical[key] ?? 0, h);
    });
  }
  for (const bucket of horizon) {
    for (const resourceId of Object.keys(plan.resources)) {
      const capacity = plan.cells.capacity[cellKey(resourceId, bucket)] ?? plan.cells.capacity[cellKey(resourceId, current)];
      if (capacity !== undefined) cells.capacity[cellKey(resourceId, bucket)] = capacity;
    }
    for (const familyId of Object.keys(plan.families)) {
      cells.budget[cellKey(familyId, bucket)] = plan.cells.budget[cellKey(familyId, bucket)] ?? familyBudget(plan, familyId, bucket);
    }
  }
  return { ...plan, meta: { ...plan.meta, name: `S&OP ${cycle}`, horizonStart: cycle, cycleStage: 'locked' }, cells };
}

/** The cells of `next` that are new or differ from `previous`. */
function changedCells(previous: Cells, next: Cells): Cells {
  return Object.fromEntries(Object.entries(next).filter(([key, value]) => previous[key] !== value));
}

/**
 * The past that leads to `plan` (the demo plan, whose history months hold their last forecasts):
 * the tracked cycles oldest first, then the cycle under way, each with the overrides set in it and
 * the plan it locked. Setting every cycle's edits on {@link withoutTrackedOverrides}`(plan)` gives
 * back `plan`. Deterministic for a plan and seed.
 */
export function demoCycles(plan: PlanData, seed = DEMO_SEED): DemoCycle[] {
  const current = plan.meta.horizonStart;
  let previous: Record<DemandLayer, Cells> = { statistical: {}, sales: {}, consensus: {} };
  return monthRange(addMonths(current, -TRACKED_CYCLES), TRACKED_CYCLES + 1).map((cycle) => {
    const demand = demandAt(plan, cycle, seed);
    const past: DemoCycle = {
      cycle,
      salesEdits: changedCells(previous.sales, demand.sales),
      consensusEdits: changedCells(previous.consensus, demand.consensus),
      locked: cycle < current ? lockedPlan(plan, cycle, demand) : undefined,
    };
    previous = demand;
    return past;
  });
}

/**
 * `plan` without the overrides of the tracked cycles (every sales and consensus cell from the first
 * tracked cycle's month on): what the plan held when the team started to work in Accord.
 */
export function withoutTrackedOverrides(plan: PlanData): PlanData {
  const firstTracked = addMonths(plan.meta.horizonStart, -TRACKED_CYCLES);
  const untracked = (cells: Cells) =>
    Object.fromEntries(Object.entries(cells).filter(([key]) => (parseCellKey(key)?.bucket ?? '') < firstTracked));
  return { ...plan, cells: { ...plan.cells, sales: untracked(plan.cells.sales), consensus: untracked(plan.cells.consensus) } };
}

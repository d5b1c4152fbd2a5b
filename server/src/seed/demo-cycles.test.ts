import { describe, expect, it } from 'vitest';
import { addMonths, cellKey, parseCellKey, resolveDemand, type PlanData } from '@accord/plan-calc';
import { layerAccuracy, type ScoredPoint } from '../kpi/kpi.ts';
import { demoCycles, TRACKED_CYCLES, withoutTrackedOverrides } from './demo-cycles.ts';
import { generateDemoPlan } from './demo-plan.ts';

describe('demo cycles', () => {
  const plan = generateDemoPlan('2027-01');
  const cycles = demoCycles(plan);
  const locked = cycles.filter((c) => c.locked);
  const demandOf = (data: PlanData, key: string) =>
    resolveDemand(data.cells.consensus[key], data.cells.sales[key], data.cells.statistical[key], data.cells.marketing[key]).value;

  it('runs the tracked cycles, then the one under way, each locking its consensus once finished', () => {
    expect(cycles.map((c) => c.cycle)).toEqual(
      Array.from({ length: TRACKED_CYCLES + 1 }, (_, i) => addMonths('2027-01', i - TRACKED_CYCLES)),
    );
    expect(locked).toHaveLength(TRACKED_CYCLES);
    expect(cycles.at(-1)!.locked).toBeUndefined();
    expect(generateDemoPlan('2027-01')).toEqual(plan);
    expect(demoCycles(generateDemoPlan('2027-01'))).toEqual(cycles);
  });

  it('gives back the demo plan when every cycle’s overrides are set on the plan without them', () => {
    const replayed = withoutTrackedOverrides(plan);
    expect(Object.keys(replayed.cells.sales).length).toBeLessThan(Object.keys(plan.cells.sales).length);
    const sales = { ...replayed.cells.sales };
    const consensus = { ...replayed.cells.consensus };
    for (const c of cycles) {
      for (const key of [...Object.keys(c.salesEdits), ...Object.keys(c.consensusEdits)]) {
        expect(parseCellKey(key)!.bucket >= c.cycle, `${c.cycle} edits ${key}`).toBe(true);
      }
      Object.assign(sales, c.salesEdits);
      Object.assign(consensus, c.consensusEdits);
    }
    expect(sales).toEqual(plan.cells.sales);
    expect(consensus).toEqual(plan.cells.consensus);
    // Sales revise their overrides from one cycle to the next, so the cell history has more than one entry.
    expect(cycles.slice(1).some((c) => Object.keys(c.salesEdits).some((key) => key in cycles[0]!.salesEdits))).toBe(true);
  });

  it('locks each cycle as the plan stood then: its horizon, the actuals known, the demand its first month held', () => {
    for (const { cycle, locked: data } of locked) {
      expect(data!.meta).toMatchObject({ horizonStart: cycle, cycleStage: 'locked', name: `S&OP ${cycle}` });
      for (const [key, value] of Object.entries(data!.cells.actuals)) {
        expect(parseCellKey(key)!.bucket < cycle, key).toBe(true);
        expect(value).toBe(plan.cells.actuals[key]);
      }
      for (const id of Object.keys(plan.products)) {
        const key = cellKey(id, cycle);
        expect(data!.cells.statistical[key], key).toBe(plan.cells.statistical[key]);
        expect(demandOf(data!, key), key).toBe(demandOf(plan, key));
        expect(data!.cells.production[key]).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('forecasts less accurately the earlier they were locked: lag 3 errs more than lag 1', () => {
    const lagAccuracy = (lag: number) => {
      const points: ScoredPoint[] = [];
      for (const { cycle, locked: data } of locked) {
        const bucket = addMonths(cycle, lag);
        if (bucket >= plan.meta.horizonStart) continue;
        for (const id of Object.keys(plan.products)) {
          const key = cellKey(id, bucket);
          points.push({ actual: plan.cells.actuals[key]!, forecast: demandOf(data!, key), scale: null });
        }
      }
      return layerAccuracy(points);
    };
    expect(lagAccuracy(1).points).toBe(28 * (TRACKED_CYCLES - 1));
    expect(lagAccuracy(3).points).toBe(28 * (TRACKED_CYCLES - 3));
    expect(lagAccuracy(3).wmape!).toBeGreaterThan(lagAccuracy(1).wmape! + 1);
  });
});

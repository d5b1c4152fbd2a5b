import { describe, expect, it } from 'vitest';
import type { ScenarioFigures } from '@accord/protocol';
import { bestVersions } from './scenario-metrics.ts';

const figures = (over: Partial<ScenarioFigures>): ScenarioFigures => ({
  revenue: 1_000,
  grossMargin: 300,
  demand: 100,
  servedDemand: 100,
  fillRate: 1,
  stockOuts: 0,
  inventoryValue: 500,
  capacityOverloads: 0,
  ...over,
});

describe('bestVersions', () => {
  it('marks the best values of a metric, ties included, and none when all are equal', () => {
    expect([...bestVersions([figures({ revenue: 1 }), figures({ revenue: 3 }), figures({ revenue: 3 })], 'revenue')]).toEqual([1, 2]);
    expect(bestVersions([figures({}), figures({})], 'revenue').size).toBe(0);
    expect([...bestVersions([figures({ stockOuts: 4 }), undefined, figures({ stockOuts: 1 })], 'stockOuts')]).toEqual([2]);
  });

  it('does not call less inventory better when it comes with more stock-outs', () => {
    const base = figures({ inventoryValue: 900, stockOuts: 0 });
    const runsShort = figures({ inventoryValue: 400, stockOuts: 5 });
    const leaner = figures({ inventoryValue: 700, stockOuts: 0 });
    expect([...bestVersions([base, runsShort, leaner], 'inventoryValue')]).toEqual([2]);
    // With only one version at the fewest stock-outs, nothing wins on inventory.
    expect(bestVersions([base, runsShort], 'inventoryValue').size).toBe(0);
  });
});

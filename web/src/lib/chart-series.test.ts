import { describe, expect, it } from 'vitest';
import { PlanCalculator, emptyCells, type PlanData, type ValueRoot } from '@accord/plan-calc';
import { chartSeries } from './chart-series.ts';

function plan(): PlanData {
  const data: PlanData = {
    meta: {
      name: 'p',
      currency: 'EUR',
      bucket: 'month',
      horizonStart: '2027-01',
      horizonBuckets: 2,
      historyBuckets: 1,
      cycleStage: 'data-gathering',
      schemaVersion: 2,
    },
    families: { F: { id: 'F', name: 'Family F', order: 0 } },
    products: {
      A: {
        id: 'A',
        name: 'Alpha',
        familyId: 'F',
        unit: 'cases',
        resourceId: 'R',
        hoursPerUnit: 0.5,
        leadTimeDays: 0,
        safetyStockDays: 10,
        order: 0,
      },
    },
    resources: { R: { id: 'R', name: 'Line', order: 0 } },
    cells: emptyCells(),
  };
  data.cells.inventory.A = 100;
  data.cells.prices.A = 2;
  data.cells.costs.A = 1;
  data.cells.statistical['A|2027-01'] = 30;
  data.cells.sales['A|2027-02'] = 40;
  data.cells.actuals['A|2026-12'] = 25;
  data.cells.capacity['R|2027-01'] = 50;
  data.cells.budget['F|2027-01'] = 70;
  return data;
}

describe('chartSeries', () => {
  const data = plan();
  const calc = new PlanCalculator(data);
  const read = (root: ValueRoot, key: string) => data.cells[root][key];

  it('charts a product: layers, actuals in history, capacity in units, inventory against its target', () => {
    const chart = chartSeries(calc, data, data.meta, read, 'A');
    expect(chart.kind).toBe('product');
    expect(chart.labels).toEqual(['2026-12', '2027-01', '2027-02']);
    expect(chart.horizonStart).toBe(1);
    const series = (name: string) => [...chart.demand, ...chart.inventory, ...chart.finance].find((s) => s.name === name)?.data;
    expect(series('Statistical')).toEqual([null, 30, null]);
    expect(series('Sales')).toEqual([null, null, 40]);
    expect(series('Actuals')).toEqual([25, null, null]);
    expect(series('Demand (resolved)')).toEqual([null, 30, 40]);
    expect(series('Capacity (units)')).toEqual([null, 100, null]);
    expect(series('Projected inventory')).toEqual([null, 70, 30]);
    expect(series('Revenue')).toEqual([null, 60, 80]);
    expect(series('Budget')).toBeUndefined();
  });

  it('charts a family with its budget, and the whole plan otherwise', () => {
    const family = chartSeries(calc, data, data.meta, read, 'F');
    expect(family.kind).toBe('family');
    expect(family.finance.find((s) => s.name === 'Budget')?.data).toEqual([null, 70, 0]);
    expect(chartSeries(calc, data, data.meta, read, null).title).toBe('Total plan');
  });
});

import { describe, expect, it } from 'vitest';
import { cellKey } from './keys.ts';
import { monthRange } from './months.ts';
import { emptyCells, type PlanData } from './plan-data.ts';
import { demandLineage, layeredDemand, openingStock, projectProduct } from './projection.ts';
import { seededRandom } from './test-plans.ts';

function plan(horizonBuckets = 6): PlanData {
  return {
    meta: {
      name: 't',
      currency: 'EUR',
      bucket: 'month',
      horizonStart: '2027-01',
      horizonBuckets,
      historyBuckets: 0,
      cycleStage: 'demand-review',
      schemaVersion: 2,
    },
    families: { f: { id: 'f', name: 'F', order: 0 } },
    products: {
      p: {
        id: 'p',
        name: 'P',
        familyId: 'f',
        unit: 'cases',
        resourceId: 'r',
        hoursPerUnit: 0.01,
        leadTimeDays: 7,
        safetyStockDays: 10,
        order: 0,
      },
    },
    resources: { r: { id: 'r', name: 'R', order: 0 } },
    cells: emptyCells(),
  };
}

describe('layered demand', () => {
  it('honours the precedence rule for every combination of present and absent layers', () => {
    const key = cellKey('p', '2027-01');
    for (let mask = 0; mask < 16; mask++) {
      const data = plan();
      const [hasConsensus, hasSales, hasStatistical, hasMarketing] = [1, 2, 4, 8].map((bit) => (mask & bit) !== 0);
      if (hasConsensus) data.cells.consensus[key] = 1000;
      if (hasSales) data.cells.sales[key] = 300;
      if (hasStatistical) data.cells.statistical[key] = 200;
      if (hasMarketing) data.cells.marketing[key] = 50;
      const uplift = hasMarketing ? 50 : 0;
      const expected = hasConsensus
        ? { value: 1000, layer: 'consensus' }
        : hasSales
          ? { value: 300 + uplift, layer: 'sales' }
          : hasStatistical
            ? { value: 200 + uplift, layer: 'statistical' }
            : { value: uplift, layer: 'none' };
      expect(layeredDemand(data.cells, 'p', '2027-01'), `mask ${mask}`).toEqual(expected);
      const lineage = demandLineage(data.cells, 'p', '2027-01');
      expect({ value: lineage.value, layer: lineage.layer }, `lineage mask ${mask}`).toEqual(expected);
      expect(lineage.upliftApplied).toBe(hasMarketing && !hasConsensus);
      expect(lineage.sales).toBe(hasSales ? 300 : undefined);
    }
  });

  it('takes opening stock from the inventory cell, else the last actual closing stock, else 0', () => {
    const data = plan();
    expect(openingStock(data.cells, 'p', '2027-01')).toBe(0);
    data.cells.actualInventory['p|2026-12'] = 70;
    expect(openingStock(data.cells, 'p', '2027-01')).toBe(70);
    data.cells.inventory.p = 40;
    expect(openingStock(data.cells, 'p', '2027-01')).toBe(40);
  });
});

describe('projected inventory', () => {
  it('carries stock from bucket to bucket: opening + production − demand', () => {
    const data = plan(3);
    data.cells.inventory.p = 100;
    const [m1, m2, m3] = monthRange('2027-01', 3).map((m) => cellKey('p', m));
    Object.assign(data.cells.statistical, { [m1!]: 50, [m2!]: 80, [m3!]: 40 });
    Object.assign(data.cells.production, { [m1!]: 0, [m2!]: 60, [m3!]: 0 });
    data.cells.prices.p = 2;
    data.cells.prices[m3!] = 3; // a bucket price overrides the product price
    const projection = projectProduct(data, 'p');
    expect(projection.buckets).toEqual(['2027-01', '2027-02', '2027-03']);
    expect(projection.projectedInventory).toEqual([50, 30, -10]);
    expect(projection.revenue).toEqual([100, 160, 120]);
    expect(projection.demandLayer).toEqual(['statistical', 'statistical', 'statistical']);
  });

  it('conserves inventory on random plans: closing = opening + Σ production − Σ demand', () => {
    const next = seededRandom(42);
    for (let run = 0; run < 200; run++) {
      const data = plan(12);
      data.cells.inventory.p = Math.round(next() * 1000);
      for (const month of monthRange('2027-01', 12)) {
        const key = cellKey('p', month);
        if (next() < 0.8) data.cells.statistical[key] = Math.round(next() * 500);
        if (next() < 0.3) data.cells.sales[key] = Math.round(next() * 500);
        if (next() < 0.1) data.cells.consensus[key] = Math.round(next() * 500);
        if (next() < 0.7) data.cells.production[key] = Math.round(next() * 500);
      }
      const projection = projectProduct(data, 'p');
      const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
      expect(projection.projectedInventory.at(-1)).toBe(data.cells.inventory.p + sum(projection.production) - sum(projection.demand));
    }
  });
});

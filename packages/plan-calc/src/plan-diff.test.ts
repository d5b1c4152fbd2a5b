import { describe, expect, it } from 'vitest';
import { addBuckets, bucketRange } from './buckets.ts';
import { emptyCells, VALUE_ROOTS, type PlanData } from './plan-data.ts';
import { applyDiff, diffPlans } from './plan-diff.ts';
import { clone, pick, randomInt, randomPlan, seededRandom } from './test-plans.ts';

function base(): PlanData {
  return {
    meta: {
      name: 'Plan',
      currency: 'EUR',
      bucket: 'month',
      horizonStart: '2027-01',
      horizonBuckets: 2,
      historyBuckets: 0,
      cycleStage: 'executive',
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
        hoursPerUnit: 0.1,
        leadTimeDays: 5,
        safetyStockDays: 20,
        order: 0,
      },
    },
    resources: { r: { id: 'r', name: 'R', order: 0 } },
    cells: { ...emptyCells(), prices: { p: 4 }, sales: { 'p|2027-01': 100, 'p|2027-02': 100 } },
  };
}

describe('plan diff', () => {
  it('values changes by section and sorts the biggest first', () => {
    const a = base();
    const b = clone(a);
    b.meta.cycleStage = 'locked';
    b.products.p!.safetyStockDays = 30;
    b.resources.s = { id: 's', name: 'S', order: 1 };
    b.cells.sales['p|2027-01'] = 150; // +50 units at 4 = +200
    b.cells.capacity['r|2027-01'] = 80; // hours, no value
    b.cells.budget['f|2027-02'] = 1000; // currency
    b.cells.prices['p|2027-02'] = 5; // +1 on the 100 units of Feb = +100
    const diff = diffPlans(a, b);
    expect(diff.meta).toEqual([{ field: 'cycleStage', before: 'executive', after: 'locked' }]);
    expect(diff.catalog.map((c) => [c.kind, c.id, c.change, c.fields])).toEqual([
      ['products', 'p', 'changed', ['safetyStockDays']],
      ['resources', 's', 'added', ['id', 'name', 'order']],
    ]);
    expect(diff.cells.map((c) => [c.section, c.key, c.volumeDelta, c.valueDelta])).toEqual([
      ['finance', 'f|2027-02', 0, 1000],
      ['demand', 'p|2027-01', 50, 200],
      ['finance', 'p|2027-02', 0, 100],
      ['supply', 'r|2027-01', 80, 0],
    ]);
    expect(diff.sections.finance).toEqual({ changes: 2, valueDelta: 1100 });
    expect(diff.sections.plan.changes).toBe(1);
    expect(diff.sections.server.changes).toBe(0);
  });

  it('values a base price change on the demand of the buckets without an override', () => {
    const a = base();
    a.cells.prices['p|2027-02'] = 9;
    const b = clone(a);
    b.cells.prices.p = 6;
    expect(diffPlans(a, b).cells).toEqual([
      {
        section: 'finance',
        root: 'prices',
        key: 'p',
        rowId: 'p',
        bucket: null,
        before: 4,
        after: 6,
        beforeInEffect: 4,
        afterInEffect: 6,
        beforeFollows: null,
        afterFollows: null,
        volumeDelta: 0,
        valueDelta: 200,
      },
    ]);
  });

  it('takes a forecast typed over the statistical one as the difference, and back again', () => {
    const a = base();
    a.cells.statistical['p|2027-03'] = 6825;
    a.cells.marketing['p|2027-03'] = 100;
    const b = clone(a);
    b.cells.sales['p|2027-03'] = 7166; // was following the statistical forecast: +341 units at 4
    const [typed] = diffPlans(a, b).cells;
    expect(typed).toMatchObject({ root: 'sales', before: null, after: 7166, beforeInEffect: 6825, afterInEffect: 7166 });
    expect(typed).toMatchObject({ beforeFollows: 'statistical', afterFollows: null, volumeDelta: 341, valueDelta: 1364 });
    // Cleared again: back to the statistical forecast, −341.
    expect(diffPlans(b, a).cells[0]).toMatchObject({ afterInEffect: 6825, afterFollows: 'statistical', volumeDelta: -341 });
    // A sales cell cleared with no statistical forecast beneath it falls to nothing.
    const c = clone(a);
    delete c.cells.sales['p|2027-01'];
    expect(diffPlans(a, c).cells[0]).toMatchObject({ beforeInEffect: 100, afterInEffect: null, afterFollows: null, volumeDelta: -100 });
  });

  it('takes a consensus typed over the demand as the difference from that demand (forecast plus uplift)', () => {
    const a = base();
    a.cells.marketing['p|2027-01'] = 20; // demand beneath: sales 100 + uplift 20
    const b = clone(a);
    b.cells.consensus['p|2027-01'] = 150;
    expect(diffPlans(a, b).cells[0]).toMatchObject({
      root: 'consensus',
      beforeInEffect: 120,
      beforeFollows: 'demand',
      afterInEffect: 150,
      volumeDelta: 30,
      valueDelta: 120,
    });
    // Production has no layer beneath it: an empty cell is nothing.
    const c = clone(a);
    c.cells.production['p|2027-01'] = 90;
    expect(diffPlans(a, c).cells[0]).toMatchObject({ beforeInEffect: null, beforeFollows: null, volumeDelta: 90 });
  });

  it('finds nothing between equal plans', () => {
    const diff = diffPlans(base(), base());
    expect(diff.meta).toEqual([]);
    expect(diff.catalog).toEqual([]);
    expect(diff.cells).toEqual([]);
  });

  it('rebuilds b from a and diff(a, b) on random plans', () => {
    const random = seededRandom(31);
    for (let run = 0; run < 60; run++) {
      const a = randomPlan(random);
      const b = random() < 0.3 ? randomPlan(random) : clone(a);
      for (let edit = 0; edit < 20; edit++) {
        const root = pick(random, VALUE_ROOTS);
        const keys = Object.keys(b.cells[root]);
        if (keys.length > 0 && random() < 0.3) delete b.cells[root][pick(random, keys)];
        else b.cells[root][`p${randomInt(random, 8)}|${pick(random, bucketRange(addBuckets('2027-01', -2), 10))}`] = randomInt(random, 500);
      }
      if (random() < 0.5) delete b.products.p1;
      if (random() < 0.5) b.families.f7 = { id: 'f7', name: 'New', order: 7, retired: false };
      if (random() < 0.5) b.resources.r1 = { id: 'r1', name: 'Renamed', order: 4 };
      if (random() < 0.5) b.meta = { ...b.meta, horizonBuckets: 12, cycleStage: 'locked' };
      const snapshot = clone(a);
      expect(applyDiff(a, diffPlans(a, b))).toEqual(b);
      expect(a).toEqual(snapshot);
    }
  });
});

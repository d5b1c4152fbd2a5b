import { describe, expect, it } from 'vitest';
import { addBuckets, bucketRange } from './buckets.ts';
import { emptyCells, VALUE_ROOTS, type PlanData, type Product } from './plan-data.ts';
import { PlanCalculator, type CellChange } from './plan-calculator.ts';
import { SUMMED_FIELDS, type GroupPlan } from './roll-ups.ts';
import { clone, pick, randomInt, randomPlan, seededRandom } from './test-plans.ts';

function product(id: string, fields: Partial<Product> = {}): Product {
  return {
    id,
    name: id,
    familyId: 'f',
    unit: 'cases',
    resourceId: 'r',
    hoursPerUnit: 0,
    leadTimeDays: 0,
    safetyStockDays: 0,
    order: 0,
    ...fields,
  };
}

function plan(horizonBuckets: number, products: Product[]): PlanData {
  return {
    meta: {
      name: 't',
      currency: 'EUR',
      bucket: 'month',
      horizonStart: '2027-01',
      horizonBuckets,
      historyBuckets: 0,
      cycleStage: 'supply-review',
      schemaVersion: 2,
    },
    families: { f: { id: 'f', name: 'F', order: 0 }, g: { id: 'g', name: 'G', order: 1 } },
    products: Object.fromEntries(products.map((p) => [p.id, p])),
    resources: { r: { id: 'r', name: 'R', order: 0 } },
    cells: emptyCells(),
  };
}

/** Fills `productId|bucket` cells of a root from the horizon start. */
function fill(data: PlanData, root: (typeof VALUE_ROOTS)[number], rowId: string, values: number[]): void {
  bucketRange(data.meta.horizonStart, values.length).forEach((bucket, i) => (data.cells[root][`${rowId}|${bucket}`] = values[i]!));
}

describe('days of cover and safety stock', () => {
  it('divides closing stock by the average daily demand of the next three buckets', () => {
    // Jan–Apr 2027 have 31, 28, 31, 30 days; demand is 10 a day in every month.
    const data = plan(4, [product('p', { safetyStockDays: 30 })]);
    data.cells.inventory.p = 1000;
    fill(data, 'statistical', 'p', [310, 280, 310, 300]);
    const p = new PlanCalculator(data).getProduct('p');
    expect(p.projectedInventory).toEqual([690, 410, 100, -200]);
    // Jan: 690 / ((280 + 310 + 300) / 89) = 69; Feb: 410 / (610 / 61) = 41; Mar: only Apr is left: 100 / 10.
    // Apr, the last bucket, uses its own demand; negative stock covers 0 days.
    expect(p.daysOfCover).toEqual([69, 41, 10, 0]);
    expect(p.safetyStockBreach).toEqual([false, false, true, true]);
    expect(p.stockOut).toEqual([false, false, false, true]);
  });

  it('reports infinite cover (null) when no demand lies ahead', () => {
    const data = plan(3, [product('p', { safetyStockDays: 30 })]);
    data.cells.inventory.p = 50;
    fill(data, 'statistical', 'p', [20, 0, 0]);
    const p = new PlanCalculator(data).getProduct('p');
    expect(p.daysOfCover).toEqual([null, null, null]);
    expect(p.safetyStockBreach).toEqual([false, false, false]);
  });
});

describe('capacity load and constrained supply', () => {
  it('computes load, utilisation and overload from production × hours per unit', () => {
    const data = plan(2, [product('p', { hoursPerUnit: 0.5 }), product('q', { hoursPerUnit: 0.25 })]);
    fill(data, 'capacity', 'r', [100, 100]);
    fill(data, 'production', 'p', [120, 200]);
    fill(data, 'production', 'q', [160, 160]);
    const calc = new PlanCalculator(data);
    const r = calc.findResource('r')!;
    expect(r.loadHours).toEqual([100, 140]);
    expect(r.utilisation).toEqual([1, 1.4]);
    expect(r.overloaded).toEqual([false, true]);
    expect(r.scale[1]).toBeCloseTo(100 / 140, 12);
    expect(r.constrainedLoadHours[1]).toBeCloseTo(100, 9);
    // Both products of the overloaded resource are scaled down by the same factor.
    expect(calc.getProduct('p').constrainedProduction[1]).toBeCloseTo((200 * 100) / 140, 9);
    expect(calc.getProduct('q').constrainedProduction).toEqual([160, expect.closeTo((160 * 100) / 140, 9)]);
    // A quarter's utilisation is Σ load / Σ capacity.
    expect(calc.resourceByQuarter(r)[0]!.summary.utilisation).toBe(240 / 200);
  });

  it('serves demand from constrained supply and reports the rest as unmet', () => {
    const data = plan(2, [product('p', { hoursPerUnit: 1 })]);
    data.cells.inventory.p = 10;
    data.cells.prices.p = 4;
    fill(data, 'statistical', 'p', [100, 50]);
    fill(data, 'production', 'p', [120, 40]);
    fill(data, 'capacity', 'r', [60, 100]);
    const p = new PlanCalculator(data).getProduct('p');
    expect(p.constrainedProduction).toEqual([60, 40]);
    // Jan: 10 + 60 available, 70 served, 30 lost; Feb: 0 + 40 available, 40 served, 10 lost.
    expect(p.servedDemand).toEqual([70, 40]);
    expect(p.unmetDemand).toEqual([30, 10]);
    expect(p.constrainedInventory).toEqual([0, 0]);
    expect(p.unmetRevenue).toEqual([120, 40]);
    // Unconstrained projection ignores capacity.
    expect(p.projectedInventory).toEqual([30, 20]);
  });

  it('leaves products of a resource without a capacity cell unconstrained', () => {
    const data = plan(1, [product('p', { hoursPerUnit: 1 })]);
    fill(data, 'production', 'p', [500]);
    const calc = new PlanCalculator(data);
    expect(calc.findResource('r')!.utilisation).toEqual([null]);
    expect(calc.findResource('r')!.overloaded).toEqual([false]);
    expect(calc.getProduct('p').constrainedProduction).toEqual([500]);
  });
});

describe('finance', () => {
  it('computes revenue, cost, margin and margin % with per-bucket price overrides', () => {
    const data = plan(2, [product('p')]);
    data.cells.prices.p = 5;
    data.cells.costs.p = 3;
    data.cells.prices['p|2027-02'] = 6;
    fill(data, 'statistical', 'p', [100, 100]);
    const p = new PlanCalculator(data).getProduct('p');
    expect(p.revenue).toEqual([500, 600]);
    expect(p.costOfGoods).toEqual([300, 300]);
    expect(p.grossMargin).toEqual([200, 300]);
    expect(p.marginPct).toEqual([0.4, 0.5]);
  });

  it('recomputes a family margin % from its sums and reports the gap to budget in currency and units', () => {
    const data = plan(1, [product('p'), product('q')]);
    Object.assign(data.cells.prices, { p: 5, q: 10 });
    Object.assign(data.cells.costs, { p: 3, q: 9 });
    fill(data, 'statistical', 'p', [100]);
    fill(data, 'statistical', 'q', [100]);
    data.cells.budget['f|2027-01'] = 1800;
    const calc = new PlanCalculator(data);
    const family = calc.findFamily('f')!;
    expect(family.revenue).toEqual([1500]);
    expect(family.grossMargin).toEqual([300]);
    // 300 / 1500, not the average of 40 % and 10 %.
    expect(family.marginPct).toEqual([0.2]);
    expect(family.budgetGap).toEqual([-300]);
    // −300 at the family's average price of 1500 / 200 = 7.5 is −40 units.
    expect(family.budgetGapUnits).toEqual([-40]);
    expect(calc.total().budget).toEqual([1800]);
  });
});

describe('roll-ups', () => {
  it('summarises quarters: flows summed, stock at the quarter end, ratios recomputed', () => {
    const data = plan(6, [product('p', { safetyStockDays: 100 })]);
    data.cells.inventory.p = 1000;
    data.cells.prices.p = 2;
    data.cells.costs.p = 1;
    fill(data, 'statistical', 'p', [100, 100, 100, 200, 200, 200]);
    fill(data, 'production', 'p', [0, 0, 0, 100, 100, 100]);
    const calc = new PlanCalculator(data);
    const quarters = calc.byQuarter(calc.getProduct('p'));
    expect(quarters.map((q) => q.quarter)).toEqual(['2027-Q1', '2027-Q2']);
    expect(quarters[0]!.summary).toMatchObject({ from: '2027-01', to: '2027-03', demand: 300, revenue: 600, projectedInventory: 700 });
    // Stock at the end of March (700) over the demand of Apr–Jun (600 / 91 days).
    expect(quarters[0]!.summary.daysOfCover).toBeCloseTo(700 / (600 / 91), 9);
    expect(quarters[1]!.summary).toMatchObject({ demand: 600, production: 300, projectedInventory: 400, marginPct: 0.5 });
    expect(calc.horizon(calc.total())!.demand).toBe(900);
  });

  it('leaves retired products, families and resources out of the maths and roll-ups', () => {
    const data = plan(1, [
      product('p', { hoursPerUnit: 1 }),
      product('old', { retired: true, hoursPerUnit: 1 }),
      product('g1', { familyId: 'g' }),
    ]);
    data.families.g!.retired = true;
    fill(data, 'statistical', 'p', [10]);
    fill(data, 'statistical', 'old', [20]);
    fill(data, 'statistical', 'g1', [40]);
    fill(data, 'production', 'p', [5]);
    fill(data, 'production', 'old', [7]);
    const calc = new PlanCalculator(data);
    expect(calc.findProduct('old')).toBeUndefined();
    expect(calc.findProduct('g1')).toBeUndefined();
    expect(calc.findFamily('g')).toBeUndefined();
    expect(calc.total().demand).toEqual([10]);
    expect(calc.findResource('r')!.loadHours).toEqual([5]);
    data.resources.r!.retired = true;
    expect(new PlanCalculator(data).resources()).toEqual([]);
  });

  it('equals the sum of its parts on random plans, and conserves inventory', () => {
    const random = seededRandom(2027);
    for (let run = 0; run < 40; run++) {
      const calc = new PlanCalculator(randomPlan(random, { products: 8, horizonBuckets: 9, bucket: run % 2 ? 'week' : 'month' }));
      const total = calc.total();
      const families = calc.families();
      for (const family of families) {
        const members = calc.products().filter((p) => p.familyId === family.id);
        for (const field of SUMMED_FIELDS) {
          expect(family[field]).toEqual(calc.buckets.map((_, i) => members.reduce((sum, p) => sum + p[field][i]!, 0)));
        }
        expect(family.stockOuts).toEqual(calc.buckets.map((_, i) => members.filter((p) => p.stockOut[i]).length));
      }
      for (const field of [...SUMMED_FIELDS, 'budget', 'stockOuts'] as const) {
        expect(total[field]).toEqual(calc.buckets.map((_, i) => families.reduce((sum, f: GroupPlan) => sum + f[field][i]!, 0)));
      }
      for (const field of SUMMED_FIELDS) {
        calc.buckets.forEach((_, i) =>
          expect(total[field][i]).toBeCloseTo(
            calc.products().reduce((sum, p) => sum + p[field][i]!, 0),
            6,
          ),
        );
      }
      for (const { summary } of calc.byQuarter(total))
        expect(summary.marginPct).toBe(summary.revenue === 0 ? null : summary.grossMargin / summary.revenue);
      const quarterDemand = calc.byQuarter(total).reduce((sum, q) => sum + q.summary.demand, 0);
      expect(quarterDemand).toBeCloseTo(calc.horizon(total)!.demand, 6);
      for (const p of calc.products()) {
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        expect(p.projectedInventory.at(-1)).toBe(p.openingInventory + sum(p.production) - sum(p.demand));
        expect(p.constrainedInventory.at(-1)).toBeCloseTo(p.openingInventory + sum(p.constrainedProduction) - sum(p.servedDemand), 6);
        p.servedDemand.forEach((served, i) => expect(served + p.unmetDemand[i]!).toBeCloseTo(p.demand[i]!, 9));
      }
      for (const r of calc.resources())
        r.constrainedLoadHours.forEach(
          (load, i) => r.capacityHours[i] !== null && expect(load).toBeLessThanOrEqual(Math.max(r.capacityHours[i]!, 0) + 1e-9),
        );
    }
  });
});

function randomChange(random: () => number, calc: PlanCalculator): CellChange {
  const data = calc.data;
  const root = pick(random, VALUE_ROOTS);
  const productIds = [...Object.keys(data.products), 'ghost'];
  // A few buckets past the horizon end, and the last history bucket, which only opening stock reads.
  const bucket = pick(random, bucketRange(data.meta.horizonStart, data.meta.horizonBuckets + 3));
  const history = addBuckets(data.meta.horizonStart, -1);
  let key: string;
  if (root === 'capacity') key = `${pick(random, Object.keys(data.resources))}|${bucket}`;
  else if (root === 'budget') key = `${pick(random, [...Object.keys(data.families), 'f9'])}|${bucket}`;
  else if (root === 'inventory' || ((root === 'prices' || root === 'costs') && random() < 0.5)) key = pick(random, productIds);
  else key = `${pick(random, productIds)}|${random() < 0.15 ? history : bucket}`;
  return { root, key, value: random() < 0.2 ? null : randomInt(random, 500) - (root === 'marketing' ? 100 : 0) };
}

function expectSameResults(calc: PlanCalculator): void {
  const fresh = new PlanCalculator(calc.data);
  expect(calc.products()).toEqual(fresh.products());
  expect(calc.families()).toEqual(fresh.families());
  expect(calc.total()).toEqual(fresh.total());
  expect(calc.resources()).toEqual(fresh.resources());
}

describe('incremental recompute', () => {
  // A seeded property test: 30 random edit sequences; slow on a loaded machine, never timed.
  it('equals a full recompute after random sequences of cell edits', { timeout: 60_000 }, () => {
    const random = seededRandom(99);
    for (let run = 0; run < 30; run++) {
      const calc = new PlanCalculator(
        randomPlan(random, { products: 10, resources: 3, horizonBuckets: 10, bucket: run % 3 ? 'month' : 'week' }),
        { adopt: run % 2 === 0 },
      );
      for (let step = 0; step < 25; step++) {
        calc.applyCellChanges(Array.from({ length: 1 + randomInt(random, 4) }, () => randomChange(random, calc)));
        expectSameResults(calc);
      }
    }
  });

  it('equals a full recompute after catalog and meta changes', () => {
    const random = seededRandom(5);
    const calc = new PlanCalculator(randomPlan(random));
    const p0 = calc.data.products.p0!;
    calc.applyCatalogChanges([
      { kind: 'products', id: 'p0', value: { ...p0, resourceId: 'r1', hoursPerUnit: 0.5 } },
      { kind: 'products', id: 'p1', value: null },
      { kind: 'families', id: 'f9', value: { id: 'f9', name: 'New', order: 9 } },
    ]);
    expectSameResults(calc);
    expect(calc.findFamily('f9')).toBeDefined();
    calc.setMeta({ ...calc.data.meta, horizonStart: '2027-03', horizonBuckets: 4 });
    expect(calc.buckets).toEqual(['2027-03', '2027-04', '2027-05', '2027-06']);
    calc.applyCellChanges([{ root: 'sales', key: 'p0|2027-04', value: 999 }]);
    expectSameResults(calc);
  });

  it('changes only the edited product, its family and the total for a sales edit', () => {
    const data = plan(3, [product('p'), product('q', { familyId: 'g' })]);
    fill(data, 'statistical', 'p', [10, 10, 10]);
    fill(data, 'statistical', 'q', [20, 20, 20]);
    const calc = new PlanCalculator(data);
    const q = clone(calc.getProduct('q'));
    calc.applyCellChanges([{ root: 'sales', key: 'p|2027-02', value: 50 }]);
    expect(calc.getProduct('p').demand).toEqual([10, 50, 10]);
    expect(calc.getProduct('p').demandLayer).toEqual(['statistical', 'sales', 'statistical']);
    expect(calc.total().demand).toEqual([30, 70, 30]);
    expect(calc.getProduct('q')).toEqual(q);
    expect(data.cells.sales).toEqual({}); // the caller's data is not touched
  });

  it('writes the cells of data it adopted in place, and recomputes the same', () => {
    const data = plan(2, [product('p')]);
    const calc = new PlanCalculator(data, { adopt: true });
    calc.applyCellChanges([
      { root: 'sales', key: 'p|2027-01', value: 5 },
      { root: 'sales', key: 'p|2027-02', value: 6 },
    ]);
    expect(data.cells.sales).toEqual({ 'p|2027-01': 5, 'p|2027-02': 6 });
    expect(calc.getProduct('p').demand).toEqual([5, 6]);
    expectSameResults(calc);
  });

  it('hands out data snapshots that later edits leave alone', () => {
    const data = plan(2, [product('p')]);
    const calc = new PlanCalculator(data);
    calc.applyCellChanges([{ root: 'sales', key: 'p|2027-01', value: 5 }]);
    const snapshot = calc.data;
    const other = new PlanCalculator(snapshot);
    calc.applyCellChanges([{ root: 'sales', key: 'p|2027-01', value: 7 }]);
    calc.applyCatalogChanges([{ kind: 'products', id: 'q', value: product('q') }]);
    expect(snapshot.cells.sales).toEqual({ 'p|2027-01': 5 });
    expect(snapshot.products.q).toBeUndefined();
    expect(other.getProduct('p').demand).toEqual([5, 0]);
    expect(calc.getProduct('p').demand).toEqual([7, 0]);
  });
});

describe('actuals added up by family and in total', () => {
  it('sums the products of a group in a history bucket, and follows actuals and catalog changes', () => {
    const data = plan(2, [product('p'), product('q'), product('x', { familyId: 'g' })]);
    Object.assign(data.cells.actuals, { 'p|2026-12': 10, 'q|2026-12': 5, 'x|2026-12': 100 });
    const calc = new PlanCalculator(data);
    expect(calc.groupActual('actuals', 'f', '2026-12')).toBe(15);
    expect(calc.groupActual('actuals', 'total', '2026-12')).toBe(115);
    // Nothing stored for the bucket or the root: undefined, not 0.
    expect(calc.groupActual('actuals', 'f', '2026-11')).toBeUndefined();
    expect(calc.groupActual('actualProduction', 'f', '2026-12')).toBeUndefined();
    // A new actual (an import) and a product moved to another family are reflected at once.
    calc.applyCellChanges([{ root: 'actuals', key: 'q|2026-12', value: 7 }]);
    expect(calc.groupActual('actuals', 'f', '2026-12')).toBe(17);
    calc.applyCatalogChanges([{ kind: 'products', id: 'q', value: product('q', { familyId: 'g' }) }]);
    expect(calc.groupActual('actuals', 'f', '2026-12')).toBe(10);
    expect(calc.groupActual('actuals', 'g', '2026-12')).toBe(107);
    expect(calc.groupActual('actuals', 'total', '2026-12')).toBe(117);
  });
});

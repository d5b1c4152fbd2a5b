import { describe, expect, it } from 'vitest';
import { largestRemainder, scaleToAverage, spreadTotal, weightedAverage, type SpreadCell } from './spread.ts';
import { averageRate, isHeld, layerValue, planScale, planSpread, unitDecimals, type CellReader } from './plan-spread.ts';
import { pick, randomInt, seededRandom } from './test-plans.ts';
import type { Cells, ValueRoot } from './plan-data.ts';

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const whole = (current: number, extra: Partial<SpreadCell> = {}): SpreadCell => ({ current, decimals: 0, ...extra });

describe('largestRemainder', () => {
  it('gives the leftover units to the largest remainders', () => {
    expect(largestRemainder(10, [1, 1, 1], [1, 1, 1])).toEqual([4, 3, 3]);
    expect(largestRemainder(100, [1, 2, 3], [1, 1, 1])).toEqual([17, 33, 50]);
  });
  it('keeps every share a multiple of its own step', () => {
    // Ticks of 0.001: a whole cell (step 1000) and a measured one (step 1).
    const shares = largestRemainder(10_500, [1, 1], [1000, 1]);
    expect(sum(shares)).toBe(10_500);
    expect(shares[0]! % 1000).toBe(0);
  });
});

describe('spreadTotal', () => {
  it('spreads in proportion to the current values, in whole units, adding up exactly', () => {
    const outcome = spreadTotal([whole(100), whole(300), whole(0)], 1000);
    expect(outcome).toMatchObject({ ok: true, basis: 'current', values: [250, 750, 0] });
  });

  it('falls back to what the layer overrides, then last year, then equal shares', () => {
    expect(spreadTotal([whole(0, { overridden: 1, lastYear: 9 }), whole(0, { overridden: 3, lastYear: 1 })], 40)).toMatchObject({
      basis: 'overridden',
      values: [10, 30],
    });
    expect(spreadTotal([whole(0, { lastYear: 1 }), whole(0, { lastYear: 3 })], 40)).toMatchObject({ basis: 'last-year', values: [10, 30] });
    expect(spreadTotal([whole(0), whole(0), whole(0)], 10)).toMatchObject({ basis: 'equal', values: [4, 3, 3] });
  });

  it('leaves held cells alone and spreads the rest over the others', () => {
    const outcome = spreadTotal([whole(100, { held: true }), whole(100), whole(300)], 900);
    expect(outcome).toMatchObject({ ok: true, values: [100, 200, 600] });
  });

  it('refuses, changing nothing, when everything is held or the held cells exceed the total', () => {
    expect(spreadTotal([whole(100, { held: true }), whole(50, { held: true })], 200)).toEqual({
      ok: false,
      problem: 'all-held',
      held: 150,
    });
    expect(spreadTotal([whole(100, { held: true }), whole(50, { held: true })], 150)).toMatchObject({ ok: true, values: [100, 50] });
    expect(spreadTotal([whole(100, { held: true }), whole(50)], 80)).toEqual({ ok: false, problem: 'held-exceed', held: 100 });
  });

  it('refuses a typed fraction over whole units, and rounds a computed one when asked', () => {
    expect(spreadTotal([whole(1), whole(1)], 100.5)).toEqual({ ok: false, problem: 'not-whole', decimals: 0 });
    expect(spreadTotal([whole(1), whole(1)], 100.5, { round: true })).toMatchObject({ ok: true, total: 101 });
    expect(spreadTotal([{ current: 1, decimals: 3 }, whole(1)], 100.5)).toMatchObject({ ok: true, total: 100.5 });
  });

  it('spreads a negative total over a negative basis where negatives are allowed (uplifts)', () => {
    expect(spreadTotal([whole(-10), whole(-30)], -80, { allowNegative: true })).toMatchObject({ ok: true, values: [-20, -60] });
  });

  it('holds its properties on random cells', () => {
    const random = seededRandom(1506);
    for (let run = 0; run < 2_000; run++) {
      const n = 1 + randomInt(random, 40);
      const decimals = pick(random, [0, 0, 2, 3]);
      const basis = pick(random, ['current', 'overridden', 'last-year', 'equal'] as const);
      const cells: SpreadCell[] = Array.from({ length: n }, () => ({
        current: basis === 'current' && random() < 0.8 ? randomInt(random, 5_000) : 0,
        overridden: basis === 'overridden' || basis === 'current' ? randomInt(random, 5_000) : 0,
        lastYear: basis === 'equal' ? 0 : randomInt(random, 5_000),
        held: random() < 0.2,
        decimals: random() < 0.8 ? decimals : 0,
      }));
      const heldSum = sum(cells.filter((c) => c.held).map((c) => c.current));
      const total = heldSum + randomInt(random, 200_000);
      const outcome = spreadTotal(cells, total);
      if (!outcome.ok) {
        // Only a fully held spread or a total too fine for whole cells may be refused.
        expect(['all-held', 'not-whole']).toContain(outcome.problem);
        continue;
      }
      // Totals preserved exactly: counted in the finest step (floating point adds 0.1 + 0.2 inexactly).
      const scale = 10 ** Math.max(...cells.map((c) => c.decimals));
      expect(sum(outcome.values.map((v) => Math.round(v * scale)))).toBe(total * scale);
      cells.forEach((cell, i) => {
        const value = outcome.values[i]!;
        // Holds untouched; whole cells stay whole.
        if (cell.held) expect(value).toBe(cell.current);
        expect(
          Number.isInteger(value * 10 ** cell.decimals + 1e-9) ||
            Math.abs(value * 10 ** cell.decimals - Math.round(value * 10 ** cell.decimals)) < 1e-6,
        ).toBe(true);
        if (cell.decimals === 0) expect(Number.isInteger(value)).toBe(true);
      });
      // Proportions preserved within rounding: each free cell is within one step of its exact share.
      const free = cells.map((c, i) => [c, i] as const).filter(([c]) => !c.held);
      const weightOf = (c: SpreadCell) =>
        outcome.basis === 'current'
          ? c.current
          : outcome.basis === 'overridden'
            ? (c.overridden ?? 0)
            : outcome.basis === 'last-year'
              ? (c.lastYear ?? 0)
              : 1;
      // The fallbacks come in order: a basis is used only when the ones before it have no weight.
      const order = ['current', 'overridden', 'last-year', 'equal'] as const;
      for (const earlier of order.slice(0, order.indexOf(outcome.basis as (typeof order)[number]))) {
        const weights = free.map(([c]) =>
          earlier === 'current' ? c.current : earlier === 'overridden' ? (c.overridden ?? 0) : (c.lastYear ?? 0),
        );
        expect(sum(weights)).toBe(0);
      }
      const weights = sum(free.map(([c]) => weightOf(c)));
      for (const [cell, i] of free) {
        const exact = ((total - heldSum) * weightOf(cell)) / weights;
        expect(Math.abs(outcome.values[i]! - exact)).toBeLessThanOrEqual(1 + 1e-6);
      }
    }
  });
});

describe('scaleToAverage (intensive quantities)', () => {
  it('scales every rate by one factor so the volume-weighted average is what was typed', () => {
    const cells = [
      { current: 2, weight: 100 },
      { current: 4, weight: 300 },
    ];
    expect(weightedAverage(cells)).toBe(3.5);
    const outcome = scaleToAverage(cells, 3.85);
    expect(outcome).toMatchObject({ ok: true, values: [2.2, 4.4] });
    if (outcome.ok) expect(outcome.factor).toBeCloseTo(1.1, 12);
  });

  it('keeps held rates and scales the others to reach the average', () => {
    const outcome = scaleToAverage(
      [
        { current: 2, weight: 1, held: true },
        { current: 4, weight: 1 },
      ],
      4,
    );
    expect(outcome).toMatchObject({ ok: true, values: [2, 6] });
    expect(scaleToAverage([{ current: 2, weight: 1, held: true }], 4)).toMatchObject({ ok: false, problem: 'all-held' });
  });

  it('sets equal rates where there were none, and averages plainly without volume', () => {
    expect(
      scaleToAverage(
        [
          { current: 0, weight: 5 },
          { current: 0, weight: 1 },
        ],
        3,
      ),
    ).toMatchObject({ ok: true, values: [3, 3] });
    expect(
      weightedAverage([
        { current: 2, weight: 0 },
        { current: 4, weight: 0 },
      ]),
    ).toBe(3);
  });

  it('preserves the average on random rates', () => {
    const random = seededRandom(77);
    for (let run = 0; run < 500; run++) {
      const cells = Array.from({ length: 1 + randomInt(random, 30) }, () => ({
        current: randomInt(random, 2_000) / 100,
        weight: randomInt(random, 1_000),
        held: random() < 0.2,
      }));
      const target = randomInt(random, 5_000) / 100;
      const outcome = scaleToAverage(cells, target);
      if (!outcome.ok) continue;
      cells.forEach((cell, i) => cell.held && expect(outcome.values[i]).toBe(cell.current));
      const after = weightedAverage(cells.map((cell, i) => ({ ...cell, current: outcome.values[i]! })))!;
      // Rates are rounded to 1/10,000: the average is off by at most that.
      expect(Math.abs(after - target)).toBeLessThanOrEqual(1e-4);
    }
  });
});

describe('planSpread and planScale on a plan', () => {
  const cells: Partial<Record<ValueRoot, Cells>> = {
    sales: { 'a|2027-04': 100 },
    statistical: { 'a|2027-04': 90, 'b|2027-04': 300, 'a|2027-05': 50, 'b|2027-05': 50 },
    marketing: { 'b|2027-04': 20 },
    consensus: { 'b|2027-05': 70 },
    actualProduction: { 'a|2026-06': 10, 'b|2026-06': 30 },
    prices: { a: 2, b: 4, 'b|2027-05': 5 },
    salesHolds: {},
    budget: { 'f|2027-04': 1000 },
    production: {},
  };
  const read: CellReader = (root, key) => cells[root]?.[key];

  it('reads the value a layer has in effect: stored, else the layer it overrides', () => {
    expect(layerValue(read, 'sales', 'a', '2027-04')).toBe(100);
    expect(layerValue(read, 'sales', 'b', '2027-04')).toBe(300);
    expect(layerValue(read, 'consensus', 'b', '2027-04')).toBe(320);
    expect(layerValue(read, 'consensus', 'b', '2027-05')).toBe(70);
    expect(layerValue(read, 'production', 'a', '2027-04')).toBe(0);
  });

  it('spreads a family sales edit over the values in effect and writes only cells that change', () => {
    const plan = planSpread({ read }, { root: 'sales', rowIds: ['a', 'b'], buckets: ['2027-04', '2027-05'] }, 1000);
    expect(plan).toMatchObject({ ok: true, basis: 'current', before: 500, after: 1000, cells: 4, held: 0 });
    if (!plan.ok) return;
    expect(sum(plan.changes.map((c) => c.value!))).toBe(1000);
    expect(plan.changes).toEqual([
      { root: 'sales', key: 'a|2027-04', value: 200 },
      { root: 'sales', key: 'a|2027-05', value: 100 },
      { root: 'sales', key: 'b|2027-04', value: 600 },
      { root: 'sales', key: 'b|2027-05', value: 100 },
    ]);
  });

  it('honours holds of cells and of whole rows', () => {
    cells.salesHolds = { b: 1 };
    expect(isHeld(read, 'sales', 'b', '2027-05')).toBe(true);
    const plan = planSpread({ read }, { root: 'sales', rowIds: ['a', 'b'], buckets: ['2027-04', '2027-05'] }, 650);
    expect(plan).toMatchObject({ ok: true, held: 2 });
    if (plan.ok) expect(plan.changes.map((c) => c.key)).toEqual(['a|2027-04', 'a|2027-05']);
    cells.salesHolds = { 'a|2027-04': 1, 'a|2027-05': 1, b: 1 };
    expect(planSpread({ read }, { root: 'sales', rowIds: ['a', 'b'], buckets: ['2027-04', '2027-05'] }, 600)).toMatchObject({
      ok: false,
      problem: 'all-held',
    });
    cells.salesHolds = {};
  });

  it('falls back to last year’s actuals for production with no plan and no demand', () => {
    const plan = planSpread({ read }, { root: 'production', rowIds: ['a', 'b'], buckets: ['2027-06'] }, 400);
    expect(plan).toMatchObject({
      ok: true,
      basis: 'last-year',
      changes: [
        { key: 'a|2027-06', value: 100 },
        { key: 'b|2027-06', value: 300 },
      ],
    });
  });

  it('passes over a basis with mixed signs to the next one (a negative uplift under an empty consensus)', () => {
    const mixed: Partial<Record<ValueRoot, Cells>> = {
      sales: { 'a|2027-06': 10 },
      marketing: { 'b|2027-06': -20 },
      actuals: { 'a|2026-06': 1, 'b|2026-06': 3 },
    };
    const plan = planSpread(
      { read: (root, key) => mixed[root]?.[key] },
      { root: 'consensus', rowIds: ['a', 'b'], buckets: ['2027-06'] },
      40,
    );
    // a is at its share (10) already: only b is written.
    expect(plan).toMatchObject({ ok: true, basis: 'last-year', before: -10, changes: [{ key: 'b|2027-06', value: 30 }] });
  });

  it('scales a family price to the volume-weighted average typed', () => {
    const scope = { root: 'prices', productIds: ['a', 'b'], buckets: ['2027-04'] } as const;
    // Demand: a 100, b 320 → (2 × 100 + 4 × 320) / 420.
    expect(averageRate(read, scope)).toBeCloseTo(1480 / 420, 12);
    const plan = planScale(read, scope, (1480 / 420) * 1.1);
    expect(plan).toMatchObject({
      ok: true,
      changes: [
        { key: 'a|2027-04', value: 2.2 },
        { key: 'b|2027-04', value: 4.4 },
      ],
    });
  });

  it('knows counted from measured units', () => {
    expect(unitDecimals('cases')).toBe(0);
    expect(unitDecimals('KG')).toBe(3);
  });
});

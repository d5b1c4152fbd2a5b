import { describe, expect, it } from 'vitest';
import { cellKey, monthRange, addMonths } from '@accord/plan-calc';
import { generateDemoPlan } from './demo-plan.ts';

describe('demo plan', () => {
  const plan = generateDemoPlan('2027-01');
  const products = Object.values(plan.products);
  const history = monthRange(addMonths('2027-01', -24), 24);

  it('has a realistic shape: families, 20–40 SKUs, 2–3 resources, 24 months of history, 18 ahead', () => {
    expect(Object.keys(plan.families).length).toBeGreaterThanOrEqual(3);
    expect(products.length).toBeGreaterThanOrEqual(20);
    expect(products.length).toBeLessThanOrEqual(40);
    expect(Object.keys(plan.resources).length).toBeGreaterThanOrEqual(2);
    expect(plan.meta.horizonBuckets).toBe(18);
    for (const p of products) for (const m of history) expect(plan.cells.actuals[cellKey(p.id, m)]).toBeGreaterThanOrEqual(0);
    for (const p of products) expect(p.safetyStockDays).toBeGreaterThan(0);
  });

  it('is deterministic for a horizon and seed', () => {
    expect(generateDemoPlan('2027-01')).toEqual(plan);
    expect(generateDemoPlan('2027-01', 7)).not.toEqual(plan);
  });

  it('has summer seasonality in sparkling water and intermittent gift items', () => {
    const sparkling = products.filter((p) => p.familyId === 'sparkling');
    const total = (month: string) => sparkling.reduce((s, p) => s + (plan.cells.actuals[cellKey(p.id, month)] ?? 0), 0);
    const july = history.filter((m) => m.endsWith('-07')).map(total);
    const january = history.filter((m) => m.endsWith('-01')).map(total);
    expect(Math.min(...july)).toBeGreaterThan(Math.max(...january) * 1.5);
    const gifts = products.filter((p) => p.familyId === 'gifts');
    for (const p of gifts) {
      const zeros = history.filter((m) => plan.cells.actuals[cellKey(p.id, m)] === 0).length;
      expect(zeros).toBeGreaterThan(4);
    }
  });

  it('shows a growing energy range: last year above the year before', () => {
    const energy = products.filter((p) => p.familyId === 'energy');
    const sum = (months: string[]) =>
      energy.reduce((s, p) => s + months.reduce((t, m) => t + (plan.cells.actuals[cellKey(p.id, m)] ?? 0), 0), 0);
    expect(sum(history.slice(12))).toBeGreaterThan(sum(history.slice(0, 12)) * 1.1);
  });
});

describe('demo plan layers', () => {
  it('fills every value root, so every layer of the maths has data', () => {
    const plan = generateDemoPlan('2027-01');
    for (const [root, cells] of Object.entries(plan.cells)) expect(Object.keys(cells).length, root).toBeGreaterThan(0);
  });
});

import { describe, expect, it } from 'vitest';
import { addMonths, cellKey, isHoldRoot, monthRange, resolveDemand } from '@accord/plan-calc';
import { forecastValueAdded, layerAccuracy, type ScoredPoint } from '../kpi/kpi.ts';
import { FORECAST_HISTORY_MONTHS, generateDemoPlan } from './demo-plan.ts';

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
  it('fills every value root, so every layer of the maths has data (holds start empty: planners set them)', () => {
    const plan = generateDemoPlan('2027-01');
    for (const [root, cells] of Object.entries(plan.cells)) {
      if (isHoldRoot(root)) expect(Object.keys(cells), root).toEqual([]);
      else expect(Object.keys(cells).length, root).toBeGreaterThan(0);
    }
  });
});

describe('demo plan history layers', () => {
  const plan = generateDemoPlan('2027-01');
  const products = Object.values(plan.products);
  const history = monthRange(addMonths('2027-01', -24), 24);
  const forecastMonths = history.slice(-FORECAST_HISTORY_MONTHS);
  /** Each layer's forecasts of a family over the history months that keep them, scored against the actuals. */
  const accuracy = (familyId: string) => {
    const points = { statistical: [] as ScoredPoint[], sales: [] as ScoredPoint[], consensus: [] as ScoredPoint[] };
    for (const p of products.filter((x) => x.familyId === familyId)) {
      for (const month of forecastMonths) {
        const key = cellKey(p.id, month);
        const c = plan.cells;
        const actual = c.actuals[key]!;
        points.statistical.push({ actual, forecast: c.statistical[key]!, scale: null });
        points.sales.push({
          actual,
          forecast: resolveDemand(undefined, c.sales[key], c.statistical[key], c.marketing[key]).value,
          scale: null,
        });
        points.consensus.push({
          actual,
          forecast: resolveDemand(c.consensus[key], c.sales[key], c.statistical[key], c.marketing[key]).value,
          scale: null,
        });
      }
    }
    return {
      statistical: layerAccuracy(points.statistical),
      sales: layerAccuracy(points.sales),
      consensus: layerAccuracy(points.consensus),
    };
  };

  it('keeps the last year of forecasts: a baseline for every product, overrides and consensus on some', () => {
    for (const p of products) {
      for (const month of history)
        expect(plan.cells.statistical[cellKey(p.id, month)] !== undefined, `${p.id} ${month}`).toBe(forecastMonths.includes(month));
    }
    const inHistory = (cells: Record<string, number>) => Object.keys(cells).filter((key) => key.slice(-7) < '2027-01');
    const managedBySales = new Set(Object.keys(plan.cells.sales).map((key) => key.split('|')[0]));
    expect(inHistory(plan.cells.sales).length).toBeGreaterThan(20);
    for (const key of inHistory(plan.cells.sales)) expect(managedBySales.has(key.split('|')[0]), key).toBe(true);
    expect(inHistory(plan.cells.consensus).length).toBeGreaterThan(5);
  });

  it('scores the way real teams do: sales add value on energy and lose it on juices, where the consensus wins it back', () => {
    const energy = accuracy('energy');
    const juices = accuracy('juices');
    expect(forecastValueAdded(energy.statistical.wmape, energy.sales.wmape)).toBeGreaterThan(1);
    expect(forecastValueAdded(juices.statistical.wmape, juices.sales.wmape)).toBeLessThan(-0.5);
    expect(forecastValueAdded(juices.sales.wmape, juices.consensus.wmape)).toBeGreaterThan(0.5);
    // The baseline runs low on the growing energy range, enough for the panel to flag its tracking
    // signal (bias is actual − forecast), and sales run high on juices.
    expect(energy.statistical.bias!).toBeGreaterThan(0);
    expect(energy.statistical.trackingSignal!).toBeGreaterThan(4);
    expect(juices.sales.bias!).toBeLessThan(0);
    for (const family of Object.keys(plan.families)) {
      for (const layer of Object.values(accuracy(family))) expect(layer.wmape, family).not.toBeNull();
    }
  });
});

// The trade-off metrics of a scenario comparison: which are shown, in what unit, which direction is
// better, and which versions are best on each (pure; the comparison view uses them).
import type { ScenarioFigures } from '@accord/protocol';

/**
 * The trade-off metrics a comparison shows, in order, which direction is better, and their unit:
 * money (written in the plan's currency), a ratio (a percentage) or a count.
 */
export const COMPARE_METRICS = [
  { id: 'revenue', label: 'Revenue', better: 'higher', unit: 'money' },
  { id: 'margin', label: 'Gross margin', better: 'higher', unit: 'money' },
  { id: 'marginPct', label: 'Margin %', better: 'higher', unit: 'ratio' },
  { id: 'fillRate', label: 'Fill rate', better: 'higher', unit: 'ratio' },
  { id: 'stockOuts', label: 'Stock-outs', better: 'lower', unit: 'count' },
  { id: 'inventoryValue', label: 'Inventory value', better: 'lower', unit: 'money' },
  { id: 'capacityOverloads', label: 'Capacity overloads', better: 'lower', unit: 'count' },
] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number]['id'];
export type CompareUnit = (typeof COMPARE_METRICS)[number]['unit'];

/** A metric's unit. */
export const unitOf = (metric: CompareMetric): CompareUnit => COMPARE_METRICS.find((m) => m.id === metric)!.unit;

/** One metric of a version's figures; null when it has no meaning (no revenue, no demand). */
export function metricValue(figures: ScenarioFigures, metric: CompareMetric): number | null {
  switch (metric) {
    case 'revenue':
      return figures.revenue;
    case 'margin':
      return figures.grossMargin;
    case 'marginPct':
      return figures.revenue === 0 ? null : figures.grossMargin / figures.revenue;
    case 'fillRate':
      return figures.fillRate;
    case 'stockOuts':
      return figures.stockOuts;
    case 'inventoryValue':
      return figures.inventoryValue;
    case 'capacityOverloads':
      return figures.capacityOverloads;
  }
}

/**
 * The versions that are best on a metric. Less inventory is better only without more stock-outs:
 * a version that saves stock by running short of it does not win on inventory value.
 */
export function bestVersions(figures: readonly (ScenarioFigures | undefined)[], metric: CompareMetric): Set<number> {
  const better = COMPARE_METRICS.find((m) => m.id === metric)!.better;
  const values = figures.map((f) => (f ? metricValue(f, metric) : null));
  if (metric !== 'inventoryValue') return bestIndexes(values, better);
  const fewest = Math.min(...figures.map((f) => f?.stockOuts ?? Infinity));
  return bestIndexes(
    values.map((value, i) => (figures[i]?.stockOuts === fewest ? value : null)),
    better,
  );
}

/**
 * Indexes of the best values of a metric across versions (ties all win); none when every value
 * is equal or missing, because then nothing stands out.
 */
export function bestIndexes(values: readonly (number | null)[], better: 'higher' | 'lower'): Set<number> {
  const present = values.filter((v): v is number => v !== null);
  if (present.length < 2) return new Set();
  const best = better === 'higher' ? Math.max(...present) : Math.min(...present);
  if (present.every((v) => v === best)) return new Set();
  return new Set(values.flatMap((v, i) => (v === best ? [i] : [])));
}

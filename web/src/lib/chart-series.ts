// Pure: the series the chart panel draws for one product, one family or the whole plan, read
// from the session's calculator (figures) and raw cells (layers, actuals, capacity).
import { addBuckets, bucketRange, type PlanCalculator, type PlanMeta, type ProductPlan, type ValueRoot } from '@accord/plan-calc';
import type { Catalog } from './grid/layout.ts';

export interface NamedSeries {
  name: string;
  /** One value per label; null where the series has no value (e.g. actuals in the horizon). */
  data: (number | null)[];
}

export interface ChartData {
  /** What the charts are about, e.g. "Product 3 (SKU-0003)", "Family 2", "Total plan". */
  title: string;
  kind: 'product' | 'family' | 'total';
  /** History buckets then horizon buckets. */
  labels: string[];
  /** Index into `labels` of the first horizon bucket. */
  horizonStart: number;
  demand: NamedSeries[];
  inventory: NamedSeries[];
  finance: NamedSeries[];
}

const DEMAND_LAYERS = [
  ['statistical', 'Statistical'],
  ['sales', 'Sales'],
  ['consensus', 'Consensus'],
] as const;

/**
 * Builds the chart series for `subject` (a product id, a family id, or anything else for the
 * whole plan): demand layers vs actuals vs capacity, projected inventory vs the safety-stock
 * target, revenue and margin vs budget.
 */
export function chartSeries(
  calc: PlanCalculator,
  catalog: Catalog,
  meta: PlanMeta,
  read: (root: ValueRoot, key: string) => number | undefined,
  subject: string | null,
): ChartData {
  const horizon = calc.buckets;
  const history =
    meta.historyBuckets > 0 && horizon.length > 0 ? bucketRange(addBuckets(horizon[0]!, -meta.historyBuckets), meta.historyBuckets) : [];
  const labels = [...history, ...horizon];
  const product = subject ? calc.findProduct(subject) : undefined;
  const family = !product && subject ? calc.findFamily(subject) : undefined;
  const kind = product ? 'product' : family ? 'family' : 'total';
  const group = product ?? family ?? calc.total();
  const products: ProductPlan[] = product ? [product] : family ? calc.products().filter((p) => p.familyId === family.id) : calc.products();
  const title = product
    ? `${catalog.products[product.productId]?.name ?? product.productId} (${product.productId})`
    : family
      ? (catalog.families[family.id]?.name ?? family.id)
      : 'Total plan';

  const sumRaw = (root: ValueRoot, buckets: readonly string[]): (number | null)[] =>
    buckets.map((bucket) => {
      let sum = 0;
      let any = false;
      for (const p of products) {
        const value = read(root, `${p.productId}|${bucket}`);
        if (value !== undefined) {
          sum += value;
          any = true;
        }
      }
      return any ? sum : null;
    });
  const pad = (values: readonly (number | null)[]) => [...history.map(() => null), ...values];
  const round = (value: number) => Math.round(value);

  const demand: NamedSeries[] = [
    ...DEMAND_LAYERS.map(([root, name]) => ({ name, data: sumRaw(root, labels) })),
    { name: 'Demand (resolved)', data: pad(group.demand.map(round)) },
    { name: 'Actuals', data: [...sumRaw('actuals', history), ...horizon.map(() => null)] },
  ];
  if (product) {
    // Capacity of the product's line, in units at its rate: what the line could make of this SKU alone.
    const resource = calc.findResource(product.resourceId);
    const rate = catalog.products[product.productId]?.hoursPerUnit ?? 0;
    if (resource && rate > 0)
      demand.push({ name: 'Capacity (units)', data: pad(resource.capacityHours.map((h) => (h === null ? null : round(h / rate)))) });
  } else {
    demand.push({ name: 'Production', data: pad(group.production.map(round)) });
  }

  const target = horizon.map((_, i) =>
    round(products.reduce((sum, p) => sum + (catalog.products[p.productId]?.safetyStockDays ?? 0) * (p.forwardDailyDemand[i] ?? 0), 0)),
  );
  const inventory: NamedSeries[] = [
    { name: 'Actual inventory', data: [...sumRaw('actualInventory', history), ...horizon.map(() => null)] },
    { name: 'Projected inventory', data: pad(group.projectedInventory.map(round)) },
    { name: 'Safety-stock target', data: pad(target) },
  ];

  const finance: NamedSeries[] = [
    { name: 'Revenue', data: pad(group.revenue.map(round)) },
    { name: 'Gross margin', data: pad(group.grossMargin.map(round)) },
  ];
  if (!product && 'budget' in group) finance.push({ name: 'Budget', data: pad(group.budget.map(round)) });

  return { title, kind, labels, horizonStart: history.length, demand, inventory, finance };
}

import { cellKey, orderedProducts, PlanCalculator, type PlanData } from '@accord/plan-calc';

/** One table in the grid's shape: a header row and data rows. */
export interface PlanView {
  name: string;
  header: string[];
  rows: (string | number | null)[][];
}

/** The views a plan exports to, one sheet each. */
export const VIEW_NAMES = ['demand', 'supply', 'capacity', 'finance'] as const;
export type ViewName = (typeof VIEW_NAMES)[number];

const round = (value: number | null, digits = 2) =>
  value === null || !Number.isFinite(value) ? null : Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * The plan as the grid shows it, in four views: demand layers per SKU, supply (production,
 * inventory, cover), capacity per resource, finance per family and in total. Derived figures come
 * from plan-calc, so an export says exactly what the screen says.
 */
export function buildPlanViews(data: PlanData): Record<ViewName, PlanView> {
  const calculator = new PlanCalculator(data);
  const buckets = [...calculator.buckets];
  const products = orderedProducts(data).filter((p) => !p.retired && !data.families[p.familyId]?.retired);
  const familyName = (id: string) => data.families[id]?.name ?? id;
  const cell = (root: keyof PlanData['cells'], productId: string, bucket: string) => data.cells[root][cellKey(productId, bucket)] ?? null;

  const demand: PlanView = { name: 'Demand', header: ['Family', 'SKU', 'Product', 'Layer', ...buckets, 'Total'], rows: [] };
  const supply: PlanView = { name: 'Supply', header: ['Family', 'SKU', 'Product', 'Row', ...buckets], rows: [] };
  for (const product of products) {
    const computed = calculator.findProduct(product.id);
    if (!computed) continue;
    const prefix = [familyName(product.familyId), product.id, product.name];
    for (const [label, root] of [
      ['Statistical', 'statistical'],
      ['Sales forecast', 'sales'],
      ['Marketing uplift', 'marketing'],
      ['Consensus', 'consensus'],
    ] as const) {
      const values = buckets.map((b) => cell(root, product.id, b));
      demand.rows.push([...prefix, label, ...values, values.reduce<number>((sum, v) => sum + (v ?? 0), 0)]);
    }
    demand.rows.push([...prefix, 'Demand', ...computed.demand, computed.demand.reduce((a, b) => a + b, 0)]);
    supply.rows.push([...prefix, 'Production', ...computed.production]);
    supply.rows.push([...prefix, 'Projected inventory', ...computed.projectedInventory]);
    supply.rows.push([...prefix, 'Days of cover', ...computed.daysOfCover.map((d) => round(d, 1))]);
  }

  const capacity: PlanView = { name: 'Capacity', header: ['Resource', 'Row', ...buckets], rows: [] };
  for (const resource of calculator.resources()) {
    const name = data.resources[resource.resourceId]?.name ?? resource.resourceId;
    capacity.rows.push([name, 'Capacity (h)', ...resource.capacityHours.map((v) => round(v, 1))]);
    capacity.rows.push([name, 'Load (h)', ...resource.loadHours.map((v) => round(v, 1))]);
    capacity.rows.push([name, 'Utilisation %', ...resource.utilisation.map((u) => (u === null ? null : round(u * 100, 1)))]);
  }

  const finance: PlanView = { name: 'Finance', header: ['Family', 'Row', ...buckets, 'Total'], rows: [] };
  for (const group of [...calculator.families(), calculator.total()]) {
    const name = group.id === calculator.total().id ? 'Total' : familyName(group.id);
    for (const [label, series] of [
      [`Revenue (${data.meta.currency})`, group.revenue],
      [`Cost of goods (${data.meta.currency})`, group.costOfGoods],
      [`Gross margin (${data.meta.currency})`, group.grossMargin],
      [`Budget (${data.meta.currency})`, group.budget],
      [`Gap to budget (${data.meta.currency})`, group.budgetGap],
    ] as const) {
      const values = series.map((v) => round(v));
      finance.rows.push([name, label, ...values, round(series.reduce((a, b) => a + b, 0))]);
    }
  }
  return { demand, supply, capacity, finance };
}

import { PlanCalculator, type GroupPlan, type PlanData } from '@accord/plan-calc';
import type { ComparedVersion, ScenarioFigures } from '@accord/protocol';

/** Fill rate: served ÷ demand over the same span; null without demand. */
function fillRate(servedDemand: number, demand: number): number | null {
  return demand === 0 ? null : servedDemand / demand;
}

// Key of the whole plan among the family keys; no family id contains a NUL character.
const TOTAL = '\u0000total';

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}

/**
 * The trade-off figures of one version of a plan, straight from plan-calc's `PlanCalculator` on its
 * data: revenue, gross margin, demand, served demand (fill rate = served ÷ demand) and stock-outs
 * are the calculator's family and total roll-ups (horizon totals from `calc.horizon`). Two figures
 * the calculator has no roll-up for are derived from its product plans: inventory value = Σ
 * max(projected closing inventory, 0) × the bucket's unit cost, and capacity overloads =
 * overloaded resource-buckets (a family counts those of the resources its active products load;
 * the plan counts each resource-bucket once).
 */
export function scenarioFigures(data: PlanData): Pick<ComparedVersion, 'buckets' | 'total' | 'byBucket' | 'families'> {
  const calc = new PlanCalculator(data);
  const buckets = [...calc.buckets];
  const overloads = calc.resources().map((r) => ({ resourceId: r.resourceId, overloaded: r.overloaded }));
  const groups = new Map<string, { inventoryValue: number[]; resources: Set<string> }>();
  const group = (id: string) => {
    let entry = groups.get(id);
    if (!entry) groups.set(id, (entry = { inventoryValue: buckets.map(() => 0), resources: new Set() }));
    return entry;
  };
  for (const product of calc.products()) {
    for (const entry of [group(product.familyId), group(TOTAL)]) {
      entry.resources.add(product.resourceId);
      buckets.forEach((_, i) => (entry.inventoryValue[i]! += Math.max(product.projectedInventory[i]!, 0) * product.unitCost[i]!));
    }
  }
  const figures = (plan: GroupPlan, key: string) => {
    const extra = group(key);
    const capacityOverloads = buckets.map((_, i) => overloads.filter((r) => extra.resources.has(r.resourceId) && r.overloaded[i]).length);
    const byBucket: ScenarioFigures[] = buckets.map((_, i) => ({
      revenue: plan.revenue[i]!,
      grossMargin: plan.grossMargin[i]!,
      demand: plan.demand[i]!,
      servedDemand: plan.servedDemand[i]!,
      fillRate: fillRate(plan.servedDemand[i]!, plan.demand[i]!),
      stockOuts: plan.stockOuts[i]!,
      inventoryValue: extra.inventoryValue[i]!,
      capacityOverloads: capacityOverloads[i]!,
    }));
    const horizon = calc.horizon(plan);
    const total: ScenarioFigures = {
      revenue: horizon?.revenue ?? 0,
      grossMargin: horizon?.grossMargin ?? 0,
      demand: horizon?.demand ?? 0,
      servedDemand: horizon?.servedDemand ?? 0,
      fillRate: fillRate(horizon?.servedDemand ?? 0, horizon?.demand ?? 0),
      stockOuts: horizon?.stockOuts ?? 0,
      inventoryValue: sum(extra.inventoryValue),
      capacityOverloads: sum(capacityOverloads),
    };
    return { total, byBucket };
  };
  const { total, byBucket } = figures(calc.total(), TOTAL);
  // The plan total counts every overloaded resource-bucket, including resources no active product loads.
  const allOverloads = buckets.map((_, i) => overloads.filter((r) => r.overloaded[i]).length);
  byBucket.forEach((cell, i) => (cell.capacityOverloads = allOverloads[i]!));
  total.capacityOverloads = sum(allOverloads);
  return {
    buckets,
    total,
    byBucket,
    families: calc.families().map((f) => ({ familyId: f.id, familyName: data.families[f.id]?.name ?? f.id, ...figures(f, f.id) })),
  };
}

import type { PlanData, Product } from './plan-data.ts';

/** Products ordered for display: by family order, then product order, then id. */
export function orderedProducts(data: Pick<PlanData, 'families' | 'products'>): Product[] {
  const familyOrder = (p: Product) => data.families[p.familyId]?.order ?? Number.MAX_SAFE_INTEGER;
  return Object.values(data.products).sort((a, b) => familyOrder(a) - familyOrder(b) || a.order - b.order || a.id.localeCompare(b.id));
}

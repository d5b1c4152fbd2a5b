import { emptyCells, type PlanData } from '@accord/plan-calc';

/** The id of the i-th generated product: SKU-00000, SKU-00001, … */
export const skuId = (i: number): string => `SKU-${String(i).padStart(5, '0')}`;

/**
 * A plan of `skus` products in one family on one line, with no cells: the start of the large plans
 * that benchmarks and fault tests create with `accord create-plan`.
 */
export function planOfSkus(options: { name: string; skus: number; horizonStart: string; historyBuckets: number }): PlanData {
  const data: PlanData = {
    meta: {
      name: options.name,
      currency: 'EUR',
      bucket: 'month',
      horizonStart: options.horizonStart,
      horizonBuckets: 18,
      historyBuckets: options.historyBuckets,
      cycleStage: 'data-gathering',
      schemaVersion: 2,
    },
    families: { fam: { id: 'fam', name: 'Generated family', order: 0 } },
    products: {},
    resources: { line: { id: 'line', name: 'Generated line', order: 0 } },
    cells: emptyCells(),
  };
  for (let i = 0; i < options.skus; i++) {
    data.products[skuId(i)] = {
      id: skuId(i),
      name: `Product ${i}`,
      familyId: 'fam',
      unit: 'cases',
      resourceId: 'line',
      hoursPerUnit: 0.002,
      leadTimeDays: 10,
      safetyStockDays: 15,
      order: i,
    };
  }
  return data;
}

import { bucketRange, type Bucket } from './buckets.ts';
import { unitPrice } from './finance.ts';
import { parseCellKey } from './keys.ts';
import {
  VALUE_ROOTS,
  type Cells,
  type Family,
  type PlanData,
  type PlanMeta,
  type Product,
  type Resource,
  type ValueRoot,
} from './plan-data.ts';
import { layeredDemand, resolveDemand } from './projection.ts';

/** The permission sections a plan change can fall in (DESIGN.md §3), in display order. */
export const DIFF_SECTIONS = ['plan', 'catalog', 'demand', 'supply', 'finance', 'consensus', 'server'] as const;
export type DiffSection = (typeof DIFF_SECTIONS)[number];

/** The section each value root belongs to, mirroring the document schema. */
export const SECTION_OF_VALUE_ROOT = {
  sales: 'demand',
  marketing: 'demand',
  production: 'supply',
  capacity: 'supply',
  inventory: 'supply',
  prices: 'finance',
  costs: 'finance',
  budget: 'finance',
  consensus: 'consensus',
  actuals: 'server',
  actualProduction: 'server',
  actualInventory: 'server',
  statistical: 'server',
  salesHolds: 'demand',
  marketingHolds: 'demand',
  consensusHolds: 'consensus',
  productionHolds: 'supply',
  capacityHolds: 'supply',
  priceHolds: 'finance',
  costHolds: 'finance',
  budgetHolds: 'finance',
} as const satisfies Record<ValueRoot, DiffSection>;

/** Roots whose cells are quantities of a product, valued at its price. */
const QUANTITY_ROOTS = new Set<ValueRoot>([
  'sales',
  'marketing',
  'production',
  'inventory',
  'consensus',
  'actuals',
  'actualProduction',
  'actualInventory',
  'statistical',
]);

/** One changed cell between two plans. */
export interface CellDiff {
  section: DiffSection;
  root: ValueRoot;
  key: string;
  /** Product, resource or family id. */
  rowId: string;
  /** Null for per-product cells (`inventory`, base `prices` and `costs`). */
  bucket: Bucket | null;
  /** The stored values (null: empty); `applyDiff` writes `after`. */
  before: number | null;
  after: number | null;
  /**
   * The layer's value in effect on each side: an empty sales forecast is the statistical forecast,
   * an empty consensus the demand beneath it (sales or statistical, plus the uplift); for every
   * other root, the stored value. Deltas are taken between these, so a forecast typed over the
   * statistical one changes by the difference, not by all of it.
   */
  beforeInEffect: number | null;
  afterInEffect: number | null;
  /** The layer an empty side followed ('statistical' for sales, 'demand' for consensus), else null. */
  beforeFollows: FallbackLayer | null;
  afterFollows: FallbackLayer | null;
  /** Between the values in effect, in the root's own unit (units, or hours for capacity); 0 for money roots. */
  volumeDelta: number;
  /** The change in currency; see {@link diffPlans} for how each root is valued. */
  valueDelta: number;
}

/** What an empty cell of a layer follows: sales the statistical forecast, consensus the demand beneath it. */
export type FallbackLayer = 'statistical' | 'demand';

/**
 * A layer's value in effect in one cell of a plan (`stored` is what the cell holds), and what it
 * followed when the cell is empty: an empty sales forecast is the statistical forecast, an empty
 * consensus the demand beneath it; any other empty cell is null.
 */
export function valueInEffect(
  plan: PlanData,
  root: ValueRoot,
  key: string,
  stored: number | null,
): { value: number | null; follows: FallbackLayer | null } {
  if (stored !== null) return { value: stored, follows: null };
  if (root === 'sales') {
    const statistical = plan.cells.statistical?.[key];
    return statistical === undefined ? { value: null, follows: null } : { value: statistical, follows: 'statistical' };
  }
  if (root === 'consensus') {
    const { sales, statistical, marketing } = plan.cells;
    if (sales?.[key] === undefined && statistical?.[key] === undefined) return { value: null, follows: null };
    return { value: resolveDemand(undefined, sales?.[key], statistical?.[key], marketing?.[key]).value, follows: 'demand' };
  }
  return { value: null, follows: null };
}

/** One catalog entity added, removed or changed, with the fields that differ. */
export type CatalogDiff =
  | { kind: 'families'; id: string; change: 'added' | 'removed' | 'changed'; before: Family | null; after: Family | null; fields: string[] }
  | {
      kind: 'products';
      id: string;
      change: 'added' | 'removed' | 'changed';
      before: Product | null;
      after: Product | null;
      fields: string[];
    }
  | {
      kind: 'resources';
      id: string;
      change: 'added' | 'removed' | 'changed';
      before: Resource | null;
      after: Resource | null;
      fields: string[];
    };

/** One plan setting that differs; `undefined` means the field is absent on that side. */
export interface MetaDiff {
  field: keyof PlanMeta;
  before: unknown;
  after: unknown;
}

/** How much changed in one section. */
export interface SectionSummary {
  changes: number;
  valueDelta: number;
}

/** Everything that differs between two plans. */
export interface PlanDiff {
  meta: MetaDiff[];
  catalog: CatalogDiff[];
  /** Changed cells, biggest |valueDelta| first, then biggest |volumeDelta|. */
  cells: CellDiff[];
  sections: Record<DiffSection, SectionSummary>;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (!sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  return true;
}

function changedFields(a: object, b: object): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((key) => !sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

function diffEntities<K extends CatalogDiff['kind']>(kind: K, a: Record<string, object>, b: Record<string, object>): CatalogDiff[] {
  const out: CatalogDiff[] = [];
  const ids = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const id of ids) {
    const before = a[id] ?? null;
    const after = b[id] ?? null;
    if (before && after) {
      const fields = changedFields(before, after);
      if (fields.length > 0) out.push({ kind, id, change: 'changed', before, after, fields } as CatalogDiff);
    } else if (after) out.push({ kind, id, change: 'added', before: null, after, fields: Object.keys(after).sort() } as CatalogDiff);
    else if (before) out.push({ kind, id, change: 'removed', before, after: null, fields: Object.keys(before).sort() } as CatalogDiff);
  }
  return out;
}

/** Price used to value a quantity change: the new plan's, or the old one's when the new plan has none. */
function valuationPrice(a: PlanData, b: PlanData, productId: string, bucket: Bucket | null): number {
  if (bucket === null) return b.cells.prices[productId] || a.cells.prices[productId] || 0;
  return unitPrice(b.cells, productId, bucket) || unitPrice(a.cells, productId, bucket);
}

function effectiveRate(data: PlanData, root: 'prices' | 'costs', productId: string, bucket: Bucket): number {
  return data.cells[root][`${productId}|${bucket}`] ?? data.cells[root][productId] ?? 0;
}

/** Demand of the new plan over the buckets where a per-unit price or cost cell is the one in effect. */
function demandUnderRate(
  b: PlanData,
  root: 'prices' | 'costs',
  productId: string,
  bucket: Bucket | null,
  horizon: readonly Bucket[],
): number {
  if (bucket !== null) return layeredDemand(b.cells, productId, bucket).value;
  let demand = 0;
  for (const horizonBucket of horizon) {
    if (b.cells[root][`${productId}|${horizonBucket}`] === undefined) demand += layeredDemand(b.cells, productId, horizonBucket).value;
  }
  return demand;
}

/**
 * Compares two plans: meta fields, catalog entities, and every value cell with its section,
 * volume delta and value delta. Quantity roots are valued at the product's price in the bucket
 * (the new plan's, else the old plan's); `capacity` hours carry no value; a `budget` change is
 * its own value; a `prices` or `costs` change is valued at the change of the rate in effect × the new plan's
 * demand in the buckets where that cell is in effect.
 * @example diffPlans(lockedConsensus, livePlan).cells.slice(0, 10) // the ten biggest changes
 */
export function diffPlans(a: PlanData, b: PlanData): PlanDiff {
  const meta: MetaDiff[] = [];
  const metaA = a.meta as unknown as Record<string, unknown>;
  const metaB = b.meta as unknown as Record<string, unknown>;
  for (const field of [...new Set([...Object.keys(metaA), ...Object.keys(metaB)])].sort()) {
    if (!sameValue(metaA[field], metaB[field])) meta.push({ field: field as keyof PlanMeta, before: metaA[field], after: metaB[field] });
  }
  const catalog = [
    ...diffEntities('families', a.families, b.families),
    ...diffEntities('products', a.products, b.products),
    ...diffEntities('resources', a.resources, b.resources),
  ];

  const horizon = bucketRange(b.meta.horizonStart, b.meta.horizonBuckets);
  const cells: CellDiff[] = [];
  for (const root of VALUE_ROOTS) {
    const before: Cells = a.cells[root] ?? {};
    const after: Cells = b.cells[root] ?? {};
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys) {
      const old = before[key] ?? null;
      const now = after[key] ?? null;
      if (Object.is(old, now)) continue;
      const parsed = root === 'inventory' ? undefined : parseCellKey(key);
      const rowId = parsed?.rowId ?? key;
      const bucket = parsed?.bucket ?? null;
      const was = valueInEffect(a, root, key, old);
      const is = valueInEffect(b, root, key, now);
      const delta = (is.value ?? 0) - (was.value ?? 0);
      let volumeDelta = 0;
      let valueDelta = 0;
      if (QUANTITY_ROOTS.has(root)) {
        volumeDelta = delta;
        valueDelta = delta * valuationPrice(a, b, rowId, bucket);
      } else if (root === 'capacity') {
        volumeDelta = delta;
      } else if (root === 'budget') {
        valueDelta = delta;
      } else if (root === 'prices' || root === 'costs') {
        // A bucket override is compared with the rate in effect before it (possibly the product's base rate).
        const rateDelta = bucket === null ? delta : effectiveRate(b, root, rowId, bucket) - effectiveRate(a, root, rowId, bucket);
        valueDelta = rateDelta * demandUnderRate(b, root, rowId, bucket, horizon);
      }
      cells.push({
        section: SECTION_OF_VALUE_ROOT[root],
        root,
        key,
        rowId,
        bucket,
        before: old,
        after: now,
        beforeInEffect: was.value,
        afterInEffect: is.value,
        beforeFollows: was.follows,
        afterFollows: is.follows,
        volumeDelta,
        valueDelta,
      });
    }
  }
  const rootOrder = new Map(VALUE_ROOTS.map((root, i) => [root, i]));
  cells.sort(
    (x, y) =>
      Math.abs(y.valueDelta) - Math.abs(x.valueDelta) ||
      Math.abs(y.volumeDelta) - Math.abs(x.volumeDelta) ||
      rootOrder.get(x.root)! - rootOrder.get(y.root)! ||
      (x.key < y.key ? -1 : x.key > y.key ? 1 : 0),
  );

  const sections = Object.fromEntries(DIFF_SECTIONS.map((section) => [section, { changes: 0, valueDelta: 0 }])) as Record<
    DiffSection,
    SectionSummary
  >;
  sections.plan.changes = meta.length;
  sections.catalog.changes = catalog.length;
  for (const cell of cells) {
    sections[cell.section].changes++;
    sections[cell.section].valueDelta += cell.valueDelta;
  }
  return { meta, catalog, cells, sections };
}

/**
 * Applies a diff to a plan and returns the result, leaving `a` untouched;
 * `applyDiff(a, diffPlans(a, b))` deep-equals `b`.
 */
export function applyDiff(a: PlanData, diff: PlanDiff): PlanData {
  const meta = { ...a.meta } as unknown as Record<string, unknown>;
  for (const { field, after } of diff.meta) {
    if (after === undefined) delete meta[field];
    else meta[field] = after;
  }
  const out: PlanData = {
    meta: meta as unknown as PlanMeta,
    families: { ...a.families },
    products: { ...a.products },
    resources: { ...a.resources },
    cells: Object.fromEntries(VALUE_ROOTS.map((root) => [root, { ...a.cells[root] }])) as Record<ValueRoot, Cells>,
  };
  for (const entry of diff.catalog) {
    const entities = out[entry.kind] as Record<string, object>;
    if (entry.after === null) delete entities[entry.id];
    else entities[entry.id] = { ...entry.after };
  }
  for (const { root, key, after } of diff.cells) {
    if (after === null) delete out.cells[root][key];
    else out.cells[root][key] = after;
  }
  return out;
}

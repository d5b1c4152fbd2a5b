import { addBuckets, bucketRange, type Bucket, type PlanCalculator, type PlanData, type ProductPlan } from '@accord/plan-calc';
import { formatBucket } from '../format.ts';
import { LAYER_IDS, LAYERS, RESOURCE_LAYERS, type Layer, type LayerId, type ResourceLayerId } from './layers.ts';

/** Row height in px: fixed so the virtualiser can place any row without measuring it. */
export const ROW_PX = 28;
/** Widths of the sticky label columns and of the value columns, in px (fixed: only columns in view render). */
export const PRODUCT_PX = 200;
export const LAYER_PX = 165;
export const STICKY_PX = PRODUCT_PX + LAYER_PX;
export const BUCKET_PX = 88;
export const PERIOD_PX = 104;

/** A grid column: a history or horizon bucket, a quarter of the horizon, or the whole horizon. */
export type Column =
  | { kind: 'history'; id: Bucket; label: string; widthPx: number }
  | { kind: 'horizon'; id: Bucket; label: string; index: number; widthPx: number }
  | { kind: 'quarter' | 'total'; id: string; label: string; from: number; to: number; widthPx: number };

/** One line of the grid; every line has the same height so the list can be virtualised. */
export type GridRow =
  | { kind: 'header'; id: string; label: string; familyId?: string; collapsed?: boolean; detail: string }
  | { kind: 'product'; id: string; productId: string; layer: Layer; first: boolean; name: string; unit: string }
  | { kind: 'family' | 'total'; id: string; groupId: string; layer: Layer; first: boolean; name: string }
  | { kind: 'resource'; id: string; resourceId: string; layer: ResourceLayerId; label: string; first: boolean; name: string };

/** Rows that hold value cells (everything but section headers). */
export type ValueRow = Exclude<GridRow, { kind: 'header' }>;

/** Families, products and resources by id: names, units and order for the grid. */
export type Catalog = Pick<PlanData, 'families' | 'products' | 'resources'>;

/** Which rows to show. */
export interface RowOptions {
  layers: ReadonlySet<LayerId>;
  collapsed: ReadonlySet<string>;
  /** Only this family, or all when null. */
  familyId: string | null;
  /** Case-insensitive match on SKU id or name; empty for all. */
  search: string;
  /** Only SKUs with a stock-out or safety-stock breach in the horizon, and overloaded resources. */
  exceptionsOnly: boolean;
}

/** Columns: history buckets, horizon buckets, one per quarter the horizon touches, then the horizon total. */
export function buildColumns(calc: PlanCalculator, historyBuckets: number): Column[] {
  const buckets = calc.buckets;
  const columns: Column[] = [];
  if (buckets.length > 0 && historyBuckets > 0) {
    for (const bucket of bucketRange(addBuckets(buckets[0]!, -historyBuckets), historyBuckets)) {
      columns.push({ kind: 'history', id: bucket, label: formatBucket(bucket), widthPx: BUCKET_PX });
    }
  }
  buckets.forEach((bucket, index) => columns.push({ kind: 'horizon', id: bucket, label: formatBucket(bucket), index, widthPx: BUCKET_PX }));
  for (const { quarter, from, to } of calc.quarters) {
    columns.push({ kind: 'quarter', id: quarter, label: quarter.replace('-', ' '), from, to, widthPx: PERIOD_PX });
  }
  if (buckets.length > 0)
    columns.push({ kind: 'total', id: 'horizon', label: 'Horizon', from: 0, to: buckets.length - 1, widthPx: PERIOD_PX });
  return columns;
}

/** The horizon buckets a column covers (none for history). */
export function bucketsOf(calc: PlanCalculator, column: Column): Bucket[] {
  if (column.kind === 'history') return [];
  if (column.kind === 'horizon') return [column.id];
  return calc.buckets.slice(column.from, column.to + 1);
}

function hasException(plan: ProductPlan): boolean {
  return plan.stockOut.includes(true) || plan.safetyStockBreach.includes(true);
}

/** The grid's rows for the chosen layers and filters: total, then each family with its SKUs, then resources. */
export function buildRows(calc: PlanCalculator, catalog: Catalog, options: RowOptions): GridRow[] {
  const layers = LAYER_IDS.filter((id) => options.layers.has(id)).map((id) => LAYERS[id]);
  const productLayers = layers.filter((layer) => layer.product);
  const groupLayers = layers.filter((layer) => layer.group);
  const search = options.search.trim().toLowerCase();
  const filtering = search !== '' || options.exceptionsOnly;
  const rows: GridRow[] = [];

  const productsByFamily = new Map<string, ProductPlan[]>();
  for (const plan of calc.products()) {
    if (options.familyId !== null && plan.familyId !== options.familyId) continue;
    const product = catalog.products[plan.productId];
    if (search && !plan.productId.toLowerCase().includes(search) && !(product?.name.toLowerCase().includes(search) ?? false)) continue;
    if (options.exceptionsOnly && !hasException(plan)) continue;
    const list = productsByFamily.get(plan.familyId);
    if (list) list.push(plan);
    else productsByFamily.set(plan.familyId, [plan]);
  }

  if (options.familyId === null && !filtering) {
    rows.push({ kind: 'header', id: 'h:total', label: 'Total plan', detail: `${calc.products().length} SKUs` });
    groupLayers.forEach((layer, i) =>
      rows.push({ kind: 'total', id: `t:total:${layer.id}`, groupId: 'total', layer, first: i === 0, name: 'Total' }),
    );
  }

  for (const family of calc.families()) {
    const members = productsByFamily.get(family.id);
    if (!members && (filtering || options.familyId !== null)) continue;
    const name = catalog.families[family.id]?.name ?? family.id;
    // A search or the exceptions filter shows every match, collapsed or not.
    const collapsed = !filtering && options.collapsed.has(family.id);
    const count = members?.length ?? 0;
    rows.push({
      kind: 'header',
      id: `h:f:${family.id}`,
      label: name,
      familyId: family.id,
      collapsed,
      detail: `${count} SKU${count === 1 ? '' : 's'}`,
    });
    groupLayers.forEach((layer, i) =>
      rows.push({ kind: 'family', id: `f:${family.id}:${layer.id}`, groupId: family.id, layer, first: i === 0, name }),
    );
    if (collapsed || !members) continue;
    for (const plan of members) {
      const product = catalog.products[plan.productId];
      productLayers.forEach((layer, i) =>
        rows.push({
          kind: 'product',
          id: `p:${plan.productId}:${layer.id}`,
          productId: plan.productId,
          layer,
          first: i === 0,
          name: product?.name ?? plan.productId,
          unit: product?.unit ?? '',
        }),
      );
    }
  }

  if (search === '') {
    const resources = calc.resources().filter((plan) => !options.exceptionsOnly || plan.overloaded.includes(true));
    if (resources.length > 0) {
      rows.push({ kind: 'header', id: 'h:resources', label: 'Resources', detail: `${resources.length} lines` });
      for (const plan of resources) {
        const name = catalog.resources[plan.resourceId]?.name ?? plan.resourceId;
        RESOURCE_LAYERS.forEach(({ id, label }, i) =>
          rows.push({
            kind: 'resource',
            id: `r:${plan.resourceId}:${id}`,
            resourceId: plan.resourceId,
            layer: id,
            label,
            first: i === 0,
            name,
          }),
        );
      }
    }
  }
  return rows;
}

/** The label of the row's layer ("Sales forecast", "Capacity (h)"). */
export function layerLabel(row: ValueRow): string {
  return row.kind === 'resource' ? row.label : row.layer.label;
}

/** The product, family or resource id a row belongs to (`total` for the total rows). */
export function rowEntity(row: ValueRow): string {
  return row.kind === 'product' ? row.productId : row.kind === 'resource' ? row.resourceId : row.groupId;
}

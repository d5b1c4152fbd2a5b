import {
  addBuckets,
  bucketRange,
  resolveDemand,
  type Bucket,
  type GroupPlan,
  type PlanCalculator,
  type PlanData,
  type ProductPlan,
  type QuarterRow,
  type PeriodSummary,
  type ResourcePeriodSummary,
  type ValueRoot,
} from '@accord/plan-calc';
import { ROOTS } from '@accord/plan-model';
import { canWrite, canWriteAtStage, isStage, type Role, type Stage } from '@accord/protocol';
import { formatBucket, formatCurrency, formatDays, formatPercent, formatQuantity, formatWhole } from './format.ts';

/** The rows a product can show, in display order; the layer menu picks a subset. */
export const LAYER_IDS = [
  'statistical',
  'sales',
  'marketing',
  'consensus',
  'demand',
  'production',
  'projectedInventory',
  'daysOfCover',
  'revenue',
  'margin',
] as const;
export type LayerId = (typeof LAYER_IDS)[number];

/** How a layer's numbers read and whether a roll-up (family, total) shows it. */
export interface Layer {
  id: LayerId;
  label: string;
  /** The document root a planner types into; absent for computed layers, which are never editable. */
  input?: ValueRoot;
  /** Where the history columns read from (actuals), when not from `input`. */
  historyRoot?: ValueRoot;
  format: 'quantity' | 'currency' | 'days';
  /** Shown on family and total rows. */
  rollsUp: boolean;
}

export const LAYERS: Readonly<Record<LayerId, Layer>> = {
  statistical: { id: 'statistical', label: 'Statistical', input: 'statistical', format: 'quantity', rollsUp: false },
  sales: { id: 'sales', label: 'Sales forecast', input: 'sales', historyRoot: 'actuals', format: 'quantity', rollsUp: false },
  marketing: { id: 'marketing', label: 'Marketing uplift', input: 'marketing', format: 'quantity', rollsUp: false },
  consensus: { id: 'consensus', label: 'Consensus', input: 'consensus', format: 'quantity', rollsUp: false },
  demand: { id: 'demand', label: 'Demand', format: 'quantity', rollsUp: true },
  production: {
    id: 'production',
    label: 'Production',
    input: 'production',
    historyRoot: 'actualProduction',
    format: 'quantity',
    rollsUp: true,
  },
  projectedInventory: {
    id: 'projectedInventory',
    label: 'Projected inventory',
    historyRoot: 'actualInventory',
    format: 'quantity',
    rollsUp: true,
  },
  daysOfCover: { id: 'daysOfCover', label: 'Days of cover', format: 'days', rollsUp: true },
  revenue: { id: 'revenue', label: 'Revenue', format: 'currency', rollsUp: true },
  margin: { id: 'margin', label: 'Gross margin', format: 'currency', rollsUp: true },
};

/** Layers shown until the user picks others. */
export const DEFAULT_LAYERS: readonly LayerId[] = [
  'statistical',
  'sales',
  'consensus',
  'demand',
  'production',
  'projectedInventory',
  'daysOfCover',
];

export const RESOURCE_LAYERS = [
  { id: 'capacity', label: 'Capacity (h)' },
  { id: 'load', label: 'Load (h)' },
  { id: 'utilisation', label: 'Utilisation' },
] as const;
export type ResourceLayerId = (typeof RESOURCE_LAYERS)[number]['id'];

/** A grid column: a history or horizon bucket, a quarter of the horizon, or the whole horizon. */
export type Column =
  | { kind: 'history'; id: Bucket; label: string }
  | { kind: 'horizon'; id: Bucket; label: string; index: number }
  | { kind: 'quarter' | 'total'; id: string; label: string; from: number; to: number };

/** One line of the grid; every line has the same height so the list can be virtualised. */
export type GridRow =
  | { kind: 'header'; id: string; label: string; familyId?: string; collapsed?: boolean; detail: string }
  | { kind: 'product'; id: string; productId: string; layer: Layer; first: boolean; name: string; unit: string }
  | { kind: 'family' | 'total'; id: string; groupId: string; layer: Layer; first: boolean; name: string }
  | { kind: 'resource'; id: string; resourceId: string; layer: ResourceLayerId; label: string; first: boolean; name: string };

/** Rows that hold value cells (everything but section headers). */
export type ValueRow = Exclude<GridRow, { kind: 'header' }>;

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

export type Catalog = Pick<PlanData, 'families' | 'products' | 'resources'>;

/** Columns: history buckets, horizon buckets, one per quarter the horizon touches, then the horizon total. */
export function buildColumns(calc: PlanCalculator, historyBuckets: number): Column[] {
  const buckets = calc.buckets;
  const columns: Column[] = [];
  if (buckets.length > 0 && historyBuckets > 0) {
    for (const bucket of bucketRange(addBuckets(buckets[0]!, -historyBuckets), historyBuckets)) {
      columns.push({ kind: 'history', id: bucket, label: formatBucket(bucket) });
    }
  }
  buckets.forEach((bucket, index) => columns.push({ kind: 'horizon', id: bucket, label: formatBucket(bucket), index }));
  for (const { quarter, from, to } of calc.quarters)
    columns.push({ kind: 'quarter', id: quarter, label: quarter.replace('-', ' '), from, to });
  if (buckets.length > 0) columns.push({ kind: 'total', id: 'horizon', label: 'Horizon', from: 0, to: buckets.length - 1 });
  return columns;
}

function hasException(plan: ProductPlan): boolean {
  return plan.stockOut.includes(true) || plan.safetyStockBreach.includes(true);
}

/** The grid's rows for the chosen layers and filters: total, then each family with its SKUs, then resources. */
export function buildRows(calc: PlanCalculator, catalog: Catalog, options: RowOptions): GridRow[] {
  const layers = LAYER_IDS.filter((id) => options.layers.has(id)).map((id) => LAYERS[id]);
  const groupLayers = layers.filter((layer) => layer.rollsUp);
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
      layers.forEach((layer, i) =>
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

/** Everything the view needs to draw, mark and edit one value cell. */
export interface CellView {
  /** `data-root`: the document root for stored values, the layer id for computed ones. */
  root: string;
  /** `data-key`: `rowId|bucket`, `rowId|YYYY-Qn` for quarters, `rowId|horizon` for the total. */
  key: string;
  /** The raw number behind the text (`data-value`); undefined for an empty or inherited cell. */
  value: number | undefined;
  text: string;
  /** The root to write when the cell is editable. */
  writeRoot: ValueRoot | undefined;
  /** Shown greyed: the demand in effect under an empty sales forecast. */
  inherited: boolean;
  /** A typed value that overrides a layer below it (corner mark); `title` tells what lies underneath. */
  overridden: boolean;
  exception: 'stockout' | 'breach' | 'overload' | undefined;
  negative: boolean;
  title: string | undefined;
}

/** A row in view and its cells, as the grid renders it. */
export interface VisibleRow {
  row: GridRow;
  index: number;
  cells: CellView[];
  /** The DOM slot the row is drawn in (see `assignSlots`). */
  slot: number;
}

/**
 * Slots for the rows in view, by row id: a row that stays in view keeps its slot, a row that
 * comes into view takes a slot freed by one that left (lowest first), else the next new one. The
 * grid keys its rows by slot, so scrolling rewrites the rows that changed instead of destroying
 * and creating them.
 * @example assignSlots(new Map([['a', 0], ['b', 1]]), ['b', 'c']) // Map { b → 1, c → 0 }
 */
export function assignSlots(previous: ReadonlyMap<string, number>, ids: readonly string[]): Map<string, number> {
  const slots = new Map<string, number>();
  const taken = new Set<number>();
  for (const id of ids) {
    const slot = previous.get(id);
    if (slot !== undefined) {
      slots.set(id, slot);
      taken.add(slot);
    }
  }
  const free = [...previous.values()].filter((slot) => !taken.has(slot)).sort((a, b) => b - a);
  let next = Math.max(-1, ...previous.values()) + 1;
  for (const id of ids) if (!slots.has(id)) slots.set(id, free.pop() ?? next++);
  return slots;
}

function sameCellView(a: CellView, b: CellView): boolean {
  return (
    a.root === b.root &&
    a.key === b.key &&
    a.value === b.value &&
    a.text === b.text &&
    a.writeRoot === b.writeRoot &&
    a.inherited === b.inherited &&
    a.overridden === b.overridden &&
    a.exception === b.exception &&
    a.negative === b.negative &&
    a.title === b.title
  );
}

/**
 * `next`, with every cell equal to the one at its place in `previous` replaced by that previous
 * object, and `previous` itself when nothing differs: the grid redraws after every edit, and only
 * changed objects make Svelte touch the DOM.
 */
export function stableCells(previous: readonly CellView[] | undefined, next: CellView[]): CellView[] {
  if (!previous) return next;
  let changed = previous.length !== next.length;
  const out = next.map((cell, i) => {
    const before = previous[i];
    if (before && sameCellView(before, cell)) return before;
    changed = true;
    return cell;
  });
  return changed ? out : (previous as CellView[]);
}

/** Where a cell in view is: its document root, row index and column index (into all columns). */
export interface CellPlace {
  root: string;
  index: number;
  col: number;
}

/**
 * The cells in view by `key`, so presence changes find a selected cell without walking the grid.
 * `firstCol` is the column index of each row's first cell in view.
 */
export function cellPlaces(visible: readonly VisibleRow[], firstCol: number): Map<string, CellPlace[]> {
  const places = new Map<string, CellPlace[]>();
  for (const { index, cells } of visible) {
    cells.forEach((cell, j) => {
      const place = { root: cell.root, index, col: firstCol + j };
      const same = places.get(cell.key);
      if (same) same.push(place);
      else places.set(cell.key, [place]);
    });
  }
  return places;
}

/** Another user's selected cell in view; `stack` counts the users marked before on the same cell. */
export interface RemoteMark<P> {
  peer: P;
  index: number;
  col: number;
  stack: number;
}

/** The selected cells of `peers` that are in view, one mark per peer, in the order of `peers`. */
export function remoteMarks<P extends { cursor: { root: string; key: string } | null }>(
  places: ReadonlyMap<string, readonly CellPlace[]>,
  peers: readonly P[],
): RemoteMark<P>[] {
  const marks: RemoteMark<P>[] = [];
  for (const peer of peers) {
    if (!peer.cursor) continue;
    const root = peer.cursor.root;
    const place = places.get(peer.cursor.key)?.find((candidate) => candidate.root === root);
    if (!place) continue;
    const stack = marks.filter((mark) => mark.index === place.index && mark.col === place.col).length;
    marks.push({ peer, index: place.index, col: place.col, stack });
  }
  return marks;
}

/** Quantities as typed (units) or valued at the price of their bucket, in the plan currency. */
export type DisplayMode = 'units' | 'value';

/** What computing cells needs: the calculator, raw cell reads and who is looking. */
export interface CellContext {
  calc: PlanCalculator;
  read: (root: ValueRoot, key: string) => number | undefined;
  role: Role;
  /** The cycle stage: sections owned by earlier stages are closed to everyone but leaders. */
  stage: Stage;
  currency: string;
  /** Quantities in units, or valued at the bucket's price (`value`, read-only). */
  mode: DisplayMode;
  /** Per-redraw cache of period summaries, so the cells of one row share them. */
  periods: Map<object, PeriodSummary[] | ResourcePeriodSummary[]>;
  /** Per-redraw cache of a roll-up row's member products (by row id), for valuing its quantities. */
  members: Map<string, ProductPlan[]>;
}

/** Creates a cell context with an empty per-redraw cache. */
export function cellContext(
  calc: PlanCalculator,
  read: CellContext['read'],
  role: Role,
  meta: { currency: string; cycleStage: string },
  mode: DisplayMode = 'units',
): CellContext {
  const stage = isStage(meta.cycleStage) ? meta.cycleStage : 'data-gathering';
  return { calc, read, role, stage, currency: meta.currency, mode, periods: new Map(), members: new Map() };
}

const blank = (root: string, key: string): CellView => ({
  root,
  key,
  value: undefined,
  text: '',
  writeRoot: undefined,
  inherited: false,
  overridden: false,
  exception: undefined,
  negative: false,
  title: undefined,
});

function formatValue(value: number | null | undefined, format: Layer['format'], currency: string, computed: boolean): string {
  if (format === 'days') return value === undefined ? '' : formatDays(value);
  if (value === undefined || value === null) return '';
  if (format === 'currency') return formatCurrency(value, currency);
  return computed ? formatWhole(value) : formatQuantity(value);
}

/** Whether the role may write the root now; the server refuses (and reloads the plan) otherwise. */
function isEditable(ctx: CellContext, root: ValueRoot | undefined): root is ValueRoot {
  return root !== undefined && canWriteAtStage(ctx.role, ROOTS[root].section, ctx.stage);
}

/** Why an input the role normally writes is read-only: its section closed at an earlier stage. */
function closedNote(ctx: CellContext, root: ValueRoot): string | undefined {
  return canWrite(ctx.role, ROOTS[root].section) && !isEditable(ctx, root) ? `Closed at the ${ctx.stage} stage` : undefined;
}

function periodSummaries(ctx: CellContext, plan: ProductPlan | GroupPlan): PeriodSummary[] {
  let list = ctx.periods.get(plan) as PeriodSummary[] | undefined;
  if (!list) {
    list = ctx.calc.byQuarter(plan).map((row: QuarterRow<PeriodSummary>) => row.summary);
    const horizon = ctx.calc.horizon(plan);
    if (horizon) list.push(horizon);
    ctx.periods.set(plan, list);
  }
  return list;
}

/** Index into `periodSummaries` of a quarter or total column. */
function periodIndex(ctx: CellContext, column: Extract<Column, { from: number }>): number {
  return column.kind === 'total' ? ctx.calc.quarters.length : ctx.calc.quarters.findIndex((q) => q.quarter === column.id);
}

function sumCells(ctx: CellContext, root: ValueRoot, rowId: string, from: number, to: number): number | undefined {
  let sum: number | undefined;
  for (let i = from; i <= to; i++) {
    const value = ctx.read(root, `${rowId}|${ctx.calc.buckets[i]}`);
    if (value !== undefined) sum = (sum ?? 0) + value;
  }
  return sum;
}

/** The figure a computed layer shows from a per-bucket plan or a period summary. */
function computedFigure(layer: LayerId, source: ProductPlan | GroupPlan, i: number): number | null | undefined {
  switch (layer) {
    case 'demand':
      return source.demand[i];
    case 'production':
      return source.production[i];
    case 'projectedInventory':
      return source.projectedInventory[i];
    case 'daysOfCover':
      return source.daysOfCover[i];
    case 'revenue':
      return source.revenue[i];
    case 'margin':
      return source.grossMargin[i];
    default:
      return undefined;
  }
}

function periodFigure(layer: LayerId, summary: PeriodSummary): number | null | undefined {
  switch (layer) {
    case 'demand':
      return summary.demand;
    case 'production':
      return summary.production;
    case 'projectedInventory':
      return summary.projectedInventory;
    case 'daysOfCover':
      return summary.daysOfCover;
    case 'revenue':
      return summary.revenue;
    case 'margin':
      return summary.grossMargin;
    default:
      return undefined;
  }
}

function finish(cell: CellView, value: number | null | undefined, layer: Layer, ctx: CellContext, computed: boolean): CellView {
  cell.text = formatValue(value, layer.format, ctx.currency, computed);
  cell.value = value === null ? undefined : value;
  cell.negative = typeof value === 'number' && value < 0;
  return cell;
}

const LAYER_NAMES = {
  consensus: 'consensus',
  sales: 'sales forecast',
  statistical: 'statistical baseline',
  none: 'marketing uplift',
} as const;

/** One cell of a product, family, total or resource row. */
export function cellView(ctx: CellContext, row: ValueRow, column: Column): CellView {
  switch (row.kind) {
    case 'product': {
      const cell = productCell(ctx, row, column);
      return ctx.mode === 'value' && row.layer.format === 'quantity' ? valued(ctx, cell, productValue(ctx, row, column, cell)) : cell;
    }
    case 'family':
    case 'total': {
      const cell = groupCell(ctx, row, column);
      return ctx.mode === 'value' && row.layer.format === 'quantity' ? valued(ctx, cell, groupValue(ctx, row, column)) : cell;
    }
    case 'resource':
      return resourceCell(ctx, row, column);
  }
}

/** Turns a quantity cell into its value: currency text, never editable (edits are in units). */
function valued(ctx: CellContext, cell: CellView, value: number | undefined): CellView {
  cell.value = cell.inherited ? undefined : value;
  cell.text = value === undefined ? '' : formatCurrency(value, ctx.currency);
  cell.negative = value !== undefined && value < 0;
  if (cell.writeRoot) {
    cell.writeRoot = undefined;
    cell.title = cell.title ? `${cell.title}. Switch to units to edit` : 'Switch to units to edit';
  }
  return cell;
}

type QuantitySeries = 'demand' | 'production' | 'projectedInventory';

function seriesOf(layer: LayerId): QuantitySeries | undefined {
  return layer === 'demand' || layer === 'production' || layer === 'projectedInventory' ? layer : undefined;
}

/** Σ quantity × price over horizon buckets `from`..`to`; a stock (inventory) is valued at the end only. */
function valueOverRange(plans: readonly ProductPlan[], series: QuantitySeries, from: number, to: number): number {
  const start = series === 'projectedInventory' ? to : from;
  let sum = 0;
  for (const plan of plans) for (let i = start; i <= to; i++) sum += (plan[series][i] ?? 0) * (plan.price[i] ?? 0);
  return sum;
}

function productValue(ctx: CellContext, row: Extract<GridRow, { kind: 'product' }>, column: Column, cell: CellView): number | undefined {
  const plan = ctx.calc.findProduct(row.productId);
  if (column.kind === 'history') {
    if (cell.value === undefined) return undefined;
    const price = ctx.read('prices', `${row.productId}|${column.id}`) ?? ctx.read('prices', row.productId) ?? 0;
    return cell.value * price;
  }
  if (!plan) return undefined;
  const series = seriesOf(row.layer.id);
  if (column.kind === 'horizon') {
    const quantity = cell.inherited ? plan.demand[column.index] : cell.value;
    return quantity === undefined ? undefined : quantity * (plan.price[column.index] ?? 0);
  }
  if (series) return valueOverRange([plan], series, column.from, column.to);
  const input = row.layer.input;
  if (!input) return undefined;
  let sum: number | undefined;
  for (let i = column.from; i <= column.to; i++) {
    const quantity = ctx.read(input, `${row.productId}|${ctx.calc.buckets[i]}`);
    if (quantity !== undefined) sum = (sum ?? 0) + quantity * (plan.price[i] ?? 0);
  }
  return sum;
}

function groupValue(ctx: CellContext, row: Extract<GridRow, { kind: 'family' | 'total' }>, column: Column): number | undefined {
  const series = seriesOf(row.layer.id);
  if (!series || column.kind === 'history') return undefined;
  let members = ctx.members.get(row.id);
  if (!members) {
    members = ctx.calc.products().filter((plan) => row.kind === 'total' || plan.familyId === row.groupId);
    ctx.members.set(row.id, members);
  }
  const from = column.kind === 'horizon' ? column.index : column.from;
  const to = column.kind === 'horizon' ? column.index : column.to;
  return valueOverRange(members, series, from, to);
}

function productCell(ctx: CellContext, row: Extract<GridRow, { kind: 'product' }>, column: Column): CellView {
  const { layer, productId } = row;
  const plan = ctx.calc.findProduct(productId);
  if (column.kind === 'history') {
    const root = layer.historyRoot ?? layer.input;
    const key = `${productId}|${column.id}`;
    const cell = blank(root ?? layer.id, key);
    return root ? finish(cell, ctx.read(root, key), layer, ctx, false) : cell;
  }
  if (column.kind !== 'horizon') {
    const key = `${productId}|${column.id}`;
    const cell = blank(layer.input ?? layer.id, key);
    if (!plan) return cell;
    if (layer.input) return finish(cell, sumCells(ctx, layer.input, productId, column.from, column.to), layer, ctx, false);
    const summary = periodSummaries(ctx, plan)[periodIndex(ctx, column)];
    if (!summary) return cell;
    if (summary.stockOuts > 0 && (layer.id === 'projectedInventory' || layer.id === 'daysOfCover')) cell.exception = 'stockout';
    else if (summary.safetyStockBreaches > 0 && layer.id === 'daysOfCover') cell.exception = 'breach';
    return finish(cell, periodFigure(layer.id, summary), layer, ctx, true);
  }

  const i = column.index;
  const key = `${productId}|${column.id}`;
  if (layer.input) {
    const cell = blank(layer.input, key);
    if (isEditable(ctx, layer.input) && plan) cell.writeRoot = layer.input;
    const value = ctx.read(layer.input, key);
    finish(cell, value, layer, ctx, false);
    const statistical = ctx.read('statistical', key);
    if (layer.id === 'sales') {
      if (value === undefined && plan) {
        const demand = plan.demand[i] ?? 0;
        if (plan.demandLayer[i] !== 'none' || demand !== 0) {
          cell.inherited = true;
          cell.text = formatQuantity(demand);
          cell.title = `No sales forecast; ${LAYER_NAMES[plan.demandLayer[i] ?? 'none']} in effect`;
        }
      } else if (value !== undefined && statistical !== undefined) {
        cell.overridden = true;
        cell.title = `Overrides the statistical baseline of ${formatQuantity(statistical)}`;
        if (ctx.read('consensus', key) !== undefined) cell.title += '; consensus is in effect';
      }
    } else if (layer.id === 'consensus' && value !== undefined) {
      const sales = ctx.read('sales', key);
      const underneath = resolveDemand(undefined, sales, statistical, ctx.read('marketing', key));
      cell.overridden = true;
      cell.title = `Overrides ${LAYER_NAMES[underneath.layer]} demand of ${formatQuantity(underneath.value)}`;
    }
    const closed = closedNote(ctx, layer.input);
    if (closed) cell.title = cell.title ? `${closed}. ${cell.title}` : closed;
    return cell;
  }

  const cell = blank(layer.id, key);
  if (!plan) return cell;
  const value = computedFigure(layer.id, plan, i);
  finish(cell, value, layer, ctx, true);
  if (layer.id === 'demand') {
    const winner = plan.demandLayer[i];
    if (winner === 'consensus' || winner === 'sales') {
      const statistical = ctx.read('statistical', key);
      cell.overridden = true;
      cell.title = `From the ${LAYER_NAMES[winner]}${statistical === undefined ? '' : `; statistical baseline ${formatQuantity(statistical)}`}`;
    }
  } else if (layer.id === 'projectedInventory' || layer.id === 'daysOfCover') {
    if (plan.stockOut[i]) {
      cell.exception = 'stockout';
      cell.title = 'Stock-out: projected inventory below zero';
    } else if (plan.safetyStockBreach[i]) {
      cell.exception = 'breach';
      cell.title = 'Below the safety-stock target';
    }
  } else if (layer.id === 'margin') {
    const pct = plan.marginPct[i];
    if (pct !== null && pct !== undefined) cell.title = `Margin ${formatPercent(pct)}`;
  }
  return cell;
}

function groupCell(ctx: CellContext, row: Extract<GridRow, { kind: 'family' | 'total' }>, column: Column): CellView {
  const { layer, groupId } = row;
  const key = `${groupId}|${column.id}`;
  const cell = blank(layer.id, key);
  const plan = row.kind === 'total' ? ctx.calc.total() : ctx.calc.findFamily(groupId);
  if (!plan || column.kind === 'history') return cell;
  let value: number | null | undefined;
  let stockOuts: number;
  let breaches: number;
  if (column.kind === 'horizon') {
    value = computedFigure(layer.id, plan, column.index);
    stockOuts = plan.stockOuts[column.index] ?? 0;
    breaches = plan.safetyStockBreaches[column.index] ?? 0;
  } else {
    const summary = periodSummaries(ctx, plan)[periodIndex(ctx, column)];
    value = summary ? periodFigure(layer.id, summary) : undefined;
    stockOuts = summary?.stockOuts ?? 0;
    breaches = summary?.safetyStockBreaches ?? 0;
  }
  finish(cell, value, layer, ctx, true);
  if (layer.id === 'projectedInventory' || layer.id === 'daysOfCover') {
    if (stockOuts > 0) cell.exception = 'stockout';
    else if (breaches > 0) cell.exception = 'breach';
    if (stockOuts + breaches > 0) cell.title = `${stockOuts} stock-outs, ${breaches} safety-stock breaches (SKU-buckets)`;
  }
  return cell;
}

function resourceCell(ctx: CellContext, row: Extract<GridRow, { kind: 'resource' }>, column: Column): CellView {
  const { resourceId, layer } = row;
  const key = `${resourceId}|${column.id}`;
  const cell = blank(layer, key);
  const plan = ctx.calc.findResource(resourceId);
  if (layer === 'capacity') cell.root = 'capacity';
  if (column.kind === 'history') {
    if (layer === 'capacity') {
      const value = ctx.read('capacity', key);
      cell.value = value;
      cell.text = value === undefined ? '' : formatQuantity(value);
    }
    return cell;
  }
  if (!plan) return cell;
  let capacity: number | null | undefined;
  let load: number | undefined;
  let utilisation: number | null | undefined;
  let overloaded: boolean;
  if (column.kind === 'horizon') {
    capacity = ctx.read('capacity', key);
    load = plan.loadHours[column.index];
    utilisation = plan.utilisation[column.index];
    overloaded = plan.overloaded[column.index] ?? false;
    if (layer === 'capacity' && isEditable(ctx, 'capacity')) cell.writeRoot = 'capacity';
    if (layer === 'capacity') cell.title = closedNote(ctx, 'capacity');
  } else {
    let list = ctx.periods.get(plan) as ResourcePeriodSummary[] | undefined;
    if (!list) {
      list = ctx.calc.resourceByQuarter(plan).map((q) => q.summary);
      const horizon = ctx.calc.resourceHorizon(plan);
      if (horizon) list.push(horizon);
      ctx.periods.set(plan, list);
    }
    const summary = list[periodIndex(ctx, column)];
    capacity = summary?.capacityHours;
    load = summary?.loadHours;
    utilisation = summary?.utilisation;
    overloaded = (summary?.overloadedBuckets ?? 0) > 0;
  }
  if (layer === 'capacity') {
    cell.value = capacity ?? undefined;
    cell.text = capacity === undefined || capacity === null ? '' : formatQuantity(capacity);
  } else if (layer === 'load') {
    cell.value = load;
    cell.text = load === undefined ? '' : formatWhole(load);
  } else {
    cell.value = utilisation ?? undefined;
    cell.text = utilisation === undefined || utilisation === null ? '' : formatPercent(utilisation);
  }
  if (overloaded && layer !== 'capacity') {
    cell.exception = 'overload';
    cell.title = 'Load above capacity';
  }
  return cell;
}

/** The document root a row's cell in a column carries as `data-root` (before any value is read). */
function rowRoots(row: ValueRow): string[] {
  if (row.kind === 'product') return [row.layer.input ?? row.layer.id, ...(row.layer.historyRoot ? [row.layer.historyRoot] : [])];
  if (row.kind === 'resource') return [row.layer];
  return [row.layer.id];
}

function rowEntity(row: ValueRow): string {
  return row.kind === 'product' ? row.productId : row.kind === 'resource' ? row.resourceId : row.groupId;
}

/**
 * Where a cell named by `data-root` and `data-key` sits among the given rows and columns, or null
 * when it is not shown (a hidden layer, a collapsed family, a filter, a column out of range).
 */
export function findCell(
  rows: readonly GridRow[],
  columns: readonly Column[],
  cell: { root: string; key: string },
): { rowId: string; col: number } | null {
  const bar = cell.key.lastIndexOf('|');
  if (bar <= 0) return null;
  const entity = cell.key.slice(0, bar);
  const col = columns.findIndex((column) => column.id === cell.key.slice(bar + 1));
  if (col < 0) return null;
  const row = rows.find((r) => r.kind !== 'header' && rowEntity(r) === entity && rowRoots(r).includes(cell.root));
  return row ? { rowId: row.id, col } : null;
}

import {
  HOLD_ROOT_OF,
  isHeld,
  layerValue,
  rateValue,
  resolveDemand,
  type Bucket,
  type GroupPlan,
  type HoldableRoot,
  type HoldRoot,
  type PeriodSummary,
  type PlanCalculator,
  type ProductPlan,
  type QuarterRow,
  type ResourcePeriodSummary,
  type ValueRoot,
} from '@accord/plan-calc';
import { ROOTS } from '@accord/plan-model';
import { canWrite, canWriteAtStage, isStage, type Role, type Stage } from '@accord/protocol';
import {
  fitsColumn,
  formatCompact,
  formatCurrency,
  formatDays,
  formatPercent,
  formatQuantity,
  formatRate,
  formatWhole,
} from '../format.ts';
import { bucketsOf, type Catalog, type Column, type GridRow, type ValueRow } from './layout.ts';
import type { Layer, LayerId } from './layers.ts';

/** Quantities as typed (units) or valued at the price of their bucket, in the plan currency. */
export type DisplayMode = 'units' | 'value';

/**
 * How a cell takes an entry: `cell` writes its own document cell; `spread` sets an aggregate (a
 * family, the total, a quarter, the horizon) by spreading it to the cells below; `scale` sets an
 * average rate (a family's price) by scaling the rates below.
 */
export type EditKind = 'cell' | 'spread' | 'scale';

/** Everything the view needs to draw, mark and edit one value cell. */
export interface CellView {
  /** `data-root`: the document root for stored values and their aggregates, the layer id for computed ones. */
  root: string;
  /** `data-key`: `rowId|bucket`, `rowId|YYYY-Qn` for quarters, `rowId|horizon` for the total. */
  key: string;
  /** The raw number behind the text (`data-value`); undefined for an empty or inherited cell. */
  value: number | undefined;
  /** The number an entry such as `+5%` changes: the value, or the inherited one shown greyed. */
  base: number | undefined;
  text: string;
  /** The root written when the cell takes an entry (permission, holds). */
  writeRoot: ValueRoot | undefined;
  edit: EditKind | undefined;
  /** Held cells are left alone by spreads; `some` for an aggregate with some held cells below it. */
  held: 'all' | 'some' | undefined;
  /** Shown greyed: the value in effect under an empty layer (the statistical baseline under an empty sales forecast). */
  inherited: boolean;
  /** A typed value that overrides a layer below it (corner mark); `title` tells what lies underneath. */
  overridden: boolean;
  exception: 'stockout' | 'breach' | 'overload' | undefined;
  negative: boolean;
  title: string | undefined;
}

/** What computing cells needs: the calculator, raw cell reads and who is looking. */
export interface CellContext {
  calc: PlanCalculator;
  read: (root: ValueRoot, key: string) => number | undefined;
  catalog: Catalog;
  role: Role;
  /** The cycle stage: sections owned by earlier stages are closed to everyone but leaders. */
  stage: Stage;
  currency: string;
  /** Quantities in units, or valued at the bucket's price (`value`, read-only). */
  mode: DisplayMode;
  /** Whether a hold root has any hold: cells of a layer without holds skip looking for them. */
  hasHolds: (root: HoldRoot) => boolean;
  /** Per-redraw cache of period summaries, so the cells of one row share them. */
  periods: Map<object, PeriodSummary[] | ResourcePeriodSummary[]>;
  /** Per-redraw cache of a roll-up row's member products (by group id). */
  members: Map<string, ProductPlan[]>;
  /**
   * Hold states of aggregate cells by `root|rowId|columnId`, kept by the grid while no hold, catalog
   * or setting changed: a total's horizon cell covers 36,000 cells, too many to look up every frame.
   */
  holdCache: Map<string, CellView['held']>;
}

/** Creates a cell context with an empty per-redraw cache. */
export function cellContext(options: {
  calc: PlanCalculator;
  read: CellContext['read'];
  catalog: Catalog;
  role: Role;
  meta: { currency: string; cycleStage: string };
  mode?: DisplayMode;
  hasHolds?: CellContext['hasHolds'];
  holdCache?: CellContext['holdCache'];
}): CellContext {
  const { calc, read, catalog, role, meta, mode = 'units', hasHolds = () => true, holdCache = new Map() } = options;
  const stage = isStage(meta.cycleStage) ? meta.cycleStage : 'data-gathering';
  return { calc, read, catalog, role, stage, currency: meta.currency, mode, hasHolds, periods: new Map(), members: new Map(), holdCache };
}

const blank = (root: string, key: string): CellView => ({
  root,
  key,
  value: undefined,
  base: undefined,
  text: '',
  writeRoot: undefined,
  edit: undefined,
  held: undefined,
  inherited: false,
  overridden: false,
  exception: undefined,
  negative: false,
  title: undefined,
});

/** Whether the role may write the root now (the same rule as the server's); the server refuses otherwise. */
export function isEditable(ctx: Pick<CellContext, 'role' | 'stage'>, root: ValueRoot | undefined): root is ValueRoot {
  return root !== undefined && canWriteAtStage(ctx.role, ROOTS[root].section, ctx.stage);
}

/** The text of a number in a layer's format, compact when the full text would not fit the column. */
function formatted(
  value: number,
  format: Layer['format'],
  ctx: CellContext,
  computed: boolean,
  widthPx: number,
): { text: string; full?: string } {
  let full: string;
  if (format === 'currency') full = formatCurrency(value, ctx.currency);
  else if (format === 'rate') full = formatRate(value, ctx.currency);
  else if (format === 'days') full = formatDays(value);
  else full = computed ? formatWhole(value) : formatQuantity(value);
  if (fitsColumn(full, widthPx)) return { text: full };
  return { text: formatCompact(value, format === 'currency' || format === 'rate' ? ctx.currency : undefined), full };
}

/** Fills a cell's value, text and sign; a compacted number gets its full text in the title. */
function finish(
  cell: CellView,
  value: number | null | undefined,
  layer: Layer,
  ctx: CellContext,
  computed: boolean,
  widthPx: number,
): CellView {
  cell.value = value === null ? undefined : value;
  cell.base = cell.value;
  cell.negative = typeof value === 'number' && value < 0;
  if (layer.format === 'days' && value === null) cell.text = formatDays(null);
  else if (value === undefined || value === null) cell.text = '';
  else {
    const { text, full } = formatted(value, layer.format, ctx, computed, widthPx);
    cell.text = text;
    if (full) cell.title = cell.title ? `${full} · ${cell.title}` : full;
  }
  return cell;
}

/** Adds a note to a cell's title (after the full value of a compacted number). */
function note(cell: CellView, text: string | undefined): void {
  if (!text) return;
  cell.title = cell.title ? `${cell.title} · ${text}` : text;
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

/** The figure a layer shows from a per-bucket plan (product or group). */
function bucketFigure(layer: LayerId, source: ProductPlan | GroupPlan, i: number): number | null | undefined {
  switch (layer) {
    case 'statistical':
      return source.statisticalForecast[i];
    case 'sales':
      return source.salesForecast[i];
    case 'marketing':
      return source.marketingUplift[i];
    case 'consensus':
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
    case 'price':
      return ratio(source.revenue[i], source.demand[i]);
    case 'unitCost':
      return ratio(source.costOfGoods[i], source.demand[i]);
    case 'budget':
      return 'budget' in source ? source.budget[i] : undefined;
    case 'budgetGap':
      return 'budgetGap' in source ? source.budgetGap[i] : undefined;
  }
}

function ratio(numerator: number | undefined, denominator: number | undefined): number | undefined {
  return numerator === undefined || denominator === undefined || denominator === 0 ? undefined : numerator / denominator;
}

function periodFigure(layer: LayerId, summary: PeriodSummary): number | null | undefined {
  switch (layer) {
    case 'statistical':
      return summary.statisticalForecast;
    case 'sales':
      return summary.salesForecast;
    case 'marketing':
      return summary.marketingUplift;
    case 'consensus':
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
    case 'price':
      return ratio(summary.revenue, summary.demand);
    case 'unitCost':
      return ratio(summary.costOfGoods, summary.demand);
    case 'budget':
      return summary.budget;
    case 'budgetGap':
      return summary.budgetGap;
  }
}

const LAYER_NAMES = {
  consensus: 'consensus',
  sales: 'sales forecast',
  statistical: 'statistical baseline',
  none: 'marketing uplift',
} as const;

/** The products under a family or total row (active ones, as the roll-ups count them). */
export function membersOf(ctx: Pick<CellContext, 'calc' | 'members'>, groupId: string): ProductPlan[] {
  let members = ctx.members.get(groupId);
  if (!members) {
    members = ctx.calc.products().filter((plan) => groupId === 'total' || plan.familyId === groupId);
    ctx.members.set(groupId, members);
  }
  return members;
}

/** The rows a spread of an aggregate cell writes: products, families (budget) or the resource. */
export function spreadRows(ctx: Pick<CellContext, 'calc' | 'members'>, row: ValueRow): string[] {
  if (row.kind === 'product') return [row.productId];
  if (row.kind === 'resource') return [row.resourceId];
  if (row.layer.id === 'budget') return row.kind === 'total' ? ctx.calc.families().map((family) => family.id) : [row.groupId];
  return membersOf(ctx, row.groupId).map((plan) => plan.productId);
}

/** Held cells under a cell: all of them, some, or none (undefined). */
function holdState(
  ctx: CellContext,
  root: HoldableRoot,
  rowIds: readonly string[],
  buckets: readonly Bucket[],
  cacheKey?: string,
): CellView['held'] {
  if (!ctx.hasHolds(HOLD_ROOT_OF[root]) || rowIds.length === 0 || buckets.length === 0) return undefined;
  if (cacheKey !== undefined && ctx.holdCache.has(cacheKey)) return ctx.holdCache.get(cacheKey);
  let held = 0;
  for (const rowId of rowIds) for (const bucket of buckets) if (isHeld(ctx.read, root, rowId, bucket)) held++;
  const state = held === 0 ? undefined : held === rowIds.length * buckets.length ? 'all' : 'some';
  if (cacheKey !== undefined) ctx.holdCache.set(cacheKey, state);
  return state;
}

/** One cell of a product, family, total or resource row. */
export function cellView(ctx: CellContext, row: ValueRow, column: Column): CellView {
  switch (row.kind) {
    case 'product': {
      const cell = productCell(ctx, row, column);
      return ctx.mode === 'value' && row.layer.format === 'quantity'
        ? valued(ctx, cell, productValue(ctx, row, column, cell), column)
        : cell;
    }
    case 'family':
    case 'total': {
      const cell = groupCell(ctx, row, column);
      return ctx.mode === 'value' && row.layer.format === 'quantity' ? valued(ctx, cell, groupValue(ctx, row, column), column) : cell;
    }
    case 'resource':
      return resourceCell(ctx, row, column);
  }
}

/** Turns a quantity cell into its value: currency text, never editable (edits are in units). */
function valued(ctx: CellContext, cell: CellView, value: number | undefined, column: Column): CellView {
  cell.value = cell.inherited ? undefined : value;
  cell.base = undefined;
  cell.title = undefined;
  cell.negative = value !== undefined && value < 0;
  if (value === undefined) cell.text = '';
  else {
    const full = formatCurrency(value, ctx.currency);
    cell.text = fitsColumn(full, column.widthPx) ? full : formatCompact(value, ctx.currency);
    if (cell.text !== full) cell.title = full;
  }
  if (cell.edit) {
    cell.edit = undefined;
    cell.writeRoot = undefined;
    note(cell, 'Switch to units to edit');
  }
  return cell;
}

type QuantitySeries = 'demand' | 'production' | 'projectedInventory' | 'salesForecast' | 'statisticalForecast' | 'marketingUplift';

function seriesOf(layer: LayerId): QuantitySeries | undefined {
  switch (layer) {
    case 'demand':
    case 'consensus':
      return 'demand';
    case 'production':
    case 'projectedInventory':
      return layer;
    case 'sales':
      return 'salesForecast';
    case 'statistical':
      return 'statisticalForecast';
    case 'marketing':
      return 'marketingUplift';
    default:
      return undefined;
  }
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
    return cell.value * rateValue(ctx.read, 'prices', row.productId, column.id);
  }
  if (!plan) return undefined;
  const series = seriesOf(row.layer.id);
  if (!series) return undefined;
  const from = column.kind === 'horizon' ? column.index : column.from;
  const to = column.kind === 'horizon' ? column.index : column.to;
  return valueOverRange([plan], series, from, to);
}

function groupValue(ctx: CellContext, row: Extract<GridRow, { kind: 'family' | 'total' }>, column: Column): number | undefined {
  if (column.kind === 'history') {
    // Each SKU's actuals at its own price in that month, added up.
    const root = row.layer.historyRoot;
    return root && ctx.calc.groupActual(root, row.groupId, column.id as Bucket, { valued: true });
  }
  const series = seriesOf(row.layer.id);
  if (!series) return undefined;
  const from = column.kind === 'horizon' ? column.index : column.from;
  const to = column.kind === 'horizon' ? column.index : column.to;
  return valueOverRange(membersOf(ctx, row.groupId), series, from, to);
}

/** Makes an input cell take entries when the role may write its layer now; says so when the cycle closed it. */
function makeEditable(ctx: CellContext, cell: CellView, root: ValueRoot, edit: EditKind): void {
  const section = ROOTS[root].section;
  if (isEditable(ctx, root)) {
    cell.writeRoot = root;
    cell.edit = edit;
  } else if (canWrite(ctx.role, section)) {
    const closed = `Closed at the ${ctx.stage} stage`;
    cell.title = cell.title ? `${closed} · ${cell.title}` : closed;
  }
}

/** What a layer shows in a history month: its actuals (sales, production, closing stock), or a stored quantity. */
function historyRootOf(layer: Layer): ValueRoot | undefined {
  return layer.historyRoot ?? (layer.format === 'quantity' ? layer.input : undefined);
}

function historyNote(layer: Layer): string | undefined {
  if (!layer.historyRoot) return undefined;
  return `Actual ${layer.historyRoot === 'actuals' ? 'sales' : layer.historyRoot === 'actualProduction' ? 'production' : 'closing stock'}`;
}

/**
 * A history month of a family or the total: its SKUs' actuals added up; blank when none has one.
 * Only actuals: the other layers' past cells are sparse overrides, whose sum would read as a total.
 */
function groupHistoryCell(ctx: CellContext, row: Extract<GridRow, { kind: 'family' | 'total' }>, column: Column, cell: CellView): CellView {
  const root = row.layer.historyRoot;
  if (!root) return cell;
  const sum = ctx.calc.groupActual(root, row.groupId, column.id as Bucket);
  if (sum === undefined) return cell;
  cell.root = root;
  finish(cell, sum, row.layer, ctx, true, column.widthPx);
  note(cell, historyNote(row.layer));
  return cell;
}

function productCell(ctx: CellContext, row: Extract<GridRow, { kind: 'product' }>, column: Column): CellView {
  const { layer, productId } = row;
  const plan = ctx.calc.findProduct(productId);
  const key = `${productId}|${column.id}`;
  if (column.kind === 'history') {
    const root = historyRootOf(layer);
    const cell = blank(root ?? layer.id, key);
    if (!root) return cell;
    finish(cell, ctx.read(root, key), layer, ctx, false, column.widthPx);
    note(cell, historyNote(layer));
    return cell;
  }
  if (!plan) return blank(layer.input ?? layer.id, key);

  if (column.kind !== 'horizon') {
    // A quarter or the horizon: the layer's total over its months (a rate's volume-weighted average).
    const cell = blank(layer.input ?? layer.id, key);
    const summary = periodSummaries(ctx, plan)[periodIndex(ctx, column)];
    if (!summary) return cell;
    let value = periodFigure(layer.id, summary);
    if (layer.intensive && value === undefined)
      value = averageOf(plan, layer.id === 'price' ? 'price' : 'unitCost', column.from, column.to);
    if (summary.stockOuts > 0 && (layer.id === 'projectedInventory' || layer.id === 'daysOfCover')) cell.exception = 'stockout';
    else if (summary.safetyStockBreaches > 0 && layer.id === 'daysOfCover') cell.exception = 'breach';
    finish(cell, value, layer, ctx, !layer.input, column.widthPx);
    if (layer.spread) {
      makeEditable(ctx, cell, layer.spread, layer.intensive ? 'scale' : 'spread');
      cell.held = holdState(ctx, layer.spread, [productId], bucketsOf(ctx.calc, column));
    }
    return cell;
  }

  const i = column.index;
  if (layer.input) {
    const cell = blank(layer.input, key);
    if (layer.spread) makeEditable(ctx, cell, layer.spread, 'cell');
    if (layer.intensive) {
      const own = ctx.read(layer.input, key);
      finish(cell, rateValue(ctx.read, layer.spread as 'prices' | 'costs', productId, column.id), layer, ctx, false, column.widthPx);
      if (own === undefined) note(cell, `The product's base ${layer.id === 'price' ? 'price' : 'unit cost'}; typing sets this month's own`);
    } else {
      const value = ctx.read(layer.input, key);
      finish(cell, value, layer, ctx, false, column.widthPx);
      const statistical = ctx.read('statistical', key);
      if (layer.id === 'sales') {
        if (value === undefined && statistical !== undefined) {
          inherit(cell, statistical, layer, ctx, column, 'No sales forecast; the statistical baseline applies');
        } else if (value !== undefined && statistical !== undefined) {
          cell.overridden = true;
          note(cell, `Overrides the statistical baseline of ${formatQuantity(statistical)}`);
          if (ctx.read('consensus', key) !== undefined) note(cell, 'consensus is in effect');
        }
      } else if (layer.id === 'consensus') {
        const underneath = resolveDemand(undefined, ctx.read('sales', key), statistical, ctx.read('marketing', key));
        if (value === undefined) {
          if (underneath.layer !== 'none' || underneath.value !== 0) {
            inherit(cell, underneath.value, layer, ctx, column, `No consensus; the ${LAYER_NAMES[underneath.layer]} demand applies`);
          }
        } else {
          cell.overridden = true;
          note(cell, `Overrides ${LAYER_NAMES[underneath.layer]} demand of ${formatQuantity(underneath.value)}`);
        }
      }
    }
    if (layer.spread) cell.held = holdState(ctx, layer.spread, [productId], [column.id]);
    return cell;
  }

  const cell = blank(layer.id, key);
  const value = bucketFigure(layer.id, plan, i);
  finish(cell, value, layer, ctx, true, column.widthPx);
  if (layer.id === 'demand') {
    const winner = plan.demandLayer[i];
    if (winner === 'consensus' || winner === 'sales') {
      const statistical = ctx.read('statistical', key);
      cell.overridden = true;
      note(
        cell,
        `From the ${LAYER_NAMES[winner]}${statistical === undefined ? '' : `; statistical baseline ${formatQuantity(statistical)}`}`,
      );
    }
  } else if (layer.id === 'projectedInventory' || layer.id === 'daysOfCover') {
    if (plan.stockOut[i]) {
      cell.exception = 'stockout';
      note(cell, 'Stock-out: projected inventory below zero');
    } else if (plan.safetyStockBreach[i]) {
      cell.exception = 'breach';
      note(cell, 'Below the safety-stock target');
    }
  } else if (layer.id === 'margin') {
    const pct = plan.marginPct[i];
    if (pct !== null && pct !== undefined) note(cell, `Margin ${formatPercent(pct)}`);
  }
  return cell;
}

/** Shows the value in effect under an empty layer, greyed, without a stored value. */
function inherit(cell: CellView, value: number, layer: Layer, ctx: CellContext, column: Column, why: string): void {
  cell.inherited = true;
  cell.base = value;
  cell.text = formatted(value, layer.format, ctx, false, column.widthPx).text;
  note(cell, why);
}

/** The plain average of a product's rates over buckets (a rate without demand to weight it). */
function averageOf(plan: ProductPlan, series: 'price' | 'unitCost', from: number, to: number): number | undefined {
  let sum = 0;
  for (let i = from; i <= to; i++) sum += plan[series][i] ?? 0;
  return to >= from ? sum / (to - from + 1) : undefined;
}

function groupCell(ctx: CellContext, row: Extract<GridRow, { kind: 'family' | 'total' }>, column: Column): CellView {
  const { layer, groupId } = row;
  const key = `${groupId}|${column.id}`;
  const cell = blank(layer.spread ?? layer.input ?? layer.id, key);
  if (column.kind === 'history') return groupHistoryCell(ctx, row, column, cell);
  const plan = row.kind === 'total' ? ctx.calc.total() : ctx.calc.findFamily(groupId);
  if (!plan) return cell;
  let value: number | null | undefined;
  let stockOuts: number;
  let breaches: number;
  if (column.kind === 'horizon') {
    value = bucketFigure(layer.id, plan, column.index);
    stockOuts = plan.stockOuts[column.index] ?? 0;
    breaches = plan.safetyStockBreaches[column.index] ?? 0;
  } else {
    const summary = periodSummaries(ctx, plan)[periodIndex(ctx, column)];
    value = summary ? periodFigure(layer.id, summary) : undefined;
    stockOuts = summary?.stockOuts ?? 0;
    breaches = summary?.safetyStockBreaches ?? 0;
  }
  if (layer.intensive && value === undefined) {
    // No demand to weight the rates by: their plain average.
    const members = membersOf(ctx, groupId);
    const from = column.kind === 'horizon' ? column.index : column.from;
    const to = column.kind === 'horizon' ? column.index : column.to;
    let sum = 0;
    for (const member of members) sum += averageOf(member, layer.id === 'price' ? 'price' : 'unitCost', from, to) ?? 0;
    value = members.length > 0 ? sum / members.length : undefined;
  }
  finish(cell, value, layer, ctx, !layer.input, column.widthPx);
  if (layer.id === 'projectedInventory' || layer.id === 'daysOfCover') {
    if (stockOuts > 0) cell.exception = 'stockout';
    else if (breaches > 0) cell.exception = 'breach';
    if (stockOuts + breaches > 0) note(cell, `${stockOuts} stock-outs, ${breaches} safety-stock breaches (SKU-buckets)`);
  } else if (layer.id === 'price' || layer.id === 'unitCost') {
    note(cell, 'Volume-weighted average; typing a new one scales every SKU by the same factor');
  }
  if (layer.spread) {
    const direct = layer.id === 'budget' && row.kind === 'family' && column.kind === 'horizon';
    makeEditable(ctx, cell, layer.spread, direct ? 'cell' : layer.intensive ? 'scale' : 'spread');
    cell.held = holdState(ctx, layer.spread, spreadRows(ctx, row), bucketsOf(ctx.calc, column), `${row.id}|${column.id}`);
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
    cell.base = cell.value;
    cell.text = capacity === undefined || capacity === null ? '' : formatQuantity(capacity);
    makeEditable(ctx, cell, 'capacity', column.kind === 'horizon' ? 'cell' : 'spread');
    cell.held = holdState(ctx, 'capacity', [resourceId], bucketsOf(ctx.calc, column));
  } else if (layer === 'load') {
    cell.value = load;
    cell.text = load === undefined ? '' : formatWhole(load);
  } else {
    cell.value = utilisation ?? undefined;
    cell.text = utilisation === undefined || utilisation === null ? '' : formatPercent(utilisation);
  }
  if (overloaded && layer !== 'capacity') {
    cell.exception = 'overload';
    note(cell, 'Load above capacity');
  }
  return cell;
}

/** The value a spread layer has in effect in one stored cell (for messages and range sums). */
export function effectiveValue(ctx: Pick<CellContext, 'read'>, root: HoldableRoot, rowId: string, bucket: Bucket): number {
  if (root === 'prices' || root === 'costs') return rateValue(ctx.read, root, rowId, bucket);
  return layerValue(ctx.read, root, rowId, bucket);
}

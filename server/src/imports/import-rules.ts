import { cellKey, type ValueRoot } from '@accord/plan-calc';
import type { EntityRoot } from '@accord/plan-model';
import type { ImportKind, ImportRowError } from '@accord/protocol';
import { isBlank, parseId, parseMonth, parseName, parseQuantity, type Parsed, type RawCell } from './cell-values.ts';
import type { ColumnMap } from './column-mapping.ts';
import type { Table } from './table-reader.ts';

/** What the rules need to know about the plan an import goes into. */
export interface PlanContext {
  bucket: 'month' | 'week';
  horizonStart: string;
  products: ReadonlySet<string>;
  families: ReadonlySet<string>;
  resources: ReadonlySet<string>;
}

/** One numeric cell to write. */
export interface CellWrite {
  root: ValueRoot;
  key: string;
  value: number;
}

/** Fields of a product, family or resource to set; `create` when it does not exist yet. */
export interface EntityWrite {
  root: EntityRoot;
  id: string;
  create: boolean;
  fields: Record<string, string | number>;
}

/** An import checked row by row: what it would write, or why rows were refused. */
export interface ImportPlan {
  cells: CellWrite[];
  entities: EntityWrite[];
  errors: ImportRowError[];
  rejectedRows: number;
  preview: Record<string, string | number | null>[];
}

/** Rows shown back to the client as interpreted. */
export const PREVIEW_ROWS = 20;

/** The actuals roots each quantity field writes (server-only roots). */
const ACTUAL_ROOTS = { sales: 'actuals', production: 'actualProduction', inventory: 'actualInventory' } as const satisfies Record<
  string,
  ValueRoot
>;

type QuantityField = keyof typeof ACTUAL_ROOTS;
const QUANTITY_FIELDS = Object.keys(ACTUAL_ROOTS) as QuantityField[];

interface RowReader {
  row: number;
  has(field: string): boolean;
  raw(field: string): RawCell;
  /**
   * Parses a field, recording a refusal against its column; undefined when refused. Pass a parser
   * defined once (not a new closure per row): results for repeated text are remembered per parser.
   */
  take<T>(field: string, parse: (cell: RawCell) => Parsed<T>): T | undefined;
}

/**
 * Checks every row of a table against the rules of its kind and collects the writes. Refused rows
 * are listed with their row number, column header and reason; nothing is written when any is.
 */
export function planImport(kind: ImportKind, table: Table, columns: ColumnMap, context: PlanContext): ImportPlan {
  const plan: ImportPlan = { cells: [], entities: [], errors: [], rejectedRows: 0, preview: [] };
  const reader = new TableRowReader(table, columns, plan);
  const refuse = (field: string | null, reason: string) => reader.refuse(field, reason);
  const rule = RULES[kind];
  const state = rule.start();
  for (const { row, cells } of table.rows) {
    reader.moveTo(row, cells);
    const interpreted = rule.row(reader, refuse, context, state, plan);
    if (reader.failed) plan.rejectedRows++;
    if (plan.preview.length < PREVIEW_ROWS) plan.preview.push({ row, ...interpreted, ...(reader.failed ? { refused: 'yes' } : {}) });
  }
  return plan;
}

// Ids and months repeat on every row (2,000 SKUs over 100,000 rows), so their parses are kept;
// quantities mostly differ, so the memo stops growing at this size and costs one lookup a cell.
const MAX_MEMO_ENTRIES = 20_000;

/** Reads the cells of one row after another; parses of repeated text are remembered per parser. */
class TableRowReader implements RowReader {
  row = 0;
  failed = false;
  #cells: RawCell[] = [];
  readonly #columns: ColumnMap;
  readonly #headers: string[];
  readonly #plan: ImportPlan;
  readonly #memo = new Map<(cell: RawCell) => Parsed<unknown>, Map<string, Parsed<unknown>>>();

  constructor(table: Table, columns: ColumnMap, plan: ImportPlan) {
    this.#headers = table.headers;
    this.#columns = columns;
    this.#plan = plan;
  }

  moveTo(row: number, cells: RawCell[]): void {
    this.row = row;
    this.#cells = cells;
    this.failed = false;
  }

  has(field: string): boolean {
    return !isBlank(this.raw(field));
  }

  raw(field: string): RawCell {
    const index = this.#columns.get(field);
    return index === undefined ? null : (this.#cells[index] ?? null);
  }

  take<T>(field: string, parse: (cell: RawCell) => Parsed<T>): T | undefined {
    const cell = this.raw(field);
    let parsed: Parsed<T>;
    if (typeof cell === 'string') {
      let memo = this.#memo.get(parse);
      if (!memo) this.#memo.set(parse, (memo = new Map()));
      const known = memo.get(cell) as Parsed<T> | undefined;
      parsed = known ?? parse(cell);
      if (!known && memo.size < MAX_MEMO_ENTRIES) memo.set(cell, parsed);
    } else parsed = parse(cell);
    if (parsed.ok) return parsed.value;
    this.refuse(field, parsed.reason);
    return undefined;
  }

  refuse(field: string | null, reason: string): void {
    this.#plan.errors.push({ row: this.row, column: field === null ? null : this.#headerOf(field), reason });
    this.failed = true;
  }

  #headerOf(field: string): string {
    const index = this.#columns.get(field);
    return index === undefined ? field : this.#headers[index] || `column ${index + 1}`;
  }
}

/** Month or ISO week parsers with a stable identity (the reader remembers parses per parser). */
const parseMonthCell = (cell: RawCell) => parseMonth(cell);
const parseWeekCell = (cell: RawCell) => parseMonth(cell, { weekly: true });
const bucketParser = (context: PlanContext) => (context.bucket === 'week' ? parseWeekCell : parseMonthCell);

type Refuse = (field: string | null, reason: string) => void;
interface Rule<S> {
  start(): S;
  row(reader: RowReader, refuse: Refuse, context: PlanContext, state: S, plan: ImportPlan): Record<string, string | number | null>;
}

const requiredId = (reader: RowReader, refuse: Refuse, field: string, what: string): string | undefined => {
  if (!reader.has(field)) {
    refuse(field, `no ${what}`);
    return undefined;
  }
  return reader.take(field, parseId);
};

const actualsRule: Rule<Map<string, number>> = {
  start: () => new Map(),
  row(reader, refuse, context, seen, plan) {
    const product = requiredId(reader, refuse, 'product', 'product (SKU)');
    if (product !== undefined && !context.products.has(product))
      refuse('product', `unknown SKU "${product}": import it as a product first`);
    let bucket: string | undefined;
    if (!reader.has('month')) refuse('month', 'no month');
    else bucket = reader.take('month', bucketParser(context));
    if (bucket !== undefined && bucket >= context.horizonStart) {
      refuse('month', `${bucket} is in the planning horizon (it starts ${context.horizonStart}); actuals are for past buckets`);
    }
    const quantities: Partial<Record<QuantityField, number>> = {};
    let anyQuantity = false;
    for (const field of QUANTITY_FIELDS) {
      if (!reader.has(field)) continue;
      anyQuantity = true;
      const value = reader.take(field, parseQuantity);
      if (value !== undefined) quantities[field] = value;
    }
    if (!anyQuantity) refuse(null, 'no quantity: fill in sales, production or inventory');
    if (product !== undefined && bucket !== undefined) {
      const key = cellKey(product, bucket);
      const first = seen.get(key);
      if (first !== undefined) refuse('month', `duplicate: ${product} ${bucket} is also on row ${first}`);
      else seen.set(key, reader.row);
      for (const field of QUANTITY_FIELDS) {
        const value = quantities[field];
        if (value !== undefined) plan.cells.push({ root: ACTUAL_ROOTS[field], key, value });
      }
    }
    return {
      product: product ?? null,
      month: bucket ?? null,
      sales: quantities.sales ?? null,
      production: quantities.production ?? null,
      inventory: quantities.inventory ?? null,
    };
  },
};

/** Prices and costs: per product (list value) or per product and bucket (an override of that bucket). */
const valueRule = (root: 'prices' | 'costs', field: 'price' | 'cost'): Rule<Map<string, number>> => ({
  start: () => new Map(),
  row(reader, refuse, context, seen, plan) {
    const product = requiredId(reader, refuse, 'product', 'product (SKU)');
    if (product !== undefined && !context.products.has(product)) refuse('product', `unknown SKU "${product}"`);
    let bucket: string | undefined;
    if (reader.has('month')) bucket = reader.take('month', bucketParser(context));
    let value: number | undefined;
    if (!reader.has(field)) refuse(field, `no ${field}`);
    else value = reader.take(field, parseQuantity);
    if (product !== undefined && (bucket !== undefined || !reader.has('month'))) {
      const key = bucket === undefined ? product : cellKey(product, bucket);
      const first = seen.get(key);
      if (first !== undefined) refuse(bucket === undefined ? 'product' : 'month', `duplicate: ${key} is also on row ${first}`);
      else seen.set(key, reader.row);
      if (value !== undefined) plan.cells.push({ root, key, value });
    }
    return { product: product ?? null, month: bucket ?? null, [field]: value ?? null };
  },
});

const PRODUCT_NUMBERS = ['hoursPerUnit', 'leadTimeDays', 'safetyStockDays'] as const;

/**
 * Products: an existing id gets the fields the row fills in; a new one needs a name, a family and
 * a resource. An unknown family is created (named by `familyName`, else its id); a resource must
 * exist (import resources first).
 */
const productsRule: Rule<{ seen: Map<string, number>; newFamilies: Map<string, string> }> = {
  start: () => ({ seen: new Map(), newFamilies: new Map() }),
  row(reader, refuse, context, state, plan) {
    const id = requiredId(reader, refuse, 'id', 'product id');
    const exists = id !== undefined && context.products.has(id);
    const fields: Record<string, string | number> = {};
    if (reader.has('name')) {
      const name = reader.take('name', parseName);
      if (name !== undefined) fields.name = name;
    } else if (!exists) refuse('name', 'a new product needs a name');
    if (reader.has('family')) {
      const family = reader.take('family', parseId);
      if (family !== undefined) fields.familyId = family;
    } else if (!exists) refuse('family', 'a new product needs a family');
    if (reader.has('resource')) {
      const resource = reader.take('resource', parseId);
      if (resource !== undefined && !context.resources.has(resource))
        refuse('resource', `unknown resource "${resource}": import resources first`);
      else if (resource !== undefined) fields.resourceId = resource;
    } else if (!exists) refuse('resource', 'a new product needs a resource');
    if (reader.has('unit')) {
      const unit = reader.take('unit', parseName);
      if (unit !== undefined && unit.length > 20) refuse('unit', 'units are at most 20 characters');
      else if (unit !== undefined) fields.unit = unit;
    }
    for (const field of PRODUCT_NUMBERS) {
      if (!reader.has(field)) continue;
      const value = reader.take(field, parseQuantity);
      if (value !== undefined) fields[field] = value;
    }
    let familyName: string | undefined;
    if (reader.has('familyName')) familyName = reader.take('familyName', parseName);
    if (id !== undefined) {
      const first = state.seen.get(id);
      if (first !== undefined) refuse('id', `duplicate: product ${id} is also on row ${first}`);
      else state.seen.set(id, reader.row);
    }
    const familyId = typeof fields.familyId === 'string' ? fields.familyId : undefined;
    if (familyId !== undefined && !context.families.has(familyId) && !state.newFamilies.has(familyId)) {
      state.newFamilies.set(familyId, familyName ?? familyId);
      plan.entities.push({ root: 'families', id: familyId, create: true, fields: { name: familyName ?? familyId } });
    }
    if (id !== undefined) plan.entities.push({ root: 'products', id, create: !exists, fields });
    return { id: id ?? null, ...fields };
  },
};

const resourcesRule: Rule<Map<string, number>> = {
  start: () => new Map(),
  row(reader, refuse, context, seen, plan) {
    const id = requiredId(reader, refuse, 'id', 'resource id');
    let name: string | undefined;
    if (!reader.has('name')) refuse('name', 'no name');
    else name = reader.take('name', parseName);
    if (id !== undefined) {
      const first = seen.get(id);
      if (first !== undefined) refuse('id', `duplicate: resource ${id} is also on row ${first}`);
      else seen.set(id, reader.row);
      if (name !== undefined) plan.entities.push({ root: 'resources', id, create: !context.resources.has(id), fields: { name } });
    }
    return { id: id ?? null, name: name ?? null };
  },
};

const RULES: Record<ImportKind, Rule<never>> = {
  actuals: actualsRule as Rule<never>,
  prices: valueRule('prices', 'price') as Rule<never>,
  costs: valueRule('costs', 'cost') as Rule<never>,
  products: productsRule as Rule<never>,
  resources: resourcesRule as Rule<never>,
};

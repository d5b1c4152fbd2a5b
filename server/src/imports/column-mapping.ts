import type { ImportKind } from '@accord/protocol';

/** A field an import reads, the headers that name it, and whether the file must have it. */
export interface FieldSpec {
  field: string;
  required: boolean;
  /** Header spellings recognised automatically, normalised (lower case, words split by one space). */
  synonyms: string[];
}

const PRODUCT = [
  'product',
  'product id',
  'productid',
  'sku',
  'sku id',
  'sku code',
  'item',
  'item id',
  'item code',
  'item number',
  'article',
  'article number',
  'material',
  'product code',
  'part number',
];
const MONTH = ['month', 'period', 'date', 'bucket', 'year month', 'posting date', 'period start', 'period end', 'month end', 'week'];

/** The fields of each kind of import; at least one of the actuals quantities must be present. */
export const FIELDS: Readonly<Record<ImportKind, FieldSpec[]>> = {
  actuals: [
    { field: 'product', required: true, synonyms: PRODUCT },
    { field: 'month', required: true, synonyms: MONTH },
    {
      field: 'sales',
      required: false,
      synonyms: [
        'sales',
        'qty',
        'quantity',
        'units sold',
        'sold',
        'sales qty',
        'sales quantity',
        'sales units',
        'actual sales',
        'shipments',
        'shipped',
        'demand',
        'units',
        'volume',
      ],
    },
    {
      field: 'production',
      required: false,
      synonyms: [
        'production',
        'produced',
        'production qty',
        'production quantity',
        'actual production',
        'units produced',
        'output',
        'produced qty',
      ],
    },
    {
      field: 'inventory',
      required: false,
      synonyms: [
        'inventory',
        'closing stock',
        'closing inventory',
        'ending inventory',
        'end inventory',
        'stock',
        'on hand',
        'stock on hand',
        'inventory qty',
        'actual inventory',
        'closing balance',
      ],
    },
  ],
  products: [
    { field: 'id', required: true, synonyms: ['id', ...PRODUCT] },
    { field: 'name', required: false, synonyms: ['name', 'product name', 'description', 'item name', 'sku name', 'item description'] },
    { field: 'family', required: false, synonyms: ['family', 'family id', 'product family', 'category', 'group', 'product group'] },
    { field: 'familyName', required: false, synonyms: ['family name', 'category name', 'group name'] },
    { field: 'unit', required: false, synonyms: ['unit', 'uom', 'unit of measure', 'units of measure'] },
    {
      field: 'resource',
      required: false,
      synonyms: ['resource', 'resource id', 'line', 'production line', 'work centre', 'work center', 'plant'],
    },
    {
      field: 'hoursPerUnit',
      required: false,
      synonyms: ['hours per unit', 'hours unit', 'hrs per unit', 'run hours per unit', 'hoursperunit'],
    },
    { field: 'leadTimeDays', required: false, synonyms: ['lead time', 'lead time days', 'leadtime', 'leadtimedays'] },
    { field: 'safetyStockDays', required: false, synonyms: ['safety stock days', 'safety stock', 'safety days', 'safetystockdays'] },
  ],
  resources: [
    {
      field: 'id',
      required: true,
      synonyms: ['id', 'resource', 'resource id', 'line', 'production line', 'work centre', 'work center', 'code'],
    },
    { field: 'name', required: true, synonyms: ['name', 'resource name', 'description', 'line name'] },
  ],
  prices: [
    { field: 'product', required: true, synonyms: PRODUCT },
    { field: 'month', required: false, synonyms: MONTH },
    { field: 'price', required: true, synonyms: ['price', 'unit price', 'list price', 'price per unit', 'selling price', 'net price'] },
  ],
  costs: [
    { field: 'product', required: true, synonyms: PRODUCT },
    { field: 'month', required: false, synonyms: MONTH },
    { field: 'cost', required: true, synonyms: ['cost', 'unit cost', 'standard cost', 'cost per unit', 'cogs', 'cost of goods'] },
  ],
};

/** A header in comparable form: lower case, anything not a letter or digit becomes one space. */
export function normaliseHeader(header: string): string {
  return header
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Field → column index in the file; fields absent from the file are absent here. */
export type ColumnMap = Map<string, number>;

/** Why a mapping cannot be used; answered as a 400 before any row is read. */
export interface MappingProblem {
  column: string | null;
  reason: string;
}

/**
 * Finds each field's column: an explicit `override` (field → header as written) wins; otherwise
 * the first header matching one of the field's synonyms. A header is used by one field at most.
 */
export function mapColumns(
  kind: ImportKind,
  headers: string[],
  override: Record<string, string> = {},
): { columns: ColumnMap; problems: MappingProblem[] } {
  const specs = FIELDS[kind];
  const problems: MappingProblem[] = [];
  const columns: ColumnMap = new Map();
  const used = new Set<number>();
  const normalised = headers.map(normaliseHeader);

  for (const [field, header] of Object.entries(override)) {
    if (!specs.some((s) => s.field === field)) {
      problems.push({
        column: header,
        reason: `mapping names an unknown field "${field}"; ${kind} imports read ${specs.map((s) => s.field).join(', ')}`,
      });
      continue;
    }
    const index = headers.findIndex((h) => h === header);
    const fallback = index >= 0 ? index : normalised.indexOf(normaliseHeader(header));
    if (fallback < 0) problems.push({ column: header, reason: `mapping for ${field}: the file has no column "${header}"` });
    else {
      columns.set(field, fallback);
      used.add(fallback);
    }
  }
  for (const spec of specs) {
    if (columns.has(spec.field) || Object.hasOwn(override, spec.field)) continue;
    const index = normalised.findIndex((h, i) => !used.has(i) && spec.synonyms.includes(h));
    if (index >= 0) {
      columns.set(spec.field, index);
      used.add(index);
    } else if (spec.required) {
      problems.push({
        column: spec.field,
        reason: `no column for ${spec.field}: name one ${spec.synonyms.slice(0, 4).join(', ')} (or pass mapping={"${spec.field}":"<header>"})`,
      });
    }
  }
  if (kind === 'actuals' && !['sales', 'production', 'inventory'].some((f) => columns.has(f)) && problems.length === 0) {
    problems.push({
      column: null,
      reason: 'no quantity column: actuals need at least one of sales, production or inventory (closing stock)',
    });
  }
  return { columns, problems };
}

import type { BoundedRoot, Section } from '@accord/protocol';
import type { ValueRoot } from '@accord/plan-calc';

/** Version of the document layout written by this code; stored in `meta.schemaVersion`. */
export const SCHEMA_VERSION = 2;

/**
 * Every root type of the plan document and the section that owns it. A root belongs to one
 * section so that the server can authorise an update by the roots it touches.
 * Value roots hold numbers keyed by `rowId|YYYY-MM` (or by `rowId` for per-product values);
 * entity roots hold one nested Y.Map per product, family or resource.
 */
export const ROOTS = {
  meta: { section: 'plan', kind: 'entity' },
  families: { section: 'catalog', kind: 'entity' },
  products: { section: 'catalog', kind: 'entity' },
  resources: { section: 'catalog', kind: 'entity' },
  sales: { section: 'demand', kind: 'value' },
  marketing: { section: 'demand', kind: 'value' },
  events: { section: 'demand', kind: 'entity' },
  production: { section: 'supply', kind: 'value' },
  capacity: { section: 'supply', kind: 'value' },
  inventory: { section: 'supply', kind: 'value' },
  prices: { section: 'finance', kind: 'value' },
  costs: { section: 'finance', kind: 'value' },
  budget: { section: 'finance', kind: 'value' },
  consensus: { section: 'consensus', kind: 'value' },
  // Holds live in the section of the layer they hold, so whoever may write the layer may hold it.
  salesHolds: { section: 'demand', kind: 'value' },
  marketingHolds: { section: 'demand', kind: 'value' },
  productionHolds: { section: 'supply', kind: 'value' },
  capacityHolds: { section: 'supply', kind: 'value' },
  priceHolds: { section: 'finance', kind: 'value' },
  costHolds: { section: 'finance', kind: 'value' },
  budgetHolds: { section: 'finance', kind: 'value' },
  consensusHolds: { section: 'consensus', kind: 'value' },
  comments: { section: 'comments', kind: 'entity' },
  actuals: { section: 'server', kind: 'value' },
  actualProduction: { section: 'server', kind: 'value' },
  actualInventory: { section: 'server', kind: 'value' },
  statistical: { section: 'server', kind: 'value' },
  decisions: { section: 'server', kind: 'entity' },
  snapshots: { section: 'server', kind: 'entity' },
} as const satisfies Record<string, { section: Section; kind: 'entity' | 'value' }>;

export type RootName = keyof typeof ROOTS;

// Compile-time check that plan-calc's value roots are exactly the roots declared 'value' here.
type DeclaredValueRoot = { [K in RootName]: (typeof ROOTS)[K]['kind'] extends 'value' ? K : never }[RootName];
const valueRootsAgree: [DeclaredValueRoot] extends [ValueRoot] ? ([ValueRoot] extends [DeclaredValueRoot] ? true : false) : false = true;
void valueRootsAgree;
// …and that every value root has its bounds in @accord/protocol's CELL_BOUNDS (the guard and the grid use them).
const valueRootsBounded: [DeclaredValueRoot] extends [BoundedRoot] ? ([BoundedRoot] extends [DeclaredValueRoot] ? true : false) : false =
  true;
void valueRootsBounded;

export const ROOT_NAMES = Object.keys(ROOTS) as RootName[];

/** The section a root belongs to, or undefined for a name that is not a plan root. */
export function sectionOfRoot(name: string): Section | undefined {
  return Object.hasOwn(ROOTS, name) ? ROOTS[name as RootName].section : undefined;
}

import type { ActualsRoot, HoldableRoot, ValueRoot } from '@accord/plan-calc';
import type { Role } from '@accord/protocol';

/** The rows a product, family or the total can show, in display order; the layer menu picks a subset. */
export const LAYER_IDS = [
  'statistical',
  'sales',
  'marketing',
  'consensus',
  'demand',
  'production',
  'projectedInventory',
  'daysOfCover',
  'price',
  'unitCost',
  'revenue',
  'margin',
  'budget',
  'budgetGap',
] as const;
export type LayerId = (typeof LAYER_IDS)[number];

/** How a layer's numbers read, where it is shown and what a planner types into it. */
export interface Layer {
  id: LayerId;
  label: string;
  /** The document root a planner types into; absent for computed layers, which are never editable. */
  input?: ValueRoot;
  /** The root whose cells can be held and spread into (the input, when it is spreadable). */
  spread?: HoldableRoot;
  /** Aggregates of intensive layers (prices, unit costs) are volume-weighted averages, edited by scaling. */
  intensive?: boolean;
  /** Where the history columns read from (actuals), when not from `input`. */
  historyRoot?: ActualsRoot;
  format: 'quantity' | 'currency' | 'days' | 'rate';
  /** Shown on SKU rows. */
  product: boolean;
  /** Shown on family and total rows. */
  group: boolean;
}

export const LAYERS: Readonly<Record<LayerId, Layer>> = {
  statistical: { id: 'statistical', label: 'Statistical', input: 'statistical', format: 'quantity', product: true, group: true },
  sales: {
    id: 'sales',
    label: 'Sales forecast',
    input: 'sales',
    spread: 'sales',
    historyRoot: 'actuals',
    format: 'quantity',
    product: true,
    group: true,
  },
  marketing: {
    id: 'marketing',
    label: 'Marketing uplift',
    input: 'marketing',
    spread: 'marketing',
    format: 'quantity',
    product: true,
    group: true,
  },
  consensus: {
    id: 'consensus',
    label: 'Consensus',
    input: 'consensus',
    spread: 'consensus',
    format: 'quantity',
    product: true,
    group: true,
  },
  demand: { id: 'demand', label: 'Demand', format: 'quantity', product: true, group: true },
  production: {
    id: 'production',
    label: 'Production',
    input: 'production',
    spread: 'production',
    historyRoot: 'actualProduction',
    format: 'quantity',
    product: true,
    group: true,
  },
  projectedInventory: {
    id: 'projectedInventory',
    label: 'Projected inventory',
    historyRoot: 'actualInventory',
    format: 'quantity',
    product: true,
    group: true,
  },
  daysOfCover: { id: 'daysOfCover', label: 'Days of cover', format: 'days', product: true, group: true },
  price: { id: 'price', label: 'Price', input: 'prices', spread: 'prices', intensive: true, format: 'rate', product: true, group: true },
  unitCost: {
    id: 'unitCost',
    label: 'Unit cost',
    input: 'costs',
    spread: 'costs',
    intensive: true,
    format: 'rate',
    product: true,
    group: true,
  },
  revenue: { id: 'revenue', label: 'Revenue', format: 'currency', product: true, group: true },
  margin: { id: 'margin', label: 'Gross margin', format: 'currency', product: true, group: true },
  // Budget lives at family level (`familyId|bucket`); a total edit spreads to the families.
  budget: { id: 'budget', label: 'Budget', input: 'budget', spread: 'budget', format: 'currency', product: false, group: true },
  budgetGap: { id: 'budgetGap', label: 'Gap to budget', format: 'currency', product: false, group: true },
};

/** Layers shown until the user picks others: each role starts with what it plans. */
export function defaultLayers(role: Role): readonly LayerId[] {
  // Finance also sees the sales forecast: in the meeting it watches revenue move as sales types.
  if (role === 'finance') return ['sales', 'demand', 'price', 'unitCost', 'revenue', 'margin', 'budget', 'budgetGap'];
  return ['statistical', 'sales', 'consensus', 'demand', 'production', 'projectedInventory', 'daysOfCover'];
}

export const RESOURCE_LAYERS = [
  { id: 'capacity', label: 'Capacity (h)' },
  { id: 'load', label: 'Load (h)' },
  { id: 'utilisation', label: 'Utilisation' },
] as const;
export type ResourceLayerId = (typeof RESOURCE_LAYERS)[number]['id'];

/** Whether `id` names a layer (for values read from storage or a presenter's view). */
export function isLayerId(id: string): id is LayerId {
  return (LAYER_IDS as readonly string[]).includes(id);
}

import {
  addMonths,
  cellKey,
  layeredDemand,
  monthRange,
  orderedProducts,
  projectProduct,
  type Month,
  type PlanData,
} from '@accord/plan-calc';
import { canWrite, type Role, type Section } from '@accord/protocol';

/** How many closed months the grid shows before the horizon, for context next to the plan. */
export const HISTORY_COLUMNS = 6;

/** Where a cell's value lives: a document root, or the computed projection. */
export type CellRoot = 'statistical' | 'sales' | 'production' | 'actuals' | 'projectedInventory';

/** One value cell of the grid, everything the view needs to draw and edit it. */
export interface GridCell {
  root: CellRoot;
  key: string;
  month: Month;
  value: number | undefined;
  /** A value in effect but not typed in this cell (layered demand under an empty sales forecast). */
  inherited: number | undefined;
  inheritedFrom: string | undefined;
  editable: boolean;
  history: boolean;
  negative: boolean;
}

/** A product's sub-row: one layer of the plan across all columns. */
export interface GridRow {
  kind: 'value';
  id: string;
  productId: string;
  label: string;
  /** The product name, set on the first sub-row only so the label column reads like a group. */
  productName: string | undefined;
  unit: string | undefined;
  cells: GridCell[];
}

/** A family header row that groups its products. */
export interface FamilyRow {
  kind: 'family';
  id: string;
  label: string;
}

/** The derived grid: columns and rows, rebuilt wholesale on every document change. */
export interface PlanTable {
  history: Month[];
  horizon: Month[];
  rows: (GridRow | FamilyRow)[];
  /** Only the value rows, in display order, for keyboard navigation. */
  valueRows: GridRow[];
}

interface Layer {
  root: Exclude<CellRoot, 'actuals'>;
  label: string;
  section: Section | undefined;
}

const LAYERS: Layer[] = [
  { root: 'statistical', label: 'Statistical', section: undefined },
  { root: 'sales', label: 'Sales forecast', section: 'demand' },
  { root: 'production', label: 'Production', section: 'supply' },
  { root: 'projectedInventory', label: 'Projected inventory', section: undefined },
];

const LAYER_NAMES = { consensus: 'consensus', sales: 'sales forecast', statistical: 'statistical baseline', none: 'marketing uplift' };

/**
 * Builds the grid from plain plan data. History columns are read-only context: the sales row shows
 * `actuals` there, the other rows whatever their root holds (usually nothing).
 */
export function buildPlanTable(data: PlanData, role: Role): PlanTable {
  const { meta, cells } = data;
  const history = monthRange(addMonths(meta.horizonStart, -HISTORY_COLUMNS), HISTORY_COLUMNS);
  const horizon = monthRange(meta.horizonStart, meta.horizonBuckets);
  const rows: PlanTable['rows'] = [];
  const valueRows: GridRow[] = [];
  let familyId: string | undefined;

  for (const product of orderedProducts(data)) {
    if (product.familyId !== familyId) {
      familyId = product.familyId;
      rows.push({ kind: 'family', id: `family:${familyId}`, label: data.families[familyId]?.name ?? familyId });
    }
    const inventory = projectProduct(data, product.id).projectedInventory;

    LAYERS.forEach((layer, index) => {
      const editable = layer.section !== undefined && canWrite(role, layer.section);
      const historyCells = history.map((month): GridCell => {
        const root: CellRoot = layer.root === 'sales' ? 'actuals' : layer.root;
        const key = cellKey(product.id, month);
        const value = root === 'projectedInventory' ? undefined : cells[root][key];
        return { root, key, month, value, inherited: undefined, inheritedFrom: undefined, editable: false, history: true, negative: false };
      });
      const horizonCells = horizon.map((month, m): GridCell => {
        const key = cellKey(product.id, month);
        let value: number | undefined;
        let inherited: number | undefined;
        let inheritedFrom: string | undefined;
        if (layer.root === 'projectedInventory') value = inventory[m];
        else value = cells[layer.root][key];
        if (layer.root === 'sales' && value === undefined) {
          const demand = layeredDemand(cells, product.id, month);
          if (demand.layer !== 'none' || demand.value !== 0) {
            inherited = demand.value;
            inheritedFrom = LAYER_NAMES[demand.layer];
          }
        }
        return { root: layer.root, key, month, value, inherited, inheritedFrom, editable, history: false, negative: (value ?? 0) < 0 };
      });
      const row: GridRow = {
        kind: 'value',
        id: `${product.id}:${layer.root}`,
        productId: product.id,
        label: layer.label,
        productName: index === 0 ? product.name : undefined,
        unit: index === 0 ? product.unit : undefined,
        cells: [...historyCells, ...horizonCells],
      };
      rows.push(row);
      valueRows.push(row);
    });
  }
  return { history, horizon, rows, valueRows };
}

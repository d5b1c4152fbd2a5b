import { describe, expect, it } from 'vitest';
import { PlanCalculator, emptyCells, type PlanData, type ValueRoot } from '@accord/plan-calc';
import type { Role } from '@accord/protocol';
import { LAYER_IDS, type LayerId } from './layers.ts';
import { buildColumns, buildRows, type ValueRow } from './layout.ts';
import { cellContext, cellView, type DisplayMode } from './cells.ts';
import { assignSlots, cellPlaces, findCell, remoteMarks, stableCells, type VisibleRow } from './slots.ts';

function plan(stage = 'demand-review'): PlanData {
  const cells = emptyCells();
  Object.assign(cells.statistical, { 'P1|2027-01': 100, 'P1|2027-02': 100, 'P1|2027-03': 100, 'P1|2027-04': 100, 'P2|2027-01': 50 });
  Object.assign(cells.sales, { 'P1|2027-02': 120 });
  Object.assign(cells.consensus, { 'P1|2027-03': 90 });
  Object.assign(cells.production, { 'P1|2027-01': 80, 'P2|2027-01': 50 });
  Object.assign(cells.capacity, { 'R1|2027-01': 0.5 });
  Object.assign(cells.actuals, { 'P1|2026-12': 95 });
  Object.assign(cells.inventory, { P1: 150, P2: 10 });
  Object.assign(cells.prices, { P1: 2, P2: 10 });
  return {
    meta: {
      name: 'Test',
      currency: 'EUR',
      bucket: 'month',
      horizonStart: '2027-01',
      horizonBuckets: 4,
      historyBuckets: 2,
      cycleStage: stage as PlanData['meta']['cycleStage'],
      schemaVersion: 2,
    },
    families: { F1: { id: 'F1', name: 'Family one', order: 0 } },
    products: {
      P1: {
        id: 'P1',
        name: 'Product one',
        familyId: 'F1',
        unit: 'cases',
        resourceId: 'R1',
        hoursPerUnit: 0.01,
        leadTimeDays: 7,
        safetyStockDays: 10,
        order: 0,
      },
      P2: {
        id: 'P2',
        name: 'Product two',
        familyId: 'F1',
        unit: 'cases',
        resourceId: 'R1',
        hoursPerUnit: 0.01,
        leadTimeDays: 7,
        safetyStockDays: 10,
        order: 1,
      },
    },
    resources: { R1: { id: 'R1', name: 'Line one', order: 0 } },
    cells,
  };
}

function grid(data: PlanData, role: Role, mode: DisplayMode = 'units', layers: readonly LayerId[] = LAYER_IDS) {
  const calc = new PlanCalculator(data);
  const read = (root: ValueRoot, key: string) => data.cells[root][key];
  const columns = buildColumns(calc, data.meta.historyBuckets);
  const rows = buildRows(calc, data, { layers: new Set(layers), collapsed: new Set(), familyId: null, search: '', exceptionsOnly: false });
  const ctx = cellContext({ calc, read, catalog: data, role, meta: data.meta, mode });
  const cell = (rowId: string, columnId: string) => {
    const row = rows.find((r) => r.id === rowId) as ValueRow | undefined;
    const column = columns.find((c) => c.id === columnId);
    if (!row || !column) throw new Error(`no cell ${rowId} × ${columnId}`);
    return cellView(ctx, row, column);
  };
  return { calc, columns, rows, cell };
}

describe('buildColumns', () => {
  it('lays out history, horizon, one column per quarter and the horizon total', () => {
    const { columns } = grid(plan(), 'viewer');
    expect(columns.map((c) => `${c.kind}:${c.id}`)).toEqual([
      'history:2026-11',
      'history:2026-12',
      'horizon:2027-01',
      'horizon:2027-02',
      'horizon:2027-03',
      'horizon:2027-04',
      'quarter:2027-Q1',
      'quarter:2027-Q2',
      'total:horizon',
    ]);
  });
});

describe('buildRows', () => {
  it('groups SKUs under their family after the total, with resources last', () => {
    const { rows } = grid(plan(), 'viewer', 'units', ['sales', 'demand']);
    expect(rows.map((r) => r.id)).toEqual([
      'h:total',
      't:total:sales',
      't:total:demand',
      'h:f:F1',
      'f:F1:sales',
      'f:F1:demand',
      'p:P1:sales',
      'p:P1:demand',
      'p:P2:sales',
      'p:P2:demand',
      'h:resources',
      'r:R1:capacity',
      'r:R1:load',
      'r:R1:utilisation',
    ]);
  });

  it('keeps the roll-up of a collapsed family and hides its SKUs', () => {
    const data = plan();
    const calc = new PlanCalculator(data);
    const rows = buildRows(calc, data, {
      layers: new Set(['demand'] as const),
      collapsed: new Set(['F1']),
      familyId: null,
      search: '',
      exceptionsOnly: false,
    });
    expect(rows.some((r) => r.id === 'f:F1:demand')).toBe(true);
    expect(rows.some((r) => r.kind === 'product')).toBe(false);
  });

  it('filters SKUs by search and by exceptions', () => {
    const data = plan();
    const calc = new PlanCalculator(data);
    const options = { layers: new Set(['demand'] as const), collapsed: new Set<string>(), familyId: null };
    const found = buildRows(calc, data, { ...options, search: 'two', exceptionsOnly: false }).filter((r) => r.kind === 'product');
    expect(found.map((r) => r.id)).toEqual(['p:P2:demand']);
    // P1 runs out of stock (150 + 80 − 100 − 120 − 90 − 100 < 0); P2 has no demand after January.
    const exceptions = buildRows(calc, data, { ...options, search: '', exceptionsOnly: true }).filter((r) => r.kind === 'product');
    expect(exceptions.map((r) => r.id)).toEqual(['p:P1:demand']);
  });
});

describe('cellView', () => {
  it('lets each role edit the inputs of its sections at every level, never computed rows or history', () => {
    const sales = grid(plan(), 'sales');
    expect(sales.cell('p:P1:sales', '2027-01')).toMatchObject({ writeRoot: 'sales', edit: 'cell' });
    expect(sales.cell('p:P1:marketing', '2027-01').writeRoot).toBe('marketing');
    expect(sales.cell('p:P1:production', '2027-01').writeRoot).toBeUndefined();
    expect(sales.cell('p:P1:statistical', '2027-01').writeRoot).toBeUndefined();
    expect(sales.cell('p:P1:demand', '2027-01').writeRoot).toBeUndefined();
    // Quarters, the horizon, families and the total spread to the cells below them.
    expect(sales.cell('p:P1:sales', '2027-Q1')).toMatchObject({ writeRoot: 'sales', edit: 'spread' });
    expect(sales.cell('f:F1:sales', '2027-01')).toMatchObject({ root: 'sales', key: 'F1|2027-01', edit: 'spread' });
    expect(sales.cell('t:total:sales', 'horizon')).toMatchObject({ edit: 'spread' });
    expect(sales.cell('f:F1:demand', '2027-01').edit).toBeUndefined();
    expect(sales.cell('f:F1:price', '2027-01').edit).toBeUndefined();
    const finance = grid(plan(), 'finance');
    expect(finance.cell('p:P1:price', '2027-01')).toMatchObject({ writeRoot: 'prices', edit: 'cell', value: 2 });
    expect(finance.cell('f:F1:price', '2027-Q1')).toMatchObject({ writeRoot: 'prices', edit: 'scale' });
    expect(finance.cell('f:F1:budget', '2027-01')).toMatchObject({ writeRoot: 'budget', edit: 'cell' });
    expect(finance.cell('t:total:budget', '2027-01')).toMatchObject({ writeRoot: 'budget', edit: 'spread' });
    expect(sales.cell('p:P1:sales', '2026-12')).toMatchObject({ root: 'actuals', value: 95, writeRoot: undefined });

    const operations = grid(plan(), 'operations');
    expect(operations.cell('p:P1:sales', '2027-01').writeRoot).toBeUndefined();
    expect(operations.cell('p:P1:production', '2027-01').writeRoot).toBe('production');
    expect(operations.cell('r:R1:capacity', '2027-01').writeRoot).toBe('capacity');
    expect(operations.cell('r:R1:load', '2027-01').writeRoot).toBeUndefined();

    const viewer = grid(plan(), 'viewer');
    for (const row of viewer.rows) {
      if (row.kind === 'header') continue;
      for (const column of viewer.columns) expect(viewer.cell(row.id, column.id).writeRoot).toBeUndefined();
    }
  });

  it("adds up a family's and the total's actuals in history months, in units and in value, and never takes entries there", () => {
    const data = plan();
    Object.assign(data.cells.actuals, { 'P2|2026-12': 40, 'P2|2026-11': 7 });
    Object.assign(data.cells.consensus, { 'P2|2026-12': 44 });
    for (const role of ['sales', 'viewer'] as const) {
      const g = grid(data, role);
      expect(g.cell('f:F1:sales', '2026-12')).toMatchObject({ root: 'actuals', value: 135, text: '135', edit: undefined });
      expect(g.cell('f:F1:sales', '2026-12').writeRoot).toBeUndefined();
      expect(g.cell('f:F1:sales', '2026-12').title).toContain('Actual sales');
      expect(g.cell('t:total:sales', '2026-11')).toMatchObject({ value: 7 });
      // No actual production stored for any SKU: blank, not zero.
      expect(g.cell('f:F1:production', '2026-12').text).toBe('');
      // Layers without actuals stay blank at family level: their past cells are sparse overrides.
      expect(g.cell('f:F1:consensus', '2026-12').text).toBe('');
    }
    // In value mode each SKU's actuals are priced at its own price: 95 × 2 + 40 × 10.
    expect(grid(data, 'sales', 'value').cell('f:F1:sales', '2026-12').value).toBe(590);
  });

  it('closes a section once the cycle stage has moved past it', () => {
    const sales = grid(plan('supply-review'), 'sales');
    expect(sales.cell('p:P1:sales', '2027-01').writeRoot).toBeUndefined();
    expect(sales.cell('p:P1:sales', '2027-01').title).toMatch(/^Closed at the supply-review stage/);
    expect(grid(plan('supply-review'), 'operations').cell('p:P1:production', '2027-01').writeRoot).toBe('production');
  });

  it('marks overrides and says what lies underneath', () => {
    const { cell } = grid(plan(), 'sales');
    expect(cell('p:P1:sales', '2027-02')).toMatchObject({
      value: 120,
      overridden: true,
      title: 'Overrides the statistical baseline of 100',
    });
    expect(cell('p:P1:consensus', '2027-03')).toMatchObject({
      value: 90,
      overridden: true,
      title: 'Overrides statistical baseline demand of 100',
    });
    expect(cell('p:P1:demand', '2027-02')).toMatchObject({ value: 120, overridden: true });
    expect(cell('p:P1:demand', '2027-01')).toMatchObject({ value: 100, overridden: false });
    // An empty sales cell shows the statistical baseline it leaves in effect, greyed, without a stored value.
    expect(cell('p:P1:sales', '2027-01')).toMatchObject({ value: undefined, base: 100, inherited: true, text: '100' });
    // Family rows show the layer in effect summed over the family: 100 (statistical) + 50.
    expect(cell('f:F1:sales', '2027-01')).toMatchObject({ value: 150 });
    expect(cell('f:F1:consensus', '2027-03')).toMatchObject({ value: 90 });
    // A family's price is the volume-weighted average: (100 × 2 + 50 × 10) / 150.
    expect(cell('f:F1:price', '2027-01').value).toBeCloseTo(700 / 150, 10);
  });

  it('flags stock-outs and overloads', () => {
    const { cell } = grid(plan(), 'viewer');
    expect(cell('p:P1:projectedInventory', '2027-03')).toMatchObject({ value: -80, exception: 'stockout', negative: true });
    expect(cell('p:P1:projectedInventory', '2027-Q1').exception).toBe('stockout');
    // 130 units × 0.01 h = 1.3 h of load on 0.5 h of capacity.
    expect(cell('r:R1:utilisation', '2027-01')).toMatchObject({ exception: 'overload', text: '260%' });
    expect(cell('r:R1:capacity', '2027-01')).toMatchObject({ value: 0.5, exception: undefined });
  });

  it('sums inputs over a quarter and rolls up families', () => {
    const { cell } = grid(plan(), 'viewer');
    expect(cell('p:P1:statistical', '2027-Q1').value).toBe(300);
    expect(cell('p:P1:demand', 'horizon').value).toBe(410);
    expect(cell('f:F1:demand', '2027-01').value).toBe(150);
    expect(cell('t:total:production', '2027-01')).toMatchObject({ value: 130, text: '130' });
  });

  it('values quantities at their price in value mode, read-only', () => {
    const { cell } = grid(plan(), 'sales', 'value');
    expect(cell('p:P1:sales', '2027-02')).toMatchObject({ value: 240, text: '€240', writeRoot: undefined });
    expect(cell('f:F1:demand', '2027-01')).toMatchObject({ value: 100 * 2 + 50 * 10 });
    expect(cell('p:P1:daysOfCover', '2027-01').text).not.toContain('€');
  });
});

describe('stableCells', () => {
  it('keeps the previous objects of unchanged cells and returns a new array only when one changed', () => {
    const data = plan();
    const row = (g: ReturnType<typeof grid>) => g.rows.find((r) => r.id === 'p:P1:sales') as ValueRow;
    const before = grid(data, 'sales');
    const previous = before.columns.map((column) => cellView(cellContextOf(before, data), row(before), column));
    // Nothing changed: a fresh computation gives back the very same array.
    const again = before.columns.map((column) => cellView(cellContextOf(before, data), row(before), column));
    expect(again[0]).not.toBe(previous[0]);
    expect(stableCells(previous, again)).toBe(previous);

    // One cell edited: only that cell is a new object.
    const editedColumn = before.columns.findIndex((column) => column.kind === 'horizon');
    const key = previous[editedColumn]!.key;
    data.cells.sales[key] = 4321;
    const after = grid(data, 'sales');
    const next = stableCells(
      previous,
      after.columns.map((column) => cellView(cellContextOf(after, data), row(after), column)),
    );
    expect(next).not.toBe(previous);
    expect(next[editedColumn]).not.toBe(previous[editedColumn]);
    expect(next[editedColumn]!.value).toBe(4321);
    const unchanged = next.filter((cell, i) => cell === previous[i]).length;
    // The edited bucket, and the quarter and horizon totals that include it, changed.
    expect(unchanged).toBe(previous.length - 3);
    expect(stableCells(undefined, next)).toBe(next);
  });
});

function cellContextOf(g: ReturnType<typeof grid>, data: PlanData) {
  return cellContext({
    calc: g.calc,
    read: (root: ValueRoot, key: string) => data.cells[root][key],
    catalog: data,
    role: 'sales',
    meta: data.meta,
  });
}

describe('findCell', () => {
  it('finds the row and column of a cell named by data-root and data-key, and agrees with cellView', () => {
    const { rows, columns, cell } = grid(plan(), 'viewer');
    for (const [root, key] of [
      ['sales', 'P1|2027-02'],
      ['actuals', 'P1|2026-12'],
      ['projectedInventory', 'P2|2027-03'],
      ['demand', 'F1|2027-Q1'],
      ['capacity', 'R1|2027-01'],
      ['production', 'P1|horizon'],
    ] as const) {
      const found = findCell(rows, columns, { root, key });
      expect(found, `${root}:${key}`).not.toBeNull();
      const view = cell(found!.rowId, columns[found!.col]!.id);
      expect([view.root, view.key]).toEqual([root, key]);
    }
  });

  it('returns null for cells that are not shown', () => {
    const { rows, columns } = grid(plan(), 'viewer', 'units', ['sales']);
    expect(findCell(rows, columns, { root: 'production', key: 'P1|2027-01' })).toBeNull();
    expect(findCell(rows, columns, { root: 'sales', key: 'P9|2027-01' })).toBeNull();
    expect(findCell(rows, columns, { root: 'sales', key: 'P1|2030-01' })).toBeNull();
    expect(findCell(rows, columns, { root: 'sales', key: 'nonsense' })).toBeNull();
  });
});

describe('remoteMarks', () => {
  it('places each peer whose selected cell is in view on its row and column, stacking peers on one cell', () => {
    const data = plan();
    const g = grid(data, 'viewer');
    const ctx = cellContextOf(g, data);
    const salesRow = g.rows.findIndex((row) => row.id === 'p:P1:sales');
    const consensusRow = g.rows.findIndex((row) => row.id === 'p:P1:consensus');
    // In view: from the row before P1's sales row to the one after its consensus row, columns from the second on.
    const [start, end] = [Math.min(salesRow, consensusRow) - 1, Math.max(salesRow, consensusRow) + 2];
    const firstCol = 1;
    const visible: VisibleRow[] = g.rows.slice(start, end).map((row, offset) => ({
      row,
      index: start + offset,
      cells: row.kind === 'header' ? [] : g.columns.slice(firstCol).map((column) => cellView(ctx, row, column)),
      slot: offset,
    }));
    const places = cellPlaces(visible, firstCol);
    const feb = g.columns.findIndex((column) => column.id === '2027-02');
    const peer = (id: number, cursor: { root: string; key: string } | null) => ({ id, cursor });
    const peers = [
      peer(1, { root: 'sales', key: 'P1|2027-02' }),
      peer(2, null),
      peer(3, { root: 'sales', key: 'P1|2027-02' }),
      peer(4, { root: 'sales', key: 'P9|2027-02' }), // not in the plan
      peer(5, { root: 'consensus', key: 'P1|2027-02' }), // same key, another row
      peer(6, { root: 'sales', key: `P1|${g.columns[0]!.id}` }), // its column is scrolled out of view
    ];
    expect(remoteMarks(places, peers).map((mark) => [mark.peer.id, mark.index, mark.col, mark.stack])).toEqual([
      [1, salesRow, feb, 0],
      [3, salesRow, feb, 1],
      [5, consensusRow, feb, 0],
    ]);
    expect(remoteMarks(places, [peer(1, null)])).toEqual([]);
  });
});

describe('assignSlots', () => {
  it('keeps the slots of rows that stay and gives rows coming into view the freed ones', () => {
    const first = assignSlots(new Map(), ['a', 'b', 'c']);
    expect([...first]).toEqual([
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ]);
    // Scrolled down by two rows: d and e take the slots a and b left.
    const scrolled = assignSlots(first, ['c', 'd', 'e']);
    expect(Object.fromEntries(scrolled)).toEqual({ c: 2, d: 0, e: 1 });
    // A taller view adds slots after the highest one; no slot is ever shared.
    const taller = assignSlots(scrolled, ['c', 'd', 'e', 'f', 'g']);
    expect(Object.fromEntries(taller)).toEqual({ c: 2, d: 0, e: 1, f: 3, g: 4 });
    expect(new Set(taller.values()).size).toBe(taller.size);
  });
});

import { describe, expect, it } from 'vitest';
import { PlanCalculator, emptyCells, type PlanData, type ValueRoot } from '@accord/plan-calc';
import type { Role } from '@accord/protocol';
import { cellContext, cellView } from './cells.ts';
import { planEntries, planHolds, type EditTarget } from './edits.ts';
import { applyEntry, parseEntry } from './entry.ts';
import { editsWords, whyReadOnly } from './explain.ts';
import { LAYER_IDS } from './layers.ts';
import { buildColumns, buildRows, type ValueRow } from './layout.ts';

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

/** The grid's view of a plan for a role, and a way to name a cell by row id and column id. */
function grid(data: PlanData, role: Role) {
  const calc = new PlanCalculator(data);
  const read = (root: ValueRoot, key: string) => data.cells[root][key];
  const columns = buildColumns(calc, data.meta.historyBuckets);
  const rows = buildRows(calc, data, {
    layers: new Set(LAYER_IDS),
    collapsed: new Set(),
    familyId: null,
    search: '',
    exceptionsOnly: false,
  });
  const ctx = cellContext({ calc, read, catalog: data, role, meta: data.meta });
  const target = (rowId: string, columnId: string): EditTarget => {
    const row = rows.find((r) => r.id === rowId) as ValueRow;
    const column = columns.find((c) => c.id === columnId)!;
    return { row, column, cell: cellView(ctx, row, column) };
  };
  return { ctx, target };
}

describe('parseEntry', () => {
  it('reads values, changes and clears as a planner types them', () => {
    expect(parseEntry('31,500')).toEqual({ ok: true, entry: { kind: 'set', value: 31500 } });
    expect(parseEntry('=40000')).toEqual({ ok: true, entry: { kind: 'set', value: 40000 } });
    expect(parseEntry('=-200')).toEqual({ ok: true, entry: { kind: 'set', value: -200 } });
    expect(parseEntry('+5%')).toEqual({ ok: true, entry: { kind: 'scale', percent: 5 } });
    expect(parseEntry('-2.5 %')).toEqual({ ok: true, entry: { kind: 'scale', percent: -2.5 } });
    expect(parseEntry('-200')).toEqual({ ok: true, entry: { kind: 'add', delta: -200 } });
    expect(parseEntry('+1,000')).toEqual({ ok: true, entry: { kind: 'add', delta: 1000 } });
    expect(parseEntry('')).toEqual({ ok: true, entry: { kind: 'clear' } });
    expect(parseEntry('5%')).toMatchObject({ ok: false });
    expect(parseEntry('lots')).toMatchObject({ ok: false, message: expect.stringContaining('+5%') });
    expect(parseEntry('-100%')).toMatchObject({ ok: false });
  });

  it('applies a change to the value in effect, rounding what it computes', () => {
    expect(applyEntry({ kind: 'scale', percent: 5 }, 1001, 0)).toBe(1051);
    expect(applyEntry({ kind: 'scale', percent: 5 }, undefined, 0)).toBeUndefined();
    expect(applyEntry({ kind: 'add', delta: -200 }, undefined, 0)).toBe(-200);
    expect(applyEntry({ kind: 'clear' }, 5, 0)).toBeNull();
  });
});

describe('planEntries', () => {
  it('spreads an entry into a family cell and writes a change note in planner words', () => {
    const { ctx, target } = grid(plan(), 'sales');
    const outcome = planEntries(ctx, [{ target: target('f:F1:sales', '2027-01'), entry: { kind: 'set', value: 300 } }], 'typed');
    expect(outcome).toMatchObject({ ok: true });
    if (!outcome.ok) return;
    // 100 (statistical in effect) + 50 → 200 + 100.
    expect(outcome.edit.changes).toEqual([
      { root: 'sales', key: 'P1|2027-01', value: 200 },
      { root: 'sales', key: 'P2|2027-01', value: 100 },
    ]);
    expect(outcome.edit.note).toEqual({
      kind: 'spread',
      summary: 'Family one · Sales forecast · Jan 27: 150 → 300, spread by current values',
    });
    expect(outcome.edit.message).toBe('Spread over 2 cells by current values.');
  });

  it('writes a cell of its own directly, and a fill of several as one change', () => {
    const { ctx, target } = grid(plan(), 'sales');
    const one = planEntries(ctx, [{ target: target('p:P1:sales', '2027-01'), entry: { kind: 'scale', percent: 10 } }], 'typed');
    expect(one).toMatchObject({
      ok: true,
      edit: { changes: [{ root: 'sales', key: 'P1|2027-01', value: 110 }], note: { kind: 'adjusted' } },
    });
    const fill = planEntries(
      ctx,
      ['2027-01', '2027-02'].map((month) => ({ target: target('p:P2:sales', month), entry: { kind: 'set', value: 7 } as const })),
      'filled',
    );
    expect(fill).toMatchObject({ ok: true, edit: { note: { kind: 'filled' }, message: 'Filled 2 cells.' } });
  });

  it('refuses values out of bounds with the layer’s sentence, changing nothing', () => {
    const { ctx, target } = grid(plan(), 'sales');
    expect(planEntries(ctx, [{ target: target('p:P1:sales', '2027-01'), entry: { kind: 'set', value: -5 } }], 'typed')).toEqual({
      ok: false,
      message: 'Nothing changed: Sales forecast cannot be negative.',
    });
    expect(planEntries(ctx, [{ target: target('f:F1:sales', '2027-01'), entry: { kind: 'set', value: 2e12 } }], 'typed')).toMatchObject({
      ok: false,
      message: expect.stringContaining('at most 1,000,000,000'),
    });
  });

  it('scales a family price so the volume-weighted average is what was typed', () => {
    const { ctx, target } = grid(plan(), 'finance');
    const outcome = planEntries(ctx, [{ target: target('f:F1:price', '2027-01'), entry: { kind: 'scale', percent: 10 } }], 'typed');
    expect(outcome).toMatchObject({
      ok: true,
      edit: {
        changes: [
          { root: 'prices', key: 'P1|2027-01', value: 2.2 },
          { root: 'prices', key: 'P2|2027-01', value: 11 },
        ],
      },
    });
  });
});

describe('planHolds', () => {
  it('holds the cells under an aggregate, or whole rows, as one change; spreads then leave them alone', () => {
    const data = plan();
    const { ctx, target } = grid(data, 'sales');
    const cells = planHolds(ctx, [target('f:F1:sales', '2027-Q1')], true, false);
    expect(cells).toMatchObject({ ok: true, edit: { note: { kind: 'held' } } });
    if (cells.ok) expect(cells.edit.changes).toHaveLength(6);
    const rows = planHolds(ctx, [target('p:P1:sales', '2027-01')], true, true);
    expect(rows).toMatchObject({ ok: true, edit: { changes: [{ root: 'salesHolds', key: 'P1', value: 1 }] } });
    data.cells.salesHolds.P1 = 1;
    const after = grid(data, 'sales');
    expect(after.target('p:P1:sales', '2027-02').cell.held).toBe('all');
    expect(after.target('f:F1:sales', '2027-01').cell.held).toBe('some');
    const spread = planEntries(after.ctx, [{ target: after.target('f:F1:sales', '2027-01'), entry: { kind: 'set', value: 200 } }], 'typed');
    expect(spread).toMatchObject({ ok: true, edit: { changes: [{ key: 'P2|2027-01', value: 100 }] } });
    expect(planHolds(ctx, [target('p:P1:demand', '2027-01')], true, false)).toMatchObject({ ok: false });
  });
});

describe('editsWords', () => {
  it('says what each role changes in the grid, in the layers’ words', () => {
    expect(editsWords('finance')).toBe('edits Price, Unit cost and Budget');
    expect(editsWords('sales')).toBe('edits Sales forecast and Marketing uplift');
    expect(editsWords('operations')).toBe('edits Production and line capacity');
    expect(editsWords('leader')).toBe('edits Consensus');
    expect(editsWords('viewer')).toBe('');
    expect(editsWords('commenter')).toBe('');
  });
});

describe('whyReadOnly', () => {
  it('names who writes a layer, what closed it, and what is computed', () => {
    const data = plan();
    const { target } = grid(data, 'operations');
    const sales = target('p:P1:sales', '2027-01');
    expect(whyReadOnly({ role: 'operations', stage: 'demand-review' }, sales.row, sales.column, 'units')).toBe(
      'The sales forecast is written by sales planners; you are an operations planner, so you can read it and comment.',
    );
    const asLeader = grid(data, 'leader').target('p:P1:sales', '2027-01');
    expect(whyReadOnly({ role: 'leader', stage: 'demand-review' }, asLeader.row, asLeader.column, 'units')).toBe(
      'The sales forecast is written by sales planners; you are a leader, so you can read it and comment. To set the demand yourself, type it in the Consensus row.',
    );
    expect(
      whyReadOnly(
        { role: 'sales', stage: 'supply-review', stageOwners: { 'demand-review': 'Sam Sales' } },
        sales.row,
        sales.column,
        'units',
      ),
    ).toBe('The sales forecast closed when the demand review (owner Sam Sales) ended; now at supply review, only leaders change it.');
    const demand = target('p:P1:demand', '2027-01');
    expect(whyReadOnly({ role: 'sales', stage: 'demand-review' }, demand.row, demand.column, 'units')).toMatch(/^Demand is computed/);
    const history = target('p:P1:sales', '2026-12');
    expect(whyReadOnly({ role: 'sales', stage: 'demand-review' }, history.row, history.column, 'units')).toMatch(/is history/);
  });
});

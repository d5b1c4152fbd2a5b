import {
  HOLD_ROOT_OF,
  RATE_DECIMALS,
  AMOUNT_DECIMALS,
  isHeld,
  planScale,
  planSpread,
  unitDecimals,
  type CellChange,
  type HoldableRoot,
  type SpreadBasis,
  type SpreadProblem,
} from '@accord/plan-calc';
import { cellValueProblem, type ChangeNote } from '@accord/protocol';
import { counted, formatMonth, formatQuantity } from '../format.ts';
import { membersOf, spreadRows, type CellContext, type CellView } from './cells.ts';
import { applyEntry, describeEntry, isRelative, type Entry } from './entry.ts';
import { bucketsOf, layerLabel, type Column, type ValueRow } from './layout.ts';

/** A cell the planner acts on: its row, column and current view. */
export interface EditTarget {
  row: ValueRow;
  column: Column;
  cell: CellView;
}

/** An edit worked out: the cell writes (one transaction, one undo step), its change note and what to tell the planner. */
export interface PlannedEdit {
  changes: CellChange[];
  note: ChangeNote;
  /** A line for the grid's status message; null when the cell itself shows what happened. */
  message: string | null;
}

export type EditOutcome = { ok: true; edit: PlannedEdit } | { ok: false; message: string };

/** How the planner made the edit, for the change note. */
export type EditHow = 'typed' | 'filled' | 'pasted';

const BASIS_TEXT: Record<SpreadBasis | 'none', (root: HoldableRoot) => string> = {
  current: () => 'current values',
  overridden: (root) => (root === 'sales' ? 'the statistical baseline' : root === 'consensus' ? 'the layered demand' : 'demand'),
  'last-year': () => "last year's actuals",
  equal: () => 'equal shares',
  none: () => 'holds',
};

/** A product, family, total or line by name. */
export function rowName(ctx: Pick<CellContext, 'catalog'>, row: ValueRow): string {
  if (row.kind === 'product') return ctx.catalog.products[row.productId]?.name ?? row.productId;
  if (row.kind === 'resource') return ctx.catalog.resources[row.resourceId]?.name ?? row.resourceId;
  if (row.kind === 'total') return 'Total plan';
  return ctx.catalog.families[row.groupId]?.name ?? row.groupId;
}

/** A column in planner words: `Apr 27`, `Apr–Jun 27`, `Jan 27–Dec 29`. */
export function columnName(ctx: Pick<CellContext, 'calc'>, column: Column): string {
  if (column.kind === 'history' || column.kind === 'horizon') return column.label;
  const buckets = bucketsOf(ctx.calc, column);
  const first = buckets[0];
  const last = buckets.at(-1);
  if (!first || !last || !/^\d{4}-\d{2}$/.test(first)) return column.label;
  const [a, b] = [formatMonth(first), formatMonth(last)];
  return a.slice(-2) === b.slice(-2) ? `${a.slice(0, 3)}–${b}` : `${a}–${b}`;
}

/** "Sparkling Water · Sales forecast · Apr–Jun 27": where a cell is, as a planner says it. */
export function describeCell(ctx: Pick<CellContext, 'catalog' | 'calc'>, target: Pick<EditTarget, 'row' | 'column'>): string {
  return `${rowName(ctx, target.row)} · ${layerLabel(target.row)} · ${columnName(ctx, target.column)}`;
}

function decimalsOf(ctx: CellContext, root: HoldableRoot, rowId: string): number {
  if (root === 'prices' || root === 'costs') return RATE_DECIMALS;
  if (root === 'budget' || root === 'capacity') return AMOUNT_DECIMALS;
  return unitDecimals(ctx.catalog.products[rowId]?.unit ?? '');
}

function problemText(ctx: CellContext, target: EditTarget, problem: SpreadProblem, total: number): string {
  const where = describeCell(ctx, target);
  switch (problem.problem) {
    case 'all-held':
      return `Nothing changed: every cell under ${where} is held. Release a hold to change it.`;
    case 'held-exceed':
      return `Nothing changed: the held cells under ${where} already come to ${formatQuantity(problem.held)}, more than ${formatQuantity(total)}.`;
    case 'not-whole':
      return `Nothing changed: ${where} is planned in whole units; type a whole number.`;
  }
}

/**
 * Works out the writes of entries into cells, aggregate or not: a cell of its own is written, an
 * aggregate is spread (or, for a price or unit cost, scaled) by plan-calc's rules. All of it is
 * one change: any cell that cannot take its entry (bounds, holds) refuses the whole edit.
 */
export function planEntries(ctx: CellContext, items: readonly { target: EditTarget; entry: Entry }[], how: EditHow): EditOutcome {
  // The last write of a cell wins. By root, then key: a spread's keys are already hashed (the plan
  // was read by them), where a joined `root|key` would be a new string to hash for each of 18,000.
  const changes = new Map<HoldableRoot, Map<string, CellChange>>();
  const put = (change: CellChange) => {
    const root = change.root as HoldableRoot;
    let byKey = changes.get(root);
    if (!byKey) changes.set(root, (byKey = new Map()));
    byKey.set(change.key, change);
  };
  const summaries: string[] = [];
  let spreadCells = 0;
  let heldCells = 0;
  let skippedTotals = 0;
  let lastBasis: string | null = null;
  for (const { target, entry } of items) {
    const { cell, row, column } = target;
    const root = cell.writeRoot as HoldableRoot | undefined;
    if (!root || !cell.edit) continue;
    const rowIds = spreadRows(ctx, row);
    const decimals = decimalsOf(ctx, root, rowIds[0] ?? '');
    if (cell.edit === 'cell') {
      const value = applyEntry(entry, cell.base, decimals);
      if (value === undefined) continue;
      if (value === null && cell.value === undefined) continue;
      put({ root, key: cell.key, value });
      summaries.push(
        `${describeCell(ctx, target)}: ${cell.base === undefined ? '—' : formatQuantity(cell.base)} → ${value === null ? 'cleared' : formatQuantity(value)}`,
      );
      continue;
    }
    if (entry.kind === 'clear') {
      skippedTotals++;
      continue;
    }
    // Not rounded here: a spread rounds each cell to its step, a scaled rate to RATE_DECIMALS.
    const total = applyEntry(entry, cell.base ?? 0, 12);
    if (total === undefined || total === null) continue;
    const buckets = bucketsOf(ctx.calc, column);
    if (cell.edit === 'scale') {
      const plan = planScale(ctx.read, { root: root as 'prices' | 'costs', productIds: rowIds, buckets }, total);
      if (!plan.ok) return { ok: false, message: problemText(ctx, target, { problem: plan.problem, held: plan.held }, total) };
      for (const change of plan.changes) put(change);
      spreadCells += plan.cells - plan.held;
      heldCells += plan.held;
      const factor = plan.factor === null ? 'set alike' : `scaled ×${plan.factor.toFixed(3)}`;
      summaries.push(
        `${describeCell(ctx, target)}: ${plan.before === undefined ? '—' : plan.before.toFixed(2)} → ${total.toFixed(2)}, every SKU ${factor}`,
      );
      lastBasis = null;
      continue;
    }
    const plan = planSpread(
      {
        read: ctx.read,
        decimalsOf: (rowId) => decimalsOf(ctx, root, rowId),
        membersOf: (familyId) => membersOf(ctx, familyId).map((plan) => plan.productId),
        hasHolds: ctx.hasHolds,
      },
      { root: root as Exclude<HoldableRoot, 'prices' | 'costs'>, rowIds, buckets },
      total,
      { round: isRelative(entry) },
    );
    if (!plan.ok) return { ok: false, message: problemText(ctx, target, plan, total) };
    for (const change of plan.changes) put(change);
    spreadCells += plan.cells - plan.held;
    heldCells += plan.held;
    lastBasis = BASIS_TEXT[plan.basis](root);
    summaries.push(`${describeCell(ctx, target)}: ${formatQuantity(plan.before)} → ${formatQuantity(plan.after)}, spread by ${lastBasis}`);
  }
  const written: CellChange[] = [];
  for (const byKey of changes.values()) {
    for (const change of byKey.values()) {
      written.push(change);
      if (change.value === null) continue;
      const problem = cellValueProblem(change.root, change.value);
      if (problem) return { ok: false, message: `Nothing changed: ${problem}.` };
    }
  }
  const spread = spreadCells > 0;
  const relative = items.some((item) => isRelative(item.entry));
  const kind: ChangeNote['kind'] =
    how === 'pasted' ? 'pasted' : relative ? 'adjusted' : how === 'filled' ? 'filled' : spread ? 'spread' : 'typed';
  const first = items[0];
  let summary = summaries[0] ?? '';
  if (summaries.length > 1 && first) {
    const layers = [...new Set(items.map((item) => layerLabel(item.target.row)))].join(', ');
    const entries = [...new Set(items.map((item) => describeEntry(item.entry, formatQuantity)))];
    const verb = how === 'pasted' ? 'pasted' : relative ? 'adjusted by' : 'set to';
    summary = `${layers} · ${summaries.length} cells from ${describeCell(ctx, first.target)}: ${verb} ${entries.length === 1 ? entries[0] : 'several values'}${spread ? `, spread by ${lastBasis ?? 'current values'}` : ''}`;
  }
  const notes: string[] = [];
  if (spread) {
    notes.push(
      `Spread over ${counted(spreadCells, 'cell')}${lastBasis ? ` by ${lastBasis}` : ''}${heldCells > 0 ? `; ${counted(heldCells, 'held cell')} left alone` : ''}`,
    );
  } else if (items.length > 1)
    notes.push(`${how === 'pasted' ? 'Pasted' : relative ? 'Adjusted' : 'Filled'} ${counted(written.length, 'cell')}`);
  if (skippedTotals > 0)
    notes.push(`${counted(skippedTotals, 'total')} ${skippedTotals === 1 ? 'was' : 'were'} not cleared (type 0 to zero one)`);
  return {
    ok: true,
    edit: {
      changes: written,
      note: { kind, summary: summary.slice(0, 300) },
      message: notes.length > 0 ? `${notes.join('; ')}.` : null,
    },
  };
}

/**
 * Holds (or releases) the cells under the targets, or their whole rows: one change. Releasing a
 * cell of a held row releases the row.
 */
export function planHolds(ctx: CellContext, targets: readonly EditTarget[], hold: boolean, wholeRows: boolean): EditOutcome {
  const changes = new Map<string, CellChange>();
  let count = 0;
  for (const target of targets) {
    const root = target.cell.writeRoot as HoldableRoot | undefined;
    if (!root || !target.cell.edit || !Object.hasOwn(HOLD_ROOT_OF, root)) continue;
    const holds = HOLD_ROOT_OF[root];
    const rowIds = spreadRows(ctx, target.row);
    const buckets = target.column.kind === 'history' ? [] : bucketsOf(ctx.calc, target.column);
    for (const rowId of rowIds) {
      if (wholeRows) {
        if (hold === (ctx.read(holds, rowId) === undefined))
          changes.set(`${holds}\u0000${rowId}`, { root: holds, key: rowId, value: hold ? 1 : null });
        if (!hold)
          for (const bucket of ctx.calc.buckets)
            if (ctx.read(holds, `${rowId}|${bucket}`) !== undefined)
              changes.set(`${holds}\u0000${rowId}|${bucket}`, { root: holds, key: `${rowId}|${bucket}`, value: null });
        count++;
        continue;
      }
      for (const bucket of buckets) {
        const key = `${rowId}|${bucket}`;
        if (hold && !isHeld(ctx.read, root, rowId, bucket)) changes.set(`${holds}\u0000${key}`, { root: holds, key, value: 1 });
        if (!hold) {
          if (ctx.read(holds, key) !== undefined) changes.set(`${holds}\u0000${key}`, { root: holds, key, value: null });
          if (ctx.read(holds, rowId) !== undefined) changes.set(`${holds}\u0000${rowId}`, { root: holds, key: rowId, value: null });
        }
        count++;
      }
    }
  }
  if (changes.size === 0) {
    return {
      ok: false,
      message: hold
        ? 'Nothing to hold: select cells of a layer you may edit that are not held yet.'
        : 'Nothing to release: no held cells are selected.',
    };
  }
  const first = targets[0]!;
  const what = wholeRows ? counted(count, 'row') : counted(count, 'cell');
  const where = targets.length === 1 ? describeCell(ctx, first) : `${targets.length} selected cells from ${describeCell(ctx, first)}`;
  return {
    ok: true,
    edit: {
      changes: [...changes.values()],
      note: { kind: 'held', summary: `${hold ? 'Held' : 'Released'} ${where} (${what})`.slice(0, 300) },
      message: `${hold ? 'Held' : 'Released'} ${what}: spreads ${hold ? 'leave them alone' : 'may change them again'}.`,
    },
  };
}

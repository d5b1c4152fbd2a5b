import type { CellChangeView } from '@accord/protocol';
import { formatMoment } from './cycle.ts';

/**
 * A recorded change of a cell as the server sends it: with the change it was part of (`seq`), how
 * that change was made (`kind`) and its line in planner words (`summary`); history recorded before
 * changes were has none of them, and reads "edited".
 */
export type RecordedChange = Omit<CellChangeView, 'seq' | 'kind' | 'summary'> & {
  seq?: number | null;
  kind?: string | null;
  summary?: string | null;
};

/** How a change was made, in a planner's words. */
const KIND_WORDS: Readonly<Record<string, string>> = {
  typed: 'typed',
  pasted: 'pasted',
  filled: 'filled',
  adjusted: 'adjusted',
  spread: 'spread from a total',
  held: 'held',
  undone: 'undone',
  redone: 'redone',
  edited: 'edited',
  import: 'imported',
  baseline: 'baseline run',
  'baseline-restore': 'baseline restored',
  merge: 'scenario merge',
  cycle: 'cycle',
  decision: 'decision',
  snapshot: 'snapshot',
  'plan-setup': 'plan set-up',
};

/** How a change was made, in words ("typed", "scenario merge"); "edited" when not recorded. */
export function howWords(change: Pick<RecordedChange, 'kind'>): string {
  return KIND_WORDS[change.kind ?? 'edited'] ?? change.kind ?? 'edited';
}

const number = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 2 });

/**
 * old → new. A cell without a value says what applied then: an empty sales forecast is the
 * statistical forecast, an empty consensus the demand beneath it; any other empty cell is "empty".
 */
export function valueWords(change: Pick<RecordedChange, 'oldValue' | 'newValue'>, root?: string): string {
  const none = root === 'sales' ? 'statistical' : root === 'consensus' ? 'demand' : 'empty';
  const show = (value: number | null) => (value === null ? none : number.format(value));
  return `${show(change.oldValue)} → ${show(change.newValue)}`;
}

/** Who made a change: their name, or the server for changes nobody made by hand. */
export function whoWords(change: Pick<RecordedChange, 'userName' | 'userId'>): string {
  return change.userName ?? (change.userId ? 'a former member' : 'Accord (server)');
}

/** A group of changes made by one action: one person, one way, at one moment. */
export interface ChangeGroup {
  /** Stable key for lists. */
  id: string;
  who: string;
  how: string;
  at: string;
  summary: string | null;
  changes: RecordedChange[];
}

/**
 * Groups consecutive changes that one action made (newest or oldest first, as given): the same
 * change when the server says so (`seq`/`changeId`), otherwise the same person and way within
 * two seconds, which is how one paste or spread lands.
 */
export function groupChanges(changes: readonly RecordedChange[]): ChangeGroup[] {
  const groups: ChangeGroup[] = [];
  for (const change of changes) {
    const last = groups.at(-1);
    const previous = last?.changes.at(-1);
    const sameAction =
      previous !== undefined &&
      (change.seq != null && previous.seq != null
        ? change.seq === previous.seq
        : change.userId === previous.userId &&
          change.kind === previous.kind &&
          Math.abs(Date.parse(change.at) - Date.parse(previous.at)) <= 2_000);
    if (last && sameAction) last.changes.push(change);
    else
      groups.push({
        id: `${change.seq ?? change.at}:${change.root}:${change.key}`,
        who: whoWords(change),
        how: howWords(change),
        at: change.at,
        // A typed entry's line repeats the cell and its values; every other way says more (the spread's
        // total, the decision of a merge, the file of an import).
        summary: change.summary?.trim() && change.kind !== 'typed' ? change.summary : null,
        changes: [change],
      });
  }
  return groups;
}

/** The headline of a group: "Sofia Alvarez · pasted 12 cells · 2 Dec 2026, 14:05". */
export function groupHeadline(group: ChangeGroup): string {
  const count = group.changes.length;
  const what = count === 1 ? group.how : `${group.how} · ${count} cells`;
  return `${group.who} · ${what} · ${formatMoment(group.at)}`;
}

/** The latest change per cell (`root:key`), for marking cells. */
export function latestPerCell(changes: readonly RecordedChange[]): Map<string, RecordedChange> {
  const latest = new Map<string, RecordedChange>();
  for (const change of changes) {
    const id = `${change.root}:${change.key}`;
    const seen = latest.get(id);
    if (!seen || seen.at <= change.at) latest.set(id, change);
  }
  return latest;
}

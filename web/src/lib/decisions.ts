import { findCellBounds, type DecisionChangeView } from '@accord/protocol';
import { formatBucket } from './format.ts';
import { formatDay, formatMoment } from './cycle.ts';

const STATUS_WORDS: Record<string, string> = { open: 'open', 'in-progress': 'in progress', done: 'done', dropped: 'dropped' };

/** A linked cell as a planner reads it: `Alpine Sparkling 0.5 L · Feb 27 · Consensus demand`. */
export function cellLabel(cell: { root: string; key: string }, rowName: (rowId: string) => string): string {
  const bar = cell.key.lastIndexOf('|');
  const rowId = bar < 0 ? cell.key : cell.key.slice(0, bar);
  const bucket = bar < 0 ? null : cell.key.slice(bar + 1);
  const layer = findCellBounds(cell.root)?.label ?? cell.root;
  return [rowName(rowId), bucketWords(bucket), layer].join(' · ');
}

/** A cell key's bucket in words: `Feb 27`, `Q1 2027`, `whole horizon`, or `all months` for per-product values. */
function bucketWords(bucket: string | null): string {
  if (bucket === null) return 'all months';
  if (bucket === 'horizon') return 'whole horizon';
  const quarter = /^(\d{4})-Q([1-4])$/.exec(bucket);
  if (quarter) return `Q${quarter[2]} ${quarter[1]}`;
  return formatBucket(bucket);
}

/** One change of a decision in a sentence: who, when, what moved. */
export function historyLine(change: DecisionChangeView, names: ReadonlyMap<string, string> = new Map()): string {
  const when = formatMoment(change.changedAt);
  const parts = Object.entries(change.changes).map(([field, [before, after]]) => {
    switch (field) {
      case 'created':
        return 'recorded it';
      case 'status':
        return `moved it from ${STATUS_WORDS[String(before)] ?? String(before)} to ${STATUS_WORDS[String(after)] ?? String(after)}`;
      case 'ownerId':
        return `gave it to ${names.get(String(after)) ?? 'another owner'}`;
      case 'dueDate':
        return `moved the due date from ${formatDay(String(before))} to ${formatDay(String(after))}`;
      case 'title':
        return `renamed it “${String(after)}”`;
      case 'links':
        return 'changed what it links to';
      default:
        return `changed the ${field}`;
    }
  });
  return `${when}: ${change.changedByName} ${parts.join(', ')}.`;
}

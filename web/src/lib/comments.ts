/**
 * Pure helpers for comment threads and live decisions in the plan page: anchors ⇄ grid cells,
 * per-cell counts of open threads, @mention autocomplete and rendering. No Yjs, no DOM.
 */
import type { CommentAnchor, CommentThread } from '@accord/plan-model';
import { findCellBounds } from '@accord/protocol';
import { isBucket } from '@accord/plan-calc';
import { formatBucket } from './format.ts';
import { LAYERS } from './grid/layers.ts';

/** A grid cell as the grid names it: `data-root` and `data-key` (`<rowId>|<bucket>`). */
export interface CellRef {
  root: string;
  key: string;
}

/** `root:key`, the grid's lookup key for one cell. */
export const cellId = (cell: CellRef): string => `${cell.root}:${cell.key}`;

/** The anchor of a thread on one grid cell. */
export function cellAnchor(cell: CellRef): Extract<CommentAnchor, { type: 'cell' }> {
  const bar = cell.key.lastIndexOf('|');
  return { type: 'cell', rowId: cell.key.slice(0, bar), bucket: cell.key.slice(bar + 1), root: cell.root };
}

/** The grid cell a cell anchor points at; null for plan and row anchors. */
export function anchorCell(anchor: CommentAnchor): CellRef | null {
  return anchor.type === 'cell' ? { root: anchor.root, key: `${anchor.rowId}|${anchor.bucket}` } : null;
}

/** The entity id (product, family, resource, `total`) of a grid cell's key. */
export const rowIdOfKey = (key: string): string => key.slice(0, key.lastIndexOf('|'));

/** Parses the `cell` query parameter (`<root>:<rowId>|<bucket>`), as the inbox links write it. */
export function parseCellParam(value: string | null): CellRef | null {
  if (!value) return null;
  const colon = value.indexOf(':');
  if (colon <= 0) return null;
  const cell = { root: value.slice(0, colon), key: value.slice(colon + 1) };
  return cell.key.includes('|') && !cell.key.startsWith('|') && !cell.key.endsWith('|') ? cell : null;
}

/** Open threads per cell (`root:key` → count), for the grid's comment marks. */
export function openThreadCounts(threads: readonly CommentThread[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const thread of threads) {
    const cell = thread.resolved ? null : anchorCell(thread.anchor);
    if (cell) counts.set(cellId(cell), (counts.get(cellId(cell)) ?? 0) + 1);
  }
  return counts;
}

/** What the thread list shows: everything, or what concerns the selected cell or its row. */
export type ThreadFilter = 'all' | 'cell' | 'row';

/** Threads matching the filter for the selected cell (all of them when nothing is selected). */
export function filterThreads(
  threads: readonly CommentThread[],
  filter: ThreadFilter,
  selected: CellRef | null,
  showResolved: boolean,
): CommentThread[] {
  return threads.filter((thread) => {
    if (!showResolved && thread.resolved) return false;
    if (filter === 'all' || !selected) return true;
    const anchor = thread.anchor;
    if (filter === 'cell') return anchor.type === 'cell' && cellId(anchorCell(anchor)!) === cellId(selected);
    const rowId = rowIdOfKey(selected.key);
    return (anchor.type === 'cell' || anchor.type === 'row') && anchor.rowId === rowId;
  });
}

/** How a thread's anchor reads in the panel. */
export function describeAnchor(anchor: CommentAnchor, names: (rowId: string) => string = (id) => id): string {
  if (anchor.type === 'plan') return 'Whole plan';
  if (anchor.type === 'row') return names(anchor.rowId);
  // In the grid's words: "Alpine Sparkling 0.5 L · Sales forecast · Mar 27".
  const layer = Object.values(LAYERS).find((l) => l.input === anchor.root)?.label ?? findCellBounds(anchor.root)?.label ?? anchor.root;
  return `${names(anchor.rowId)} · ${layer} · ${isBucket(anchor.bucket) ? formatBucket(anchor.bucket) : anchor.bucket}`;
}

/** A member who can be mentioned. */
export interface Mentionable {
  userId: string;
  name: string;
}

/**
 * The `@query` being typed just before the caret, if any: `@` at the start or after a space, then
 * letters without a space or another `@`. `start` is the index of the `@`.
 */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([^\s@<>]{0,30})$/.exec(before);
  if (!match) return null;
  return { start: caret - match[2]!.length - 1, query: match[2]! };
}

/** Members a word of whose name starts with the query, whole-name matches first. */
export function suggestMembers(members: readonly Mentionable[], query: string, limit = 6): Mentionable[] {
  const q = query.toLowerCase();
  const score = (member: Mentionable): number => {
    const name = member.name.toLowerCase();
    if (name.startsWith(q)) return 0;
    return name.split(/\s+/).some((word) => word.startsWith(q)) ? 1 : -1;
  };
  return members
    .map((member) => ({ member, score: score(member) }))
    .filter(({ score }) => score >= 0)
    .sort((a, b) => a.score - b.score || a.member.name.localeCompare(b.member.name))
    .slice(0, limit)
    .map(({ member }) => member);
}

/**
 * Replaces the `@query` at `start` (up to the caret) with `@Name ` as the composer shows it;
 * returns the text and the new caret. `toStoredText` turns it into `<@userId>` on sending.
 */
export function insertMention(text: string, start: number, caret: number, name: string): { text: string; caret: number } {
  const rest = text.slice(caret);
  // One space after the name: the one already there, else a new one; the caret goes past it.
  const token = /^\s/.test(rest) ? `@${name}` : `@${name} `;
  return { text: text.slice(0, start) + token + rest, caret: start + `@${name} `.length };
}

/** The composer's text with each `@Name` of a picked member stored as `<@userId>` (longest names first). */
export function toStoredText(text: string, picked: readonly Mentionable[]): string {
  let out = text;
  for (const member of [...picked].sort((a, b) => b.name.length - a.name.length)) {
    out = out.split(`@${member.name}`).join(`<@${member.userId}>`);
  }
  return out;
}

/** A stored text as the composer shows it (`@Name`), with the members it mentions, for editing. */
export function toDisplayText(text: string, names: ReadonlyMap<string, string>): { text: string; picked: Mentionable[] } {
  const picked: Mentionable[] = [];
  const display = text.replace(/<@([A-Za-z0-9_-]{1,64})>/g, (whole, userId: string) => {
    const name = names.get(userId);
    if (!name) return whole;
    if (!picked.some((m) => m.userId === userId)) picked.push({ userId, name });
    return `@${name}`;
  });
  return { text: display, picked };
}

/** A message's text in pieces, mentions apart, so the view can style `@Name` without raw HTML. */
export type TextPart = { kind: 'text'; text: string } | { kind: 'mention'; userId: string; name: string };

export function messageParts(text: string, names: ReadonlyMap<string, string>): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(/<@([A-Za-z0-9_-]{1,64})>/g)) {
    if (match.index > last) parts.push({ kind: 'text', text: text.slice(last, match.index) });
    parts.push({ kind: 'mention', userId: match[1]!, name: names.get(match[1]!) ?? 'someone' });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

/** A decision as mirrored into the document's `decisions` root. */
export interface LiveDecision {
  id: string;
  title: string;
  rationale: string;
  owner: { id: string; name: string };
  dueDate: string;
  status: string;
  links: { cells: CellRef[] };
  decidedBy: { id: string; name: string } | null;
  decidedAt: string;
  overdue: boolean;
}

/** Reads one mirrored decision (a plain object from `Y.Map.toJSON()`), tolerating missing fields. */
export function toLiveDecision(id: string, raw: Record<string, unknown>, today: string): LiveDecision {
  const str = (value: unknown) => (typeof value === 'string' ? value : '');
  const person = (value: unknown) => {
    const v = value as { id?: unknown; name?: unknown } | null | undefined;
    return v && typeof v.id === 'string' ? { id: v.id, name: typeof v.name === 'string' ? v.name : v.id } : null;
  };
  const status = str(raw.status) || 'open';
  const dueDate = str(raw.dueDate);
  const links = raw.links as { cells?: unknown } | undefined;
  const cells = Array.isArray(links?.cells)
    ? (links.cells as unknown[]).filter(
        (c): c is CellRef => typeof (c as CellRef | null)?.root === 'string' && typeof (c as CellRef).key === 'string',
      )
    : [];
  return {
    id,
    title: str(raw.title),
    rationale: str(raw.rationale),
    owner: person(raw.owner) ?? { id: '', name: 'nobody' },
    dueDate,
    status,
    links: { cells },
    decidedBy: person(raw.decidedBy),
    decidedAt: str(raw.decidedAt),
    overdue: status !== 'done' && status !== 'dropped' && dueDate !== '' && dueDate < today,
  };
}

/** Decisions in the order the panel lists them: open ones by due date, then closed ones. */
export function sortDecisions(decisions: LiveDecision[]): LiveDecision[] {
  const closed = (d: LiveDecision) => (d.status === 'done' || d.status === 'dropped' ? 1 : 0);
  return [...decisions].sort((a, b) => closed(a) - closed(b) || a.dueDate.localeCompare(b.dueDate) || a.title.localeCompare(b.title));
}

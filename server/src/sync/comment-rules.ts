import { MESSAGE_EDITABLE_FIELDS, THREAD_FIELDS } from '@accord/plan-model';

// A message is a note in a meeting, not a document: 10,000 characters is several pages.
export const MAX_MESSAGE_CHARS = 10_000;
const ANCHOR_TYPES = new Set(['plan', 'row', 'cell']);
// Offline edits may arrive hours late, but a message from the future would sort first and stay
// "unread" in inboxes: allow five minutes of clock skew.
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** Thread fields anyone who may comment changes after the thread exists (resolving, reopening). */
export const RESOLUTION_FIELDS: readonly (string | null)[] = THREAD_FIELDS.resolution;
/** Message fields its author changes after writing it. */
export const EDITABLE_MESSAGE_FIELDS: readonly (string | null)[] = MESSAGE_EDITABLE_FIELDS;

/** A map as the comment rules read it: a Y.Map of the document, or one an update is creating. */
export interface MapView {
  readonly kind: 'map';
  get(key: string): unknown;
}

/** A list as the comment rules read it. */
export interface ListView {
  readonly kind: 'list';
  toArray(): unknown[];
}

const isMap = (value: unknown): value is MapView => (value as MapView | undefined)?.kind === 'map';
const isList = (value: unknown): value is ListView => (value as ListView | undefined)?.kind === 'list';

/**
 * Why a new comment thread breaks the authorship rules (DESIGN.md §4: "comment authorship equals
 * the sender"), or undefined: created by the sender, anchored to the plan, a row or a cell, with a
 * creation time and at least one message, every message valid, not already resolved. The layout
 * is plan-model's (`THREAD_FIELDS`).
 */
export function commentThreadProblem(thread: MapView, userId: string): string | undefined {
  if (thread.get('createdBy') !== userId) return 'a thread must be created by the sender';
  const anchor = thread.get('anchor') as { type?: unknown } | undefined;
  if (typeof anchor !== 'object' || anchor === null || !ANCHOR_TYPES.has(String(anchor.type)))
    return 'a thread needs a plan, row or cell anchor';
  if (typeof thread.get('createdAt') !== 'string') return 'a thread needs createdAt';
  const messages = thread.get('messages');
  if (!isList(messages)) return 'a thread starts with a message';
  const list = messages.toArray();
  if (list.length === 0) return 'a thread starts with a message';
  for (const message of list) {
    if (!isMap(message)) return 'a comment message must be a map';
    const problem = commentMessageProblem(message, userId);
    if (problem) return problem;
  }
  if (thread.get('resolved') === true) return 'a new thread cannot be resolved';
  return undefined;
}

/** Why a new message breaks the rules (author, id, text, a creation time not in the future), or undefined. */
export function commentMessageProblem(message: MapView, userId: string): string | undefined {
  if (message.get('author') !== userId) return 'a message must carry the sender as author';
  const text = message.get('text');
  if (typeof message.get('id') !== 'string' || typeof text !== 'string' || typeof message.get('createdAt') !== 'string') {
    return 'a message needs id, text and createdAt';
  }
  if (text.length > MAX_MESSAGE_CHARS) return `message text must be at most ${MAX_MESSAGE_CHARS} characters`;
  const createdAt = Date.parse(message.get('createdAt') as string);
  if (!Number.isFinite(createdAt) || createdAt > Date.now() + MAX_CLOCK_SKEW_MS) return 'message createdAt must be a time that has passed';
  return undefined;
}

import * as Y from 'yjs';
import { MESSAGE_EDITABLE_FIELDS, THREAD_FIELDS } from '@accord/plan-model';

// A message is a note in a meeting, not a document: 10,000 characters is several pages.
const MAX_MESSAGE_CHARS = 10_000;
const ANCHOR_TYPES = new Set(['plan', 'row', 'cell']);

/**
 * Checks what one transaction did under the `comments` root against the authorship rules:
 * a new thread and every new message carry the sender as author; only the author edits or
 * deletes (marks) a message; anyone who may comment resolves or reopens a thread; nothing under
 * `comments` is ever removed or replaced, so authorship stays checkable. Returns the reason of
 * the first violation, or undefined.
 */
export function commentViolation(doc: Y.Doc, tr: Y.Transaction, userId: string): string | undefined {
  const root = doc.getMap<Y.Map<unknown>>('comments');
  const isNew = (item: Y.Item | null) => item !== null && item.id.clock >= (tr.beforeState.get(item.id.client) ?? 0);
  const depthOf = (type: Y.AbstractType<unknown>): number => {
    let depth = 0;
    for (let t = type; t !== (root as unknown); t = t._item!.parent as Y.AbstractType<unknown>) {
      if (t._item === null) return -1;
      depth++;
    }
    return depth;
  };

  let violation: string | undefined;
  Y.iterateDeletedStructs(tr, tr.deleteSet, (struct) => {
    if (violation || !(struct instanceof Y.Item) || isNew(struct)) return;
    const parent = struct.parent as Y.AbstractType<unknown>;
    const depth = depthOf(parent);
    if (depth < 0) return;
    if (depth === 0) violation = 'comment threads cannot be removed or replaced';
    else if (struct.parentSub === null) violation = 'comment messages cannot be removed; mark them deleted';
  });
  if (violation) return violation;

  for (const [type, keys] of tr.changed) {
    const depth = depthOf(type as Y.AbstractType<unknown>);
    if (depth < 0) continue;
    if (depth === 0) {
      for (const key of keys) {
        const thread = root.get(key!);
        if (!(thread instanceof Y.Map) || !isNew(thread._item)) return 'a comment thread must be a new map';
        const reason = newThreadViolation(thread, userId);
        if (reason) return reason;
      }
    } else if (depth === 1) {
      if (isNew(type._item)) continue; // checked whole as a new thread
      const thread = type as unknown as Y.Map<unknown>;
      for (const key of keys) {
        if (!(THREAD_FIELDS.resolution as readonly (string | null)[]).includes(key)) return `thread field ${key} cannot be changed`;
      }
      if (keys.has('resolvedBy') && thread.get('resolvedBy') !== userId) return 'resolvedBy must be the sender';
    } else if (depth === 2) {
      if (isNew(type._item)) continue;
      for (const message of (type as Y.Array<unknown>).toArray()) {
        if (message instanceof Y.Map && isNew(message._item)) {
          const reason = messageViolation(message, userId);
          if (reason) return reason;
        } else if (!(message instanceof Y.Map)) return 'a comment message must be a map';
      }
    } else if (depth === 3) {
      if (isNew(type._item)) continue;
      const message = type as unknown as Y.Map<unknown>;
      if (message.get('author') !== userId) return 'only its author can edit or delete a message';
      for (const key of keys) {
        if (!(MESSAGE_EDITABLE_FIELDS as readonly (string | null)[]).includes(key)) return `message field ${key} cannot be changed`;
      }
      if (typeof message.get('text') !== 'string' || (message.get('text') as string).length > MAX_MESSAGE_CHARS) {
        return `message text must be at most ${MAX_MESSAGE_CHARS} characters`;
      }
    } else {
      return 'unexpected structure under comments';
    }
  }
  return undefined;
}

function newThreadViolation(thread: Y.Map<unknown>, userId: string): string | undefined {
  if (thread.get('createdBy') !== userId) return 'a thread must be created by the sender';
  const anchor = thread.get('anchor') as { type?: unknown } | undefined;
  if (typeof anchor !== 'object' || anchor === null || !ANCHOR_TYPES.has(String(anchor.type)))
    return 'a thread needs a plan, row or cell anchor';
  if (typeof thread.get('createdAt') !== 'string') return 'a thread needs createdAt';
  const messages = thread.get('messages');
  if (!(messages instanceof Y.Array) || messages.length === 0) return 'a thread starts with a message';
  for (const message of messages.toArray()) {
    if (!(message instanceof Y.Map)) return 'a comment message must be a map';
    const reason = messageViolation(message, userId);
    if (reason) return reason;
  }
  if (thread.get('resolved') === true) return 'a new thread cannot be resolved';
  return undefined;
}

function messageViolation(message: Y.Map<unknown>, userId: string): string | undefined {
  if (message.get('author') !== userId) return 'a message must carry the sender as author';
  const text = message.get('text');
  if (typeof message.get('id') !== 'string' || typeof text !== 'string' || typeof message.get('createdAt') !== 'string') {
    return 'a message needs id, text and createdAt';
  }
  if (text.length > MAX_MESSAGE_CHARS) return `message text must be at most ${MAX_MESSAGE_CHARS} characters`;
  // Offline edits may arrive hours late, but a message from the future would sort first and stay
  // "unread" in inboxes: allow five minutes of clock skew.
  const createdAt = Date.parse(message.get('createdAt') as string);
  if (!Number.isFinite(createdAt) || createdAt > Date.now() + 5 * 60_000) return 'message createdAt must be a time that has passed';
  return undefined;
}

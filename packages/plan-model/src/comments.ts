import * as Y from 'yjs';

/** Where a thread is attached: the whole plan, a row (product or resource), or one cell of a layer. */
export type CommentAnchor =
  { type: 'plan' } | { type: 'row'; rowId: string } | { type: 'cell'; rowId: string; bucket: string; root: string };

/** One message of a thread. Deleting keeps the entry (with no text) so replies keep their context. */
export interface CommentMessage {
  id: string;
  author: string;
  text: string;
  createdAt: string;
  editedAt?: string;
  deleted?: boolean;
}

/** A comment thread as plain data. */
export interface CommentThread {
  id: string;
  anchor: CommentAnchor;
  createdBy: string;
  createdAt: string;
  resolved: boolean;
  resolvedBy?: string;
  resolvedAt?: string;
  messages: CommentMessage[];
}

/**
 * Layout of the `comments` root, which the server's guard relies on: thread id → Y.Map with the
 * fields below and `messages`, a Y.Array of Y.Maps (one per message). Threads and messages are
 * never removed from the array, only marked, so authorship can always be checked.
 */
export const THREAD_FIELDS = {
  /** Set once, by the author of the thread. */
  creation: ['anchor', 'createdBy', 'createdAt', 'messages'],
  /** Resolving and reopening: any member who may comment. */
  resolution: ['resolved', 'resolvedBy', 'resolvedAt'],
} as const;
/** Fields of a message map its author may change after creating it. */
export const MESSAGE_EDITABLE_FIELDS = ['text', 'editedAt', 'deleted'] as const;

function threads(doc: Y.Doc): Y.Map<Y.Map<unknown>> {
  return doc.getMap<Y.Map<unknown>>('comments');
}

function messageMap(message: CommentMessage): Y.Map<unknown> {
  const map = new Y.Map<unknown>();
  for (const [field, value] of Object.entries(message)) if (value !== undefined) map.set(field, value);
  return map;
}

function getThread(doc: Y.Doc, threadId: string): Y.Map<unknown> {
  const thread = threads(doc).get(threadId);
  if (!(thread instanceof Y.Map)) throw new Error(`no comment thread ${threadId}`);
  return thread;
}

function getMessage(doc: Y.Doc, threadId: string, messageId: string): Y.Map<unknown> {
  const messages = getThread(doc, threadId).get('messages') as Y.Array<Y.Map<unknown>>;
  const message = messages.toArray().find((m) => m.get('id') === messageId);
  if (!message) throw new Error(`no message ${messageId} in thread ${threadId}`);
  return message;
}

/** Starts a thread with its first message. */
export function createThread(
  doc: Y.Doc,
  input: { id: string; anchor: CommentAnchor; author: string; text: string; messageId: string; now: string },
  origin?: unknown,
): void {
  doc.transact(() => {
    const thread = new Y.Map<unknown>();
    thread.set('anchor', input.anchor);
    thread.set('createdBy', input.author);
    thread.set('createdAt', input.now);
    thread.set('resolved', false);
    const messages = new Y.Array<Y.Map<unknown>>();
    messages.push([messageMap({ id: input.messageId, author: input.author, text: input.text, createdAt: input.now })]);
    thread.set('messages', messages);
    threads(doc).set(input.id, thread);
  }, origin);
}

/** Adds a reply at the end of a thread. */
export function replyToThread(doc: Y.Doc, threadId: string, message: Omit<CommentMessage, 'editedAt' | 'deleted'>, origin?: unknown): void {
  doc.transact(() => (getThread(doc, threadId).get('messages') as Y.Array<Y.Map<unknown>>).push([messageMap(message)]), origin);
}

/** Replaces the text of one's own message. */
export function editMessage(doc: Y.Doc, threadId: string, messageId: string, text: string, now: string, origin?: unknown): void {
  doc.transact(() => {
    const message = getMessage(doc, threadId, messageId);
    message.set('text', text);
    message.set('editedAt', now);
  }, origin);
}

/** Deletes one's own message: its text is cleared and it is marked deleted. */
export function deleteMessage(doc: Y.Doc, threadId: string, messageId: string, now: string, origin?: unknown): void {
  doc.transact(() => {
    const message = getMessage(doc, threadId, messageId);
    message.set('text', '');
    message.set('deleted', true);
    message.set('editedAt', now);
  }, origin);
}

/** Resolves or reopens a thread. */
export function setThreadResolved(doc: Y.Doc, threadId: string, resolved: boolean, by: string, now: string, origin?: unknown): void {
  doc.transact(() => {
    const thread = getThread(doc, threadId);
    thread.set('resolved', resolved);
    thread.set('resolvedBy', by);
    thread.set('resolvedAt', now);
  }, origin);
}

/** Every thread as plain data, oldest first. */
export function readThreads(doc: Y.Doc): CommentThread[] {
  const out: CommentThread[] = [];
  threads(doc).forEach((thread, id) => {
    if (!(thread instanceof Y.Map)) return;
    const json = thread.toJSON() as Omit<CommentThread, 'id'>;
    out.push({ ...json, id, messages: json.messages ?? [] });
  });
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

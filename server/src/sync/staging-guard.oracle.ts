/**
 * The update guard as it was before the sync-core rework, hardened with the rules of issue #14,
 * kept only as the oracle of the differential test (update-guard.diff.test.ts): it applies the
 * update to a staging copy of the document and judges what the transaction did. `judgeUpdate`
 * must give the same verdict without the copy. Not used by the server.
 */
import * as Y from 'yjs';
import { canWriteAtStage, cellValueProblem } from '@accord/protocol';
import { ROOTS, sectionOfRoot, type RootName } from '@accord/plan-model';
import {
  commentMessageProblem,
  commentThreadProblem,
  EDITABLE_MESSAGE_FIELDS,
  MAX_MESSAGE_CHARS,
  RESOLUTION_FIELDS,
  type ListView,
  type MapView,
} from './comment-rules.ts';
import { MAX_KEY_LENGTH, SERVER_META_KEYS, type ClientOwners, type GuardVerdict, type Sender } from './update-guard.ts';

/** An empty document with every plan root typed as a Y.Map (as the room's documents are). */
export function newStagingDoc(gc = true): Y.Doc {
  const doc = new Y.Doc({ gc });
  for (const name of Object.keys(ROOTS)) doc.getMap(name);
  return doc;
}

/** A staging copy of a document. */
export function cloneDoc(live: Y.Doc): Y.Doc {
  const copy = newStagingDoc(live.gc);
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(live));
  return copy;
}

function rootOf(doc: Y.Doc, type: Y.AbstractType<unknown>): { root: string; depth: number } {
  let top = type;
  let depth = 0;
  while (top._item !== null) {
    top = top._item.parent as Y.AbstractType<unknown>;
    depth++;
  }
  for (const [name, shared] of doc.share) if (shared === top) return { root: name, depth };
  return { root: '?', depth };
}

/** A Y.Map or Y.Array of the staging copy as the comment rules read it. */
function viewOf(value: unknown): unknown {
  if (value instanceof Y.Map) return { kind: 'map', get: (key: string) => viewOf(value.get(key)) } satisfies MapView;
  if (value instanceof Y.Array) return { kind: 'list', toArray: () => value.toArray().map(viewOf) } satisfies ListView;
  return value;
}

class Refused extends Error {
  readonly verdict: Exclude<GuardVerdict, { type: 'accepted' }>;
  constructor(verdict: Exclude<GuardVerdict, { type: 'accepted' }>) {
    super(verdict.reason);
    this.verdict = verdict;
  }
}

/**
 * Applies `update` to `staging` and judges what it did. After any verdict but `accepted` the
 * staging copy holds the refused change and must be thrown away.
 */
export function applyToStaging(staging: Y.Doc, update: Uint8Array, sender: Sender, owners: ClientOwners): GuardVerdict {
  let judged: GuardVerdict | undefined;
  // Judged inside the transaction's end, before Yjs garbage-collects what it deleted.
  const judge = (tr: Y.Transaction) => (judged = judgeTransaction(staging, tr, update, sender, owners));
  staging.on('afterTransaction', judge);
  try {
    Y.applyUpdate(staging, update);
  } catch (e: unknown) {
    return { type: 'invalid', reason: `not a Yjs update (${e instanceof Error ? e.message : String(e)})` };
  } finally {
    staging.off('afterTransaction', judge);
  }
  if (staging.store.pendingStructs !== null || staging.store.pendingDs !== null) {
    return { type: 'pending', reason: 'update depends on changes the server does not have' };
  }
  return judged ?? { type: 'accepted', changed: false, roots: [], cells: [], newClients: [] };
}

function judgeTransaction(staging: Y.Doc, tr: Y.Transaction, update: Uint8Array, sender: Sender, owners: ClientOwners): GuardVerdict {
  const { role, userId, stage } = sender;
  const roots = new Set<string>();
  const cells = new Map<string, { root: string; key: string }>();
  const newClients: number[] = [];
  const section = (root: string) => {
    const s = sectionOfRoot(root);
    if (s === undefined) throw new Refused({ type: 'forbidden', reason: `${root} is not part of a plan` });
    if (!canWriteAtStage(role, s, stage)) throw new Refused({ type: 'forbidden', reason: `role ${role} may not change ${root}` });
    roots.add(root);
  };
  try {
    // Ownership and the new structs of each client whose clock moved.
    const gcClients = new Set<number>();
    const writing = new Set<number>();
    for (const [client, after] of tr.afterState) {
      const before = tr.beforeState.get(client) ?? 0;
      if (after === before) continue;
      const owner = owners(client);
      if (owner !== undefined && owner !== userId) throw new Refused({ type: 'forbidden', reason: `client ${client} is another user's` });
      if (owner === undefined && before > 0) throw new Refused({ type: 'forbidden', reason: `client ${client} is in use` });
      if (owner === undefined) newClients.push(client);
      const structs = staging.store.clients.get(client)!;
      for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
        const struct = structs[i]!;
        if (!(struct instanceof Y.Item)) {
          gcClients.add(client);
          continue;
        }
        const { root, depth } = rootOf(staging, struct.parent as Y.AbstractType<unknown>);
        section(root);
        writing.add(client);
        const content = struct.content;
        if (content instanceof Y.ContentDoc || content instanceof Y.ContentFormat || content instanceof Y.ContentEmbed)
          throw new Refused({ type: 'invalid', reason: 'unexpected content' });
        if (content instanceof Y.ContentType && !(content.type instanceof Y.Map || content.type instanceof Y.Array))
          throw new Refused({ type: 'invalid', reason: 'maps and lists only' });
        if (depth === 0 && struct.parentSub === null) throw new Refused({ type: 'invalid', reason: 'list content under a root' });
        if (depth === 0 && ROOTS[root as RootName].kind === 'value') {
          const key = struct.parentSub!;
          if (key.length > MAX_KEY_LENGTH) throw new Refused({ type: 'invalid', reason: 'long key' });
          if (!(content instanceof Y.ContentDeleted)) {
            const values = content instanceof Y.ContentAny ? content.getContent() : [];
            if (values.length !== 1 || cellValueProblem(root, values[0]) !== undefined)
              throw new Refused({ type: 'invalid', reason: `${root} cells hold numbers in range` });
          }
          cells.set(`${root}|${key}`, { root, key });
        }
        if (root === 'meta' && depth === 0 && SERVER_META_KEYS.has(struct.parentSub!))
          throw new Refused({ type: 'forbidden', reason: 'server meta key' });
      }
    }
    for (const client of gcClients) {
      if (!writing.has(client) && owners(client) !== userId) throw new Refused({ type: 'forbidden', reason: 'GC without items' });
    }
    // Deletions of items that existed before.
    Y.iterateDeletedStructs(tr, tr.deleteSet, (struct) => {
      if (!(struct instanceof Y.Item) || struct.id.clock >= (tr.beforeState.get(struct.id.client) ?? 0)) return;
      const { root, depth } = rootOf(staging, struct.parent as Y.AbstractType<unknown>);
      section(root);
      if (depth === 0 && struct.parentSub !== null && ROOTS[root as RootName]?.kind === 'value')
        cells.set(`${root}|${struct.parentSub}`, { root, key: struct.parentSub });
      if (root === 'meta' && depth === 0 && struct.parentSub !== null && SERVER_META_KEYS.has(struct.parentSub))
        throw new Refused({ type: 'forbidden', reason: 'server meta key' });
    });
    const problem = commentViolation(staging, tr, userId, update);
    if (problem) throw new Refused({ type: 'forbidden', reason: problem });
  } catch (e: unknown) {
    if (e instanceof Refused) return e.verdict;
    throw e;
  }
  let changed = tr.deleteSet.clients.size > 0;
  for (const [client, clock] of tr.afterState) if ((tr.beforeState.get(client) ?? 0) !== clock) changed = true;
  return {
    type: 'accepted',
    changed,
    roots: [...roots],
    cells: [...cells.values()].map(({ root, key }) => ({ root, key, value: numberOrNull(staging.getMap(root).get(key)) })),
    newClients,
  };
}

/**
 * What one transaction did under `comments`, against the authorship rules: a new thread and every
 * new message carry the sender as author; only the author edits or deletes (marks) a message;
 * anyone who may comment resolves or reopens a thread; nothing under `comments` is removed.
 */
function commentViolation(doc: Y.Doc, tr: Y.Transaction, userId: string, update: Uint8Array): string | undefined {
  const { ds } = Y.decodeUpdate(update);
  const removed = (item: Y.Item) =>
    (ds.clients.get(item.id.client) ?? []).some((r) => r.clock <= item.id.clock && item.id.clock < r.clock + r.len);
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
    const depth = depthOf(struct.parent as Y.AbstractType<unknown>);
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
        const reason = commentThreadProblem(viewOf(thread) as MapView, userId);
        if (reason) return reason;
      }
    } else if (depth === 1) {
      if (isNew(type._item)) continue;
      for (const key of keys) if (!RESOLUTION_FIELDS.includes(key)) return `thread field ${key} cannot be changed`;
      if (keys.has('resolvedBy') && writtenValue(tr, type as Y.AbstractType<unknown>, 'resolvedBy', removed) !== userId)
        return 'resolvedBy must be the sender';
    } else if (depth === 2) {
      if (isNew(type._item)) continue;
      for (const message of (type as Y.Array<unknown>).toArray()) {
        if (message instanceof Y.Map && isNew(message._item)) {
          const reason = commentMessageProblem(viewOf(message) as MapView, userId);
          if (reason) return reason;
        } else if (!(message instanceof Y.Map)) return 'a comment message must be a map';
      }
    } else if (depth === 3) {
      if (isNew(type._item)) continue;
      const message = type as unknown as Y.Map<unknown>;
      if (message.get('author') !== userId) return 'only its author can edit or delete a message';
      for (const key of keys) if (!EDITABLE_MESSAGE_FIELDS.includes(key)) return `message field ${key} cannot be changed`;
      const text = writtenValue(tr, type as Y.AbstractType<unknown>, 'text', removed);
      if (keys.has('text') && (typeof text !== 'string' || text.length > MAX_MESSAGE_CHARS))
        return `message text must be at most ${MAX_MESSAGE_CHARS} characters`;
    } else {
      return 'unexpected structure under comments';
    }
  }
  return undefined;
}

/**
 * What this transaction's sender wrote last under `key` of `type` (undefined when it only removed
 * it). Not `type.get(key)`: a concurrent write of another client may win the key, and an honest
 * sender who lost that race is not refused for it (the guard before the hardening read the
 * winner, and so refused e.g. a resolve racing another one).
 */
function writtenValue(tr: Y.Transaction, type: Y.AbstractType<unknown>, key: string, removed: (item: Y.Item) => boolean): unknown {
  let last: Y.Item | undefined;
  for (const [client, after] of tr.afterState) {
    const before = tr.beforeState.get(client) ?? 0;
    if (after === before) continue;
    const structs = tr.doc.store.clients.get(client)!;
    for (let i = Y.findIndexSS(structs, before); i < structs.length; i++) {
      const s = structs[i]!;
      if (s instanceof Y.Item && s.parent === type && s.parentSub === key && (!last || s.id.clock > last.id.clock)) last = s;
    }
  }
  // Deleted by Yjs because a concurrent write won the key: still what the sender wrote. Removed by
  // the update's own delete set: the sender cleared it.
  return last === undefined || removed(last) ? undefined : last.content.getContent().at(-1);
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null;
}

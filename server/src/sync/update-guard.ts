import * as Y from 'yjs';
import { canWriteAtStage, type Role, type Stage } from '@accord/protocol';
import { ROOTS, sectionOfRoot, type RootName } from '@accord/plan-model';
import { commentViolation } from './comment-rules.ts';

// Plan settings that only the server's cycle actions change (advance a stage, roll the horizon,
// migrate the schema): a leader renames the plan, but moves the cycle through the API.
const SERVER_META_KEYS = new Set(['cycleStage', 'schemaVersion', 'horizonStart', 'horizonBuckets', 'historyBuckets', 'bucket']);

// Keys are `rowId|bucket`; ids are short random or human codes, so 200 characters is ample.
const MAX_KEY_LENGTH = 200;

/** Why an update was refused, or that it was accepted and whether it changed anything. */
export type GuardVerdict =
  | { type: 'accepted'; changed: boolean; roots: string[]; cells: { root: string; key: string }[] }
  | { type: 'forbidden'; roots: string[]; reason: string }
  | { type: 'invalid'; reason: string };

/** The part of a shared type needed to walk up to its root. */
interface SharedType {
  _item: Y.Item | null;
}

function rootName(doc: Y.Doc, type: SharedType): string | undefined {
  let top = type;
  while (top._item !== null) top = top._item.parent as unknown as SharedType;
  for (const [name, shared] of doc.share) if ((shared as SharedType) === top) return name;
  return undefined;
}

/**
 * Applies an update to the staging copy of a document and judges it by what it actually changed
 * (DESIGN.md §4): every changed root must belong to a section the role may write. Decoding the
 * update is not enough, because deletions and nested types only resolve against the document.
 * After a verdict other than `accepted` the staging copy holds the refused change and must be
 * rebuilt from the live document.
 */
export function applyToStaging(staging: Y.Doc, update: Uint8Array, sender: { role: Role; userId: string; stage?: Stage }): GuardVerdict {
  const { role, userId, stage = 'data-gathering' } = sender;
  const roots = new Set<string>();
  const cells: { root: string; key: string }[] = [];
  let changed = false;
  let commentProblem: string | undefined;
  const serverMetaKeys = new Set<string>();
  const onTransaction = (tr: Y.Transaction) => {
    commentProblem ??= commentViolation(staging, tr, userId);
    for (const [type, keys] of tr.changed) {
      const root = rootName(staging, type) ?? '?';
      roots.add(root);
      if (root === 'meta' && type._item === null)
        for (const key of keys) if (key !== null && SERVER_META_KEYS.has(key)) serverMetaKeys.add(key);
      // Keys changed directly on a value root are cells (nested types have no cells).
      if (type._item === null && ROOTS[root as RootName]?.kind === 'value') {
        for (const key of keys) if (key !== null) cells.push({ root, key });
      }
    }
    if (tr.deleteSet.clients.size > 0) changed = true;
    for (const [client, clock] of tr.afterState) if (tr.beforeState.get(client) !== clock) changed = true;
  };
  staging.on('afterTransaction', onTransaction);
  try {
    Y.applyUpdate(staging, update);
  } catch (e: unknown) {
    return { type: 'invalid', reason: `not a Yjs update (${e instanceof Error ? e.message : String(e)})` };
  } finally {
    staging.off('afterTransaction', onTransaction);
  }
  // Structs waiting for missing dependencies would later be integrated by someone else's
  // transaction and be judged by that sender's role: refuse gaps. Honest clients never send them,
  // because the server is their only peer and already holds everything they depend on.
  if (staging.store.pendingStructs !== null || staging.store.pendingDs !== null) {
    return { type: 'invalid', reason: 'update depends on changes the server does not have' };
  }
  // Value roots hold finite numbers under short keys; anything else is not a plan edit.
  for (const { root, key } of cells) {
    const value = staging.getMap(root).get(key);
    if (key.length > MAX_KEY_LENGTH) return { type: 'invalid', reason: `cell key longer than ${MAX_KEY_LENGTH} characters` };
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      return { type: 'invalid', reason: `${root} cells hold numbers; ${key} got ${typeof value}` };
    }
  }
  const list = [...roots];
  const forbidden = list.filter((name) => {
    const section = sectionOfRoot(name);
    return section === undefined || !canWriteAtStage(role, section, stage);
  });
  if (forbidden.length > 0) {
    return { type: 'forbidden', roots: list, reason: `role ${role} may not change ${forbidden.join(', ')} at stage ${stage}` };
  }
  if (serverMetaKeys.size > 0)
    return { type: 'forbidden', roots: list, reason: `${[...serverMetaKeys].join(', ')} change only through the cycle actions` };
  if (commentProblem) return { type: 'forbidden', roots: list, reason: commentProblem };
  return { type: 'accepted', changed: changed || list.length > 0, roots: list, cells };
}

/**
 * An empty document with every plan root already typed as a Y.Map. Decoding an update into a bare
 * document leaves roots as generic types, and a later `getMap` replaces them with new instances,
 * which would make the roots a transaction changed unrecognisable to the guard.
 */
export function newStagingDoc(gc: boolean): Y.Doc {
  const doc = new Y.Doc({ gc });
  for (const name of Object.keys(ROOTS)) doc.getMap(name);
  return doc;
}

/** A fresh staging copy of a document, from its encoded full state (or the document itself). */
export function cloneDoc(live: Y.Doc, fullState: Uint8Array = Y.encodeStateAsUpdate(live)): Y.Doc {
  const copy = newStagingDoc(live.gc);
  Y.applyUpdate(copy, fullState);
  return copy;
}

// What a discarded local copy held that the server never received, and how much of it can be kept.
// When the server closes the socket with a 44xx code the session throws its document away; edits
// made just before (still in flight, or queued offline) would be lost with it. The next copy,
// synced from the server, tells exactly what is missing, and the user's role says what may stay.
import * as Y from 'yjs';
import { VALUE_ROOTS, type CellChange, type ValueRoot } from '@accord/plan-calc';

/** The unsent part of an old copy, as judged against a fresh copy synced from the server. */
export type UnsentChanges =
  /** Nothing is missing. */
  | { kind: 'none' }
  /** Every missing change is allowed: apply `update` to the fresh copy as it is. */
  | { kind: 'all'; update: Uint8Array; changes: number }
  /**
   * Some touch what the role may no longer write: only the allowed cell values are kept, as new
   * edits; `droppedRoots` lists what was left out.
   */
  | { kind: 'cells'; cells: CellChange[]; droppedRoots: string[] };

const VALUE_ROOT_NAMES: ReadonlySet<string> = new Set(VALUE_ROOTS);

/** Where a struct of `doc` sits: its root and, for a map entry of a root, its key. */
function placeOf(doc: Y.Doc, id: Y.ID): { root: string; key: string | null; end: number } {
  const struct = Y.getItem(doc.store, id);
  const end = struct.id.clock + struct.length;
  if (!(struct instanceof Y.Item)) return { root: '?', key: null, end };
  let type = struct.parent as Y.AbstractType<unknown> | null;
  const topLevel = type?._item === null;
  while (type?._item) type = type._item.parent as Y.AbstractType<unknown> | null;
  const root = type ? Y.findRootTypeKey(type) : '?';
  return { root, key: topLevel ? struct.parentSub : null, end };
}

/**
 * What `old` holds that `fresh` lacks, and whether `mayWrite` allows all of it. Both documents
 * must be copies of the same plan; `old` is only read.
 */
export function unsentChanges(old: Y.Doc, fresh: Y.Doc, mayWrite: (root: string) => boolean): UnsentChanges {
  const update = Y.encodeStateAsUpdate(old, Y.encodeStateVector(fresh));
  const { structs, ds } = Y.decodeUpdate(update);
  const places: { root: string; key: string | null }[] = [];
  for (const struct of structs) if (struct instanceof Y.Item) places.push(placeOf(old, struct.id));
  // An update carries the old copy's whole delete set: only deletions the server lacks count (of
  // structs it has; deleted structs it lacks are among the unsent structs already).
  for (const [client, ranges] of ds.clients) {
    const known = Y.getState(fresh.store, client);
    for (const { clock, len } of ranges) {
      // A deleted range can span several structs; each may sit under another root.
      for (let at = clock; at < Math.min(clock + len, known);) {
        const place = placeOf(old, Y.createID(client, at));
        const there = Y.getItem(fresh.store, Y.createID(client, at));
        if (!there.deleted) places.push(place);
        at = Math.min(place.end, there.id.clock + there.length);
      }
    }
  }
  if (places.length === 0) return { kind: 'none' };
  const droppedRoots = [...new Set(places.map((place) => place.root))].filter((root) => !mayWrite(root));
  if (droppedRoots.length === 0) return { kind: 'all', update, changes: places.length };

  // Keep the allowed cells, with their values as the old copy has them now (empty when deleted).
  const cells = new Map<string, CellChange>();
  for (const { root, key } of places) {
    if (key === null || !VALUE_ROOT_NAMES.has(root) || !mayWrite(root)) continue;
    const value = old.getMap<unknown>(root).get(key);
    cells.set(`${root}\u0000${key}`, {
      root: root as ValueRoot,
      key,
      value: typeof value === 'number' && Number.isFinite(value) ? value : null,
    });
  }
  return { kind: 'cells', cells: [...cells.values()], droppedRoots };
}

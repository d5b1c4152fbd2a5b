import * as Y from 'yjs';
import { canWriteAtStage, cellValueProblem, type Role, type Stage } from '@accord/protocol';
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

// Plan settings that only the server's cycle actions change (advance a stage, roll the horizon,
// migrate the schema): a leader renames the plan, but moves the cycle through the API.
export const SERVER_META_KEYS: ReadonlySet<string> = new Set([
  'cycleStage',
  'schemaVersion',
  'horizonStart',
  'horizonBuckets',
  'historyBuckets',
  'bucket',
]);

// Keys are `rowId|bucket`; ids are short random or human codes, so 200 characters is ample.
export const MAX_KEY_LENGTH = 200;

/** Who sent an update, and the stage the plan is at. */
export interface Sender {
  role: Role;
  userId: string;
  stage: Stage;
}

/**
 * Who a Yjs client id belongs to: the user whose update first wrote under it (stored with the
 * document), or whose open connection announced it in its presence. Undefined: nobody yet.
 */
export type ClientOwners = (clientId: number) => string | undefined;

/** Why an update was refused, or that it was accepted and what it changes. */
export type GuardVerdict =
  | {
      type: 'accepted';
      /** False when integrating it changes nothing (everything in it is known already). */
      changed: boolean;
      roots: string[];
      /**
       * Value cells the update writes or clears, with what it leaves there: the sender's last
       * value for the key, or null when it only clears the cell.
       */
      cells: { root: string; key: string; value: number | null }[];
      /** Client ids the update writes under for the first time, to record as the sender's. */
      newClients: number[];
    }
  | { type: 'forbidden'; reason: string }
  | { type: 'invalid'; reason: string }
  /** The update depends on structs or deletions the server does not have (yet). */
  | { type: 'pending'; reason: string };

type Struct = Y.Item | Y.GC | Y.Skip;
/** Yjs's DeleteSet (not exported as a type): deleted clock ranges per client. */
interface DeleteSet {
  clients: Map<number, { clock: number; len: number }[]>;
}

/** Where an item sits: under which root, how deep, in which parent type, under which key. */
interface Place {
  type: 'place';
  root: string;
  /** 0 when the parent is the root itself, 1 for a child of an entity of the root, and so on. */
  depth: number;
  /** The item holding the parent type; undefined when the parent is the root. */
  parentItem: Y.Item | undefined;
  parentSub: string | null;
}

/** Where a fresh item goes: a place, nowhere (it builds on garbage-collected structs), or not known (yet). */
type Resolution = Place | typeof GC | { type: 'missing'; client: number };
/** A resolution: the item builds on collected structs. Also what `#find` says of a GC struct. */
const GC = { type: 'gc' } as const;
/** What `#find` says of an item that itself resolves to `GC` (unlike a GC struct, it still counts as a neighbour). */
const GC_ITEM = { type: 'gc-item' } as const;

class Refusal extends Error {
  readonly verdict: Exclude<GuardVerdict, { type: 'accepted' }>;
  constructor(verdict: Exclude<GuardVerdict, { type: 'accepted' }>) {
    super(verdict.reason);
    this.verdict = verdict;
  }
}
const forbidden = (reason: string) => new Refusal({ type: 'forbidden', reason });
const invalid = (reason: string) => new Refusal({ type: 'invalid', reason });
const pending = (reason: string) => new Refusal({ type: 'pending', reason });

const idKey = (id: Y.ID): string => `${id.client}:${id.clock}`;

/**
 * Judges an update from its decoded structs and delete set against the live document, before it
 * is applied (DESIGN.md §4; docs/architecture.md states the rules). Every new struct must be an
 * item under a root the sender's role may write at this stage: resolved from a root name, or from
 * its origin, right origin or parent found in the live document or in the update itself. GC and
 * skip structs are allowed only under the sender's own client ids, GC only where the sender's
 * items justify it. Client ids another user wrote or announced, or the server wrote, are refused.
 * Every item the delete set removes must lie in such a root. Value roots hold finite numbers
 * within their bounds under cell keys; `meta`'s cycle keys change only through the server; the
 * comment rules hold. Nothing is changed: the caller applies an accepted update to the live
 * document.
 */
export function judgeUpdate(live: Y.Doc, update: Uint8Array, sender: Sender, owners: ClientOwners): GuardVerdict {
  let decoded: { structs: Struct[]; ds: DeleteSet };
  try {
    decoded = Y.decodeUpdate(update) as { structs: Struct[]; ds: DeleteSet };
  } catch (e: unknown) {
    return { type: 'invalid', reason: `not a Yjs update (${e instanceof Error ? e.message : String(e)})` };
  }
  try {
    return new Judgement(live, decoded, sender, owners).run();
  } catch (e: unknown) {
    if (e instanceof Refusal) return e.verdict;
    throw e;
  }
}

class Judgement {
  readonly #live: Y.Doc;
  readonly #structs: Struct[];
  readonly #ds: DeleteSet;
  readonly #sender: Sender;
  readonly #owners: ClientOwners;
  /** Structs of the update the live document lacks (fully or partly), by client, in clock order. */
  readonly #fresh = new Map<number, Struct[]>();
  /** Where fresh items that build on other fresh items go (worked out once each, and cycles caught). */
  readonly #resolved = new Map<Y.Item, Resolution>();
  /** Fresh items that go under `comments`, in update order, checked by the comment rules. */
  readonly #commentItems: { item: Y.Item; place: Place }[] = [];
  readonly #roots = new Set<string>();
  /** Value cells touched, by root and key, with the fresh items writing them. */
  readonly #cells = new Map<string, Map<string, Y.Item[]>>();
  /** Root names of the live document's root types (Yjs finds one by scanning every root). */
  readonly #rootNames = new Map<Y.AbstractType<unknown>, string>();
  /** Fresh items the update's own delete set removes (they never show). */
  readonly #deletedFresh = new Set<Y.Item>();
  /** Fresh items by the key of the item holding their parent type, with their key (for new comment threads). */
  readonly #childrenOf = new Map<string, { item: Y.Item; key: string | null }[]>();
  /** Fields of existing comment threads and messages the update sets or removes: parent item, key, new item. */
  readonly #commentFields = new Map<string, { place: Place; key: string | null; item: Y.Item | undefined }>();

  constructor(live: Y.Doc, decoded: { structs: Struct[]; ds: DeleteSet }, sender: Sender, owners: ClientOwners) {
    this.#live = live;
    this.#structs = decoded.structs;
    this.#ds = decoded.ds;
    this.#sender = sender;
    this.#owners = owners;
  }

  run(): GuardVerdict {
    const store = this.#live.store;
    // 1. Which structs are new. Structs of one client are contiguous from its first new clock:
    // anything after a gap waits on structs the server lacks (checked before any other rule).
    const byClient = new Map<number, Struct[]>();
    for (const struct of this.#structs) {
      const client = struct.id.client;
      let list = byClient.get(client);
      if (!list) byClient.set(client, (list = []));
      list.push(struct);
    }
    for (const [client, structs] of byClient) {
      const state = Y.getState(store, client);
      const fresh = structs.filter((s) => s.id.clock + s.length > state);
      // A skip is a range the update does not carry: what follows it waits for that range.
      let known = state;
      for (const s of fresh) {
        if (s instanceof Y.Skip) continue;
        if (s.id.clock > known) throw pending(`update depends on earlier changes of client ${client}`);
        known = s.id.clock + s.length;
      }
      const writes = fresh.filter((s) => !(s instanceof Y.Skip));
      if (writes.length > 0) this.#fresh.set(client, writes);
    }
    // 2. Where each new item goes; everything it builds on must be known.
    // Side by side rather than as pairs: an update of 18,000 cells has 18,000 of them.
    const items: Y.Item[] = [];
    const resolutions: Resolution[] = [];
    for (const structs of this.#fresh.values()) {
      for (const struct of structs) {
        if (!(struct instanceof Y.Item)) continue;
        const resolution = this.#resolve(struct);
        if (resolution.type === 'missing') throw pending(`update depends on changes of client ${resolution.client} the server lacks`);
        items.push(struct);
        resolutions.push(resolution);
      }
    }
    for (const [client, ranges] of this.#ds.clients) {
      const fresh = this.#fresh.get(client);
      const covered = fresh ? fresh.at(-1)!.id.clock + fresh.at(-1)!.length : Y.getState(store, client);
      for (const { clock, len } of ranges) {
        if (clock + len > covered) throw pending(`update deletes changes of client ${client} the server lacks`);
      }
    }

    // 3. May the sender write under these client ids?
    const newClients: number[] = [];
    for (const client of this.#fresh.keys()) {
      const owner = this.#owners(client);
      if (owner !== undefined && owner !== this.#sender.userId) throw forbidden(`client id ${client} belongs to another user`);
      if (owner === undefined && Y.getState(store, client) > 0) throw forbidden(`client id ${client} is the server's or already used`);
      if (owner === undefined) newClients.push(client);
    }

    // 4. What each new item writes.
    const gcClients = new Set<number>();
    const writingClients = new Set<number>();
    for (const [client, structs] of this.#fresh) for (const struct of structs) if (struct instanceof Y.GC) gcClients.add(client);
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      const place = resolutions[i]!;
      const client = item.id.client;
      if (place.type !== 'place') {
        gcClients.add(client);
        continue;
      }
      this.#checkWrite(item, place);
      writingClients.add(client);
      if (place.parentItem) {
        const key = idKey(place.parentItem.id);
        let children = this.#childrenOf.get(key);
        if (!children) this.#childrenOf.set(key, (children = []));
        children.push({ item, key: place.parentSub });
      }
    }
    // GC structs keep nothing; they only move a client's clock. Fine for the sender's own items
    // deleted before they were sent, never for an id that writes nothing the sender may write.
    for (const client of gcClients) {
      if (!writingClients.has(client) && this.#owners(client) !== this.#sender.userId) {
        throw forbidden(`structs of client ${client} write nothing the sender may write`);
      }
    }

    // 5. Deletions.
    let deletes = false;
    for (const [client, ranges] of this.#ds.clients) {
      const state = Y.getState(store, client);
      const structs = store.clients.get(client);
      for (const { clock, len } of ranges) {
        const end = clock + len;
        if (clock < state && structs) {
          for (let i = Y.findIndexSS(structs, clock); i < structs.length && structs[i]!.id.clock < Math.min(end, state); i++) {
            const struct = structs[i]!;
            if (!(struct instanceof Y.Item) || struct.deleted) continue;
            this.#checkDelete(struct, this.#placeOfLive(struct));
            deletes = true;
          }
        }
        if (end > state) {
          for (const struct of this.#fresh.get(client) ?? []) {
            if (struct instanceof Y.Item && struct.id.clock < end && struct.id.clock + struct.length > Math.max(clock, state)) {
              this.#deletedFresh.add(struct);
              deletes = true;
            }
          }
        }
      }
    }

    // 6. New comment threads and messages, checked whole.
    this.#checkComments();

    const roots = [...this.#roots];
    const changed = this.#fresh.size > 0 || deletes;
    const cells: { root: string; key: string; value: number | null }[] = [];
    for (const [root, byKey] of this.#cells) {
      for (const [key, writes] of byKey) {
        let last: Y.Item | undefined;
        for (const item of writes) {
          if (this.#deletedFresh.has(item) || !(item.content instanceof Y.ContentAny)) continue;
          if (!last || item.id.clock > last.id.clock) last = item;
        }
        const value = last ? (last.content as Y.ContentAny).getContent()[0] : null;
        cells.push({ root, key, value: typeof value === 'number' ? value : null });
      }
    }
    return { type: 'accepted', changed, roots, cells, newClients };
  }

  /** The fresh items writing a value cell (none when it is only cleared). */
  #touch(root: string, key: string): Y.Item[] {
    let byKey = this.#cells.get(root);
    if (!byKey) this.#cells.set(root, (byKey = new Map()));
    let writes = byKey.get(key);
    if (!writes) byKey.set(key, (writes = []));
    return writes;
  }

  /** Where a fresh item of the update will be integrated, following Yjs's own rules (Item.getMissing). */
  #resolve(item: Y.Item): Resolution {
    // Most items build on the live document alone (a cell written over: its origin is the item it
    // replaces): nothing to recurse into, so nothing to remember.
    if (this.#buildsOnLive(item)) return this.#resolveUncached(item);
    const known = this.#resolved.get(item);
    if (known) return known;
    // A guard against cycles in a forged update: treat the item as missing while it is resolved.
    this.#resolved.set(item, { type: 'missing', client: item.id.client });
    const resolution = this.#resolveUncached(item);
    this.#resolved.set(item, resolution);
    return resolution;
  }

  #isLive(id: Y.ID): boolean {
    return id.clock < Y.getState(this.#live.store, id.client);
  }

  /** Whether everything an item refers to (origin, right origin, parent) is in the live document. */
  #buildsOnLive(item: Y.Item): boolean {
    const parent = item.parent as unknown;
    return (
      (item.origin === null || this.#isLive(item.origin)) &&
      (item.rightOrigin === null || this.#isLive(item.rightOrigin)) &&
      !(parent instanceof Y.ID && !this.#isLive(parent))
    );
  }

  #resolveUncached(item: Y.Item): Resolution {
    const left = item.origin ? this.#find(item.origin) : null;
    const right = item.rightOrigin ? this.#find(item.rightOrigin) : null;
    if (left?.type === 'missing') return left;
    if (right?.type === 'missing') return right;
    if (left === GC || right === GC) return GC;
    // An item goes where its neighbour is (the left one when there are both).
    const neighbour = left ?? right;
    if (neighbour) return neighbour === GC_ITEM ? GC : (neighbour as Place);
    const parent = item.parent as unknown;
    if (typeof parent === 'string') {
      return { type: 'place', root: parent, depth: 0, parentItem: undefined, parentSub: item.parentSub };
    }
    if (parent instanceof Y.ID) {
      const found = this.#find(parent);
      if (found.type === 'missing') return found;
      if (found.type !== 'place') return GC;
      const holder = this.#structAt(parent) as Y.Item;
      if (!(holder.content instanceof Y.ContentType)) return GC;
      return { type: 'place', root: found.root, depth: found.depth + 1, parentItem: holder, parentSub: item.parentSub };
    }
    return GC;
  }

  /**
   * Where the struct holding `id` is (in the live document, or a fresh one of the update): its
   * place, `GC` for a GC struct, `GC_ITEM` for an item that resolves to `GC`, or missing.
   */
  #find(id: Y.ID): Resolution | typeof GC_ITEM {
    const struct = this.#structAt(id);
    if (!struct) return { type: 'missing', client: id.client };
    if (!(struct instanceof Y.Item)) return GC;
    if (this.#isLive(id)) return this.#placeOfLive(struct);
    const resolution = this.#resolve(struct);
    return resolution === GC ? GC_ITEM : resolution;
  }

  /** The struct holding `id`: in the live document, or a fresh one of the update; undefined when neither has it. */
  #structAt(id: Y.ID): Struct | undefined {
    if (this.#isLive(id)) return Y.getItem(this.#live.store, id) as Y.Item | Y.GC;
    return findStruct(this.#fresh.get(id.client), id.clock);
  }

  /** Where an item of the live document sits. */
  #placeOfLive(item: Y.Item): Place {
    const parent = item.parent as Y.AbstractType<unknown>;
    let depth = 0;
    let top = parent;
    while (top._item !== null) {
      top = top._item.parent as Y.AbstractType<unknown>;
      depth++;
    }
    let root = this.#rootNames.get(top);
    if (root === undefined) this.#rootNames.set(top, (root = Y.findRootTypeKey(top)));
    return { type: 'place', root, depth, parentItem: parent._item ?? undefined, parentSub: item.parentSub };
  }

  #checkSection(root: string, what: string): void {
    const section = sectionOfRoot(root);
    const { role, stage } = this.#sender;
    if (section === undefined) throw forbidden(`${root} is not part of a plan`);
    if (!canWriteAtStage(role, section, stage)) throw forbidden(`role ${role} may not ${what} ${root} at stage ${stage}`);
    this.#roots.add(root);
  }

  #checkWrite(item: Y.Item, place: Place): void {
    this.#checkSection(place.root, 'change');
    const kind = ROOTS[place.root as RootName].kind;
    const content = item.content;
    if (content instanceof Y.ContentDoc || content instanceof Y.ContentFormat || content instanceof Y.ContentEmbed) {
      throw invalid(`${place.root} holds no ${content.constructor.name}`);
    }
    if (content instanceof Y.ContentType && !(content.type instanceof Y.Map || content.type instanceof Y.Array)) {
      throw invalid(`${place.root} holds maps and lists only`);
    }
    if (place.depth === 0 && place.parentSub === null) throw invalid(`${place.root} is a map; list content under it is not part of a plan`);
    if (kind === 'value') {
      // Value roots are flat maps of numbers (DESIGN.md §3).
      const key = place.parentSub!;
      if (key.length > MAX_KEY_LENGTH) throw invalid(`cell key longer than ${MAX_KEY_LENGTH} characters`);
      if (!(content instanceof Y.ContentDeleted)) {
        const values = content instanceof Y.ContentAny ? content.getContent() : undefined;
        if (values?.length !== 1) throw invalid(`${place.root} cells hold numbers; ${key} got ${content.constructor.name}`);
        const problem = cellValueProblem(place.root, values[0]);
        if (problem) throw invalid(`${key}: ${problem}`);
      }
      this.#touch(place.root, key).push(item);
    } else if (place.root === 'meta' && place.depth === 0 && SERVER_META_KEYS.has(place.parentSub!)) {
      throw forbidden(`${place.parentSub} changes only through the cycle actions`);
    } else if (place.root === 'comments') {
      this.#commentItems.push({ item, place });
    }
  }

  #checkDelete(item: Y.Item, place: Place): void {
    this.#checkSection(place.root, 'delete in');
    if (ROOTS[place.root as RootName].kind === 'value' && place.depth === 0 && place.parentSub !== null) {
      this.#touch(place.root, place.parentSub);
    } else if (place.root === 'meta' && place.depth === 0 && place.parentSub !== null && SERVER_META_KEYS.has(place.parentSub)) {
      throw forbidden(`${place.parentSub} changes only through the cycle actions`);
    } else if (place.root === 'comments') {
      if (place.depth === 0) throw forbidden('comment threads cannot be removed or replaced');
      if (item.parentSub === null) throw forbidden('comment messages cannot be removed; mark them deleted');
      this.#noteCommentField(place, undefined);
    }
  }

  /**
   * The comment rules (comment-rules.ts): new threads and messages carry the sender as author and
   * are complete; an existing thread changes only its resolution, by the sender; an existing
   * message changes only its text, edit time and deleted mark, by its author.
   */
  #checkComments(): void {
    for (const { item: struct, place } of this.#commentItems) {
      // Part of a new thread or message: checked with it.
      if (place.parentItem && this.#isFresh(place.parentItem)) continue;
      if (place.depth === 0) {
        const thread = this.#deletedFresh.has(struct) ? undefined : this.#view(struct);
        if (!(thread instanceof FreshMap)) throw forbidden('a comment thread must be a new map');
        const problem = commentThreadProblem(thread, this.#sender.userId);
        if (problem) throw forbidden(problem);
      } else if (place.depth === 2 && place.parentSub === null) {
        if (this.#deletedFresh.has(struct)) continue;
        for (const message of this.#viewAll(struct)) {
          if (!(message instanceof FreshMap)) throw forbidden('a comment message must be a map');
          const problem = commentMessageProblem(message, this.#sender.userId);
          if (problem) throw forbidden(problem);
        }
      } else {
        this.#noteCommentField(place, this.#deletedFresh.has(struct) ? undefined : struct);
      }
    }
    for (const { place, key, item } of this.#commentFields.values()) {
      this.#checkCommentField(place, key, item === undefined ? undefined : this.#view(item));
    }
  }

  /** Records that a field of an existing thread or message changes; a later write of the key wins. */
  #noteCommentField(place: Place, item: Y.Item | undefined): void {
    const key = `${place.parentItem ? idKey(place.parentItem.id) : ''}\u0000${place.parentSub ?? ''}`;
    const known = this.#commentFields.get(key);
    if (item === undefined && known?.item !== undefined) return;
    if (known?.item && item && known.item.id.clock > item.id.clock) return;
    this.#commentFields.set(key, { place, key: place.parentSub, item });
  }

  /** A field of an existing thread (depth 1) or message (depth 3) set to `value` (undefined: removed). */
  #checkCommentField(place: Place, key: string | null, value: unknown): void {
    if (place.depth === 1) {
      if (key === null || !RESOLUTION_FIELDS.includes(key)) throw forbidden(`thread field ${key} cannot be changed`);
      if (key === 'resolvedBy' && value !== this.#sender.userId) throw forbidden('resolvedBy must be the sender');
    } else if (place.depth === 3) {
      const message = (place.parentItem!.content as Y.ContentType).type as Y.Map<unknown>;
      if (message.get('author') !== this.#sender.userId) throw forbidden('only its author can edit or delete a message');
      if (key === null || !EDITABLE_MESSAGE_FIELDS.includes(key)) throw forbidden(`message field ${key} cannot be changed`);
      if (key === 'text' && (typeof value !== 'string' || value.length > MAX_MESSAGE_CHARS)) {
        throw forbidden(`message text must be at most ${MAX_MESSAGE_CHARS} characters`);
      }
    } else if (place.depth === 2) {
      throw forbidden('a comment message must be a map');
    } else {
      throw forbidden('unexpected structure under comments');
    }
  }

  #isFresh(item: Y.Item): boolean {
    return item.id.clock >= Y.getState(this.#live.store, item.id.client);
  }

  /** What a fresh item holds, as the comment rules read it: a value, or a view of a new map or list. */
  #view(item: Y.Item): unknown {
    return this.#viewAll(item).at(-1);
  }

  #viewAll(item: Y.Item): unknown[] {
    const content = item.content;
    if (content instanceof Y.ContentType) {
      return [content.type instanceof Y.Map ? new FreshMap(this, item) : new FreshList(this, item)];
    }
    if (content instanceof Y.ContentDeleted) return [];
    return content.getContent();
  }

  /** The fresh, not deleted items under the type that `holder` holds, with their keys. */
  childrenOf(holder: Y.Item): { item: Y.Item; key: string | null }[] {
    return (this.#childrenOf.get(idKey(holder.id)) ?? []).filter((child) => !this.#deletedFresh.has(child.item));
  }

  viewAll(item: Y.Item): unknown[] {
    return this.#viewAll(item);
  }
}

/** A map created by the update, read from its fresh items (the last write of a key wins). */
export class FreshMap implements MapView {
  readonly kind = 'map';
  readonly #judgement: Judgement;
  readonly #holder: Y.Item;
  constructor(judgement: Judgement, holder: Y.Item) {
    this.#judgement = judgement;
    this.#holder = holder;
  }
  get(key: string): unknown {
    let last: Y.Item | undefined;
    for (const child of this.#judgement.childrenOf(this.#holder)) {
      if (child.key === key && (!last || child.item.id.clock > last.id.clock)) last = child.item;
    }
    return last ? this.#judgement.viewAll(last).at(-1) : undefined;
  }
}

/** A list created by the update, read from its fresh items. */
export class FreshList implements ListView {
  readonly kind = 'list';
  readonly #judgement: Judgement;
  readonly #holder: Y.Item;
  constructor(judgement: Judgement, holder: Y.Item) {
    this.#judgement = judgement;
    this.#holder = holder;
  }
  toArray(): unknown[] {
    return this.#judgement.childrenOf(this.#holder).flatMap((child) => (child.key === null ? this.#judgement.viewAll(child.item) : []));
  }
}

/** The struct of a client's clock-ordered structs that holds `clock`, by binary search. */
function findStruct(structs: readonly Struct[] | undefined, clock: number): Struct | undefined {
  if (!structs) return undefined;
  let low = 0;
  let high = structs.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const struct = structs[mid]!;
    if (clock < struct.id.clock) high = mid - 1;
    else if (clock >= struct.id.clock + struct.length) low = mid + 1;
    else return struct;
  }
  return undefined;
}

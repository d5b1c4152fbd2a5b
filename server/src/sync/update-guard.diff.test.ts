import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { seededRandom } from '@accord/plan-calc';
import { STAGES, type Role, type Stage } from '@accord/protocol';
import { createThread, deleteMessage, editMessage, replyToThread, setThreadResolved } from '@accord/plan-model';
import { judgeUpdate, type ClientOwners, type GuardVerdict, type Sender } from './update-guard.ts';
import { applyToStaging, cloneDoc, newStagingDoc } from './staging-guard.oracle.ts';

/**
 * Differential test of the update guard (issue #18): thousands of seeded random updates — allowed
 * and forbidden edits, nested types, deletions, GC and skip structs, comment forgeries, foreign
 * client ids, out-of-range values, concurrent offline edits — judged by `judgeUpdate` from their
 * structs and by the hardened staging-copy guard that applies them to a copy (the oracle). Both
 * must give the same verdict, the same changed roots and cells and the same claimed client ids.
 */

const MEMBERS: { userId: string; role: Role }[] = [
  { userId: 'u-sales', role: 'sales' },
  { userId: 'u-sales-2', role: 'sales' },
  { userId: 'u-ops', role: 'operations' },
  { userId: 'u-fin', role: 'finance' },
  { userId: 'u-lead', role: 'leader' },
  { userId: 'u-admin', role: 'admin' },
  { userId: 'u-comment', role: 'commenter' },
  { userId: 'u-view', role: 'viewer' },
];
const VALUE_ROOTS = ['sales', 'marketing', 'production', 'capacity', 'prices', 'costs', 'consensus', 'statistical', 'actuals'];
const ENTITY_ROOTS = ['products', 'families', 'resources', 'events'];
const KEYS = ['p1|2027-01', 'p1|2027-02', 'p2|2027-01', 'p2|2027-03', 'p3|2027-02'];

interface Client {
  member: (typeof MEMBERS)[number];
  doc: Y.Doc;
  /** Updates this client made and has not sent (offline). */
  unsent: Uint8Array[];
  /** Its next message is a sync step 2: everything it has that the server lacks. */
  resync?: boolean;
}

function seedLive(clientId: number): Y.Doc {
  const live = newStagingDoc();
  live.clientID = clientId;
  live.transact(() => {
    live.getMap('meta').set('name', 'S&OP');
    live.getMap('meta').set('cycleStage', 'data-gathering');
    for (const id of ['p1', 'p2']) {
      const product = new Y.Map<unknown>();
      product.set('name', id);
      product.set('tags', new Y.Array<string>());
      live.getMap<Y.Map<unknown>>('products').set(id, product);
    }
    for (const key of KEYS.slice(0, 3)) live.getMap<number>('sales').set(key, 100);
    live.getMap<number>('production').set('p1|2027-01', 50);
    live.getMap<number>('prices').set('p1', 2.5);
  });
  createThread(live, {
    id: 't-sales',
    anchor: { type: 'plan' },
    author: 'u-sales',
    text: 'first',
    messageId: 'm1',
    now: new Date().toISOString(),
  });
  return live;
}

/** An update holding one GC struct, written by hand like a forger would. */
function gcUpdate(client: number, clock: number, length: number): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint(encoder, 1);
  encoding.writeVarUint(encoder, client);
  encoding.writeVarUint(encoder, clock);
  encoding.writeUint8(encoder, 0);
  encoding.writeVarUint(encoder, length);
  encoding.writeVarUint(encoder, 0);
  return encoding.toUint8Array(encoder);
}

function summary(verdict: GuardVerdict) {
  if (verdict.type !== 'accepted') return { type: verdict.type };
  return {
    type: verdict.type,
    changed: verdict.changed,
    roots: [...verdict.roots].sort(),
    cells: verdict.cells.map((c) => `${c.root}|${c.key}`).sort(),
    newClients: [...verdict.newClients].sort(),
  };
}

describe('update guard: judged from structs vs applied to a staging copy', () => {
  it('gives the same verdict as the staging-copy oracle over 10,000 seeded random updates', () => {
    const verdicts: Record<string, number> = {};
    let judged = 0;
    for (let seed = 1; judged < 10_000; seed++) {
      const random = seededRandom(seed);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
      // Client ids from the seed too, so that every run orders concurrent items alike.
      const newId = () => 1 + Math.floor(random() * 2 ** 30);
      const live = seedLive(newId());
      const owners = new Map<number, string>();
      let liveState: Uint8Array | undefined;
      const copy = () => {
        const doc = cloneDoc(live);
        doc.clientID = newId();
        return doc;
      };
      const clients: Client[] = MEMBERS.map((member) => ({ member, doc: copy(), unsent: [] }));
      const fresh = (client: Client) => {
        client.doc.destroy();
        client.doc = copy();
        client.unsent = [];
      };
      for (let step = 0; step < 60; step++) {
        const client = pick(clients);
        const stage: Stage = random() < 0.85 ? 'data-gathering' : pick(STAGES);
        const sender: Sender = { role: client.member.role, userId: client.member.userId, stage };
        const ownerOf: ClientOwners = (id) => owners.get(id);
        const update = makeUpdate(random, pick, client, clients, live, owners);
        if (update === undefined) continue;
        const verdict = judgeUpdate(live, update, sender, ownerOf);
        liveState ??= Y.encodeStateAsUpdate(live);
        const staging = newStagingDoc();
        Y.applyUpdate(staging, liveState);
        const oracle = applyToStaging(staging, update, sender, ownerOf);
        staging.destroy();
        judged++;
        verdicts[verdict.type] = (verdicts[verdict.type] ?? 0) + 1;
        const context = `seed ${seed} step ${step}: ${client.member.role} (${client.member.userId}) at ${stage}; structs: ${JSON.stringify(verdict)}, staging: ${JSON.stringify(oracle)}`;
        expect(summary(verdict), context).toEqual(summary(oracle));
        if (verdict.type === 'pending' && random() < 0.6) {
          // The client reconnects: its sync step 2 carries everything the server lacks.
          client.unsent = [];
          client.resync = true;
        }
        if (verdict.type === 'accepted') {
          Y.applyUpdate(live, update);
          liveState = undefined;
          for (const id of verdict.newClients) owners.set(id, sender.userId);
          if (random() < 0.5) Y.applyUpdate(client.doc, Y.encodeStateAsUpdate(live));
        } else if (verdict.type !== 'pending') {
          fresh(client); // a refused client throws its copy away and reloads
        }
        // Now and then another client catches up with the live document (others stay offline).
        if (random() < 0.3) {
          const other = pick(clients);
          Y.applyUpdate(other.doc, Y.encodeStateAsUpdate(live));
        }
      }
      for (const c of clients) c.doc.destroy();
      live.destroy();
    }
    // Every kind of verdict came up often enough to mean something.
    expect(verdicts.accepted).toBeGreaterThan(2_000);
    expect(verdicts.forbidden).toBeGreaterThan(1_500);
    expect(verdicts.invalid).toBeGreaterThan(150);
    expect(verdicts.pending).toBeGreaterThan(300);
    // Seconds on a quiet machine; the limit leaves room for a busy shared one.
  }, 180_000);
});

/** One random update from `client`: mostly edits through its document, sometimes forged bytes. */
function makeUpdate(
  random: () => number,
  pick: <T>(list: readonly T[]) => T,
  client: Client,
  clients: Client[],
  live: Y.Doc,
  owners: Map<number, string>,
): Uint8Array | undefined {
  const doc = client.doc;
  if (client.resync) {
    client.resync = false;
    return Y.encodeStateAsUpdate(doc, Y.encodeStateVector(live));
  }
  const roll = random();
  // Forged GC structs: own id, someone else's id, the server's id, a made-up id.
  if (roll < 0.06) {
    const other = pick(clients);
    const id = pick([doc.clientID, other.doc.clientID, live.clientID, 900_000 + Math.floor(random() * 1000)]);
    const clock = Y.getState(live.store, id) + (random() < 0.2 ? 3 : 0);
    return gcUpdate(id, clock, 1 + Math.floor(random() * 4));
  }
  // An update another user made, replayed under this sender (foreign client id).
  if (roll < 0.1) {
    const other = pick(clients);
    const before = Y.encodeStateVector(other.doc);
    other.doc.getMap('sales').set(pick(KEYS), Math.floor(random() * 500));
    const update = Y.encodeStateAsUpdate(other.doc, before);
    Y.applyUpdate(other.doc, Y.encodeStateAsUpdate(live)); // keep it in line
    return update;
  }
  // List content under a root, from a brand-new client.
  if (roll < 0.13) {
    const raw = new Y.Doc();
    raw.clientID = 1 + Math.floor(random() * 2 ** 30);
    raw.getArray(pick([...VALUE_ROOTS, ...ENTITY_ROOTS, 'comments'])).insert(0, ['junk']);
    return Y.encodeStateAsUpdate(raw);
  }
  // Offline: several edits kept back; sometimes the later one goes first (depends on the earlier).
  if (roll < 0.25 && client.unsent.length > 0) {
    const index = random() < 0.5 ? client.unsent.length - 1 : 0;
    const [update] = client.unsent.splice(index, 1);
    return update;
  }
  // Skips: two of this client's updates merged with the one between them left out.
  if (roll < 0.28) {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const before = Y.encodeStateVector(doc);
      doc.getMap(pick(VALUE_ROOTS)).set(pick(KEYS), Math.floor(random() * 1000));
      parts.push(Y.encodeStateAsUpdate(doc, before));
    }
    return random() < 0.5 ? Y.mergeUpdates([parts[0]!, parts[2]!]) : Y.mergeUpdates(parts);
  }
  const before = Y.encodeStateVector(doc);
  edit(random, pick, client);
  const update = Y.encodeStateAsUpdate(doc, before);
  if (update.byteLength <= 2) return undefined;
  if (random() < 0.15) {
    // Keep it back to send later (offline), and send something else that may depend on it.
    client.unsent.push(update);
    const again = Y.encodeStateVector(doc);
    doc.getMap(pick(VALUE_ROOTS)).set(pick(KEYS), Math.floor(random() * 100));
    return Y.encodeStateAsUpdate(doc, again);
  }
  void owners;
  return update;
}

/** A random edit of a client's document, allowed or not for its role. */
function edit(random: () => number, pick: <T>(list: readonly T[]) => T, client: Client): void {
  const doc = client.doc;
  const me = client.member.userId;
  const someone = pick(MEMBERS).userId;
  const now = () => new Date(Date.now() - Math.floor(random() * 1e6)).toISOString();
  const threads = doc.getMap<Y.Map<unknown>>('comments');
  const threadIds = [...threads.keys()];
  const r = random();
  try {
    if (r < 0.55) {
      ownEdit(random, pick, client);
      return;
    }
    if (r < 0.55) {
      const value = pick<unknown>([Math.floor(random() * 1000), random() * 100, -5, 1e20, Number.NaN, 'text', 42, 7]);
      doc.getMap(pick(VALUE_ROOTS)).set(random() < 0.05 ? 'k'.repeat(250) : pick(KEYS), value);
    } else if (r < 0.6) {
      doc.getMap(pick(VALUE_ROOTS)).delete(pick(KEYS));
    } else if (r < 0.65) {
      const root = doc.getMap<Y.Map<unknown>>(pick(ENTITY_ROOTS));
      if (random() < 0.5) {
        const entity = new Y.Map<unknown>();
        entity.set('name', 'new');
        if (random() < 0.3) entity.set('nested', new Y.Map<unknown>());
        if (random() < 0.1) entity.set('text', new Y.Text('rich'));
        root.set(`e${Math.floor(random() * 5)}`, entity);
      } else {
        const products = doc.getMap<Y.Map<unknown>>('products');
        const product = products.get(pick(['p1', 'p2']));
        if (product && random() < 0.5) product.set('name', `n${Math.floor(random() * 10)}`);
        else if (product) (product.get('tags') as Y.Array<string> | undefined)?.push(['t']);
        else root.delete(pick(['p1', 'p2', 'e1']));
      }
    } else if (r < 0.68) {
      doc.getMap('meta').set(pick(['name', 'currency', 'cycleStage', 'horizonStart']), pick(['x', 'EUR', 'locked', '2027-01']));
    } else if (r < 0.75) {
      createThread(doc, {
        id: `t${Math.floor(random() * 1e6)}`,
        anchor: pick([{ type: 'plan' }, { type: 'cell', rowId: 'p1', bucket: '2027-01', root: 'sales' }, { type: 'nowhere' }]) as never,
        author: random() < 0.8 ? me : someone,
        text: random() < 0.05 ? 'x'.repeat(10_001) : 'hello',
        messageId: `m${Math.floor(random() * 1e6)}`,
        now: random() < 0.05 ? new Date(Date.now() + 3_600_000).toISOString() : now(),
      });
    } else if (r < 0.82 && threadIds.length > 0) {
      replyToThread(doc, pick(threadIds), {
        id: `r${Math.floor(random() * 1e6)}`,
        author: random() < 0.8 ? me : someone,
        text: 'reply',
        createdAt: now(),
      });
    } else if (r < 0.88 && threadIds.length > 0) {
      const threadId = pick(threadIds);
      const messages = threads.get(threadId)!.get('messages') as Y.Array<Y.Map<unknown>>;
      const message = messages.get(Math.floor(random() * messages.length));
      const messageId = message.get('id') as string;
      const action = random();
      if (action < 0.4) editMessage(doc, threadId, messageId, random() < 0.1 ? 'y'.repeat(10_001) : 'edited', now());
      else if (action < 0.6) deleteMessage(doc, threadId, messageId, now());
      else if (action < 0.75) messages.delete(0, 1);
      else if (action < 0.85) message.set('author', me);
      else message.set('text', 5);
    } else if (r < 0.93 && threadIds.length > 0) {
      const threadId = pick(threadIds);
      const action = random();
      if (action < 0.6) setThreadResolved(doc, threadId, random() < 0.5, random() < 0.8 ? me : someone, now());
      else if (action < 0.75) threads.get(threadId)!.set('createdBy', me);
      else if (action < 0.85) threads.delete(threadId);
      else threads.get(threadId)!.set('extra', new Y.Map());
    } else if (r < 0.96) {
      doc.getMap(pick(['made-up', 'decisions', 'snapshots'])).set('x', 1);
    } else {
      // A few edits in one transaction, across sections.
      doc.transact(() => {
        doc.getMap(pick(VALUE_ROOTS)).set(pick(KEYS), 3);
        doc.getMap(pick(VALUE_ROOTS)).set(pick(KEYS), 4);
      });
    }
  } catch {
    // The helpers throw on a message or thread that is gone: nothing was written.
  }
}

/** An edit the client's role may make (at a stage that has not closed it). */
function ownEdit(random: () => number, pick: <T>(list: readonly T[]) => T, client: Client): void {
  const doc = client.doc;
  const value = Math.floor(random() * 5000);
  const now = new Date(Date.now() - 1000).toISOString();
  switch (client.member.role) {
    case 'sales':
      // Now and then a value the app would never send.
      doc
        .getMap(pick(['sales', 'marketing']))
        .set(pick(KEYS), random() < 0.15 ? pick<unknown>([1e20, -1, Number.NaN, 'many', null]) : value);
      return;
    case 'operations':
      if (random() < 0.7) doc.getMap(pick(['production', 'capacity'])).set(pick(KEYS), value);
      else doc.getMap<Y.Map<unknown>>('products').get('p1')?.set('name', `P ${value}`);
      return;
    case 'finance':
      doc
        .getMap(pick(['prices', 'costs']))
        .set(pick(['p1', 'p2', ...KEYS]), random() < 0.15 ? pick<unknown>([-2, 1e9, 'cheap']) : value / 100);
      return;
    case 'leader':
      if (random() < 0.7) doc.getMap('consensus').set(pick(KEYS), value);
      else doc.getMap('meta').set('name', `Plan ${value}`);
      return;
    case 'admin': {
      const entity = new Y.Map<unknown>();
      entity.set('name', `R ${value}`);
      doc.getMap<Y.Map<unknown>>('resources').set(`r${value % 4}`, entity);
      return;
    }
    case 'commenter':
    case 'viewer': {
      const threads = [...doc.getMap('comments').keys()];
      if (random() < 0.5 && threads.length > 0)
        replyToThread(doc, pick(threads), { id: `r${value}`, author: client.member.userId, text: 'agreed', createdAt: now });
      else
        createThread(doc, {
          id: `t${value}`,
          anchor: { type: 'plan' },
          author: client.member.userId,
          text: 'note',
          messageId: `m${value}`,
          now,
        });
      return;
    }
  }
}

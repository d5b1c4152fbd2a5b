import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { ROLES, type Role } from '@accord/protocol';
import { createThread, replyToThread } from '@accord/plan-model';
import { judgeUpdate, type ClientOwners } from './update-guard.ts';
import { cloneDoc } from './staging-guard.oracle.ts';

/** A live document with one product entity and one sales cell. */
function liveDoc(): Y.Doc {
  const live = new Y.Doc();
  live.transact(() => {
    const product = new Y.Map<unknown>();
    product.set('name', 'Still 1 L');
    live.getMap<Y.Map<unknown>>('products').set('p1', product);
    live.getMap<number>('sales').set('p1|2027-01', 10);
  });
  return live;
}

/** The update a client holding a copy of `live` makes with `edit`. */
function clientUpdate(live: Y.Doc, edit: (doc: Y.Doc) => void): Uint8Array {
  const client = cloneDoc(live);
  const before = Y.encodeStateVector(client);
  edit(client);
  return Y.encodeStateAsUpdate(client, before);
}

const nobody: ClientOwners = () => undefined;

function judge(role: Role, edit: (doc: Y.Doc) => void, options: { userId?: string; owners?: ClientOwners; live?: Y.Doc } = {}) {
  const live = options.live ?? liveDoc();
  return judgeUpdate(
    live,
    clientUpdate(live, edit),
    { role, userId: options.userId ?? 'u1', stage: 'data-gathering' },
    options.owners ?? nobody,
  );
}

/** An update of one client holding one GC struct (no items), as a forger would write it by hand. */
function gcUpdate(client: number, clock: number, length: number): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 1); // clients
  encoding.writeVarUint(encoder, 1); // structs of this client
  encoding.writeVarUint(encoder, client);
  encoding.writeVarUint(encoder, clock);
  encoding.writeUint8(encoder, 0); // info 0: GC
  encoding.writeVarUint(encoder, length);
  encoding.writeVarUint(encoder, 0); // empty delete set
  return encoding.toUint8Array(encoder);
}

describe('update guard (judged from structs)', () => {
  it('accepts a sales forecast edit from sales only', () => {
    const edit = (doc: Y.Doc) => doc.getMap('sales').set('p1|2027-02', 5);
    expect(ROLES.filter((role) => judge(role, edit).type === 'accepted')).toEqual(['sales']);
  });

  it('judges a change inside a nested entity by its root (catalog)', () => {
    const edit = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('products').get('p1')!.set('name', 'Renamed');
    expect(ROLES.filter((role) => judge(role, edit).type === 'accepted')).toEqual(['operations', 'admin']);
  });

  it('judges an overwrite, whose struct names no parent (it follows its origin), by the root of what it replaces', () => {
    const edit = (doc: Y.Doc) => doc.getMap('sales').set('p1|2027-01', 11);
    expect(judge('sales', edit)).toMatchObject({ type: 'accepted', cells: [{ root: 'sales', key: 'p1|2027-01', value: 11 }] });
    expect(judge('finance', edit).type).toBe('forbidden');
  });

  it('judges a deletion like a write', () => {
    const edit = (doc: Y.Doc) => doc.getMap('sales').delete('p1|2027-01');
    expect(judge('finance', edit).type).toBe('forbidden');
    expect(judge('sales', edit)).toMatchObject({
      type: 'accepted',
      changed: true,
      cells: [{ root: 'sales', key: 'p1|2027-01', value: null }],
    });
  });

  it('refuses an update touching an allowed and a forbidden section together', () => {
    const edit = (doc: Y.Doc) =>
      doc.transact(() => {
        doc.getMap('sales').set('p1|2027-03', 1);
        doc.getMap('prices').set('p1', 1);
      });
    expect(judge('sales', edit).type).toBe('forbidden');
  });

  it('never lets a client write server-only roots or invent roots', () => {
    for (const root of ['statistical', 'actuals', 'decisions', 'made-up']) {
      for (const role of ROLES) expect(judge(role, (doc) => doc.getMap(root).set('x', 1)).type).toBe('forbidden');
    }
  });

  it('refuses the cycle keys of meta even to leaders, and lets them rename the plan', () => {
    expect(judge('leader', (doc) => doc.getMap('meta').set('cycleStage', 'locked')).type).toBe('forbidden');
    expect(judge('leader', (doc) => doc.getMap('meta').set('name', 'S&OP May')).type).toBe('accepted');
  });

  it('refuses text, NaN, out-of-range values and oversized keys in value roots', () => {
    expect(judge('sales', (doc) => doc.getMap('sales').set('p1|2027-02', 'lots')).type).toBe('invalid');
    expect(judge('sales', (doc) => doc.getMap('sales').set('p1|2027-02', Number.NaN)).type).toBe('invalid');
    expect(judge('sales', (doc) => doc.getMap('sales').set('p1|2027-02', 1e20))).toMatchObject({
      type: 'invalid',
      reason: expect.stringMatching(/at most 1,000,000,000/),
    });
    expect(judge('sales', (doc) => doc.getMap('sales').set('p1|2027-02', -5)).type).toBe('invalid');
    expect(judge('sales', (doc) => doc.getMap('sales').set('k'.repeat(300), 1)).type).toBe('invalid');
  });

  it('refuses list content under a value root (invisible to every map reader)', () => {
    const live = liveDoc();
    const client = new Y.Doc();
    client.getArray<string>('sales').insert(0, ['x'.repeat(100_000)]);
    const verdict = judgeUpdate(live, Y.encodeStateAsUpdate(client), { role: 'sales', userId: 'u1', stage: 'data-gathering' }, nobody);
    expect(verdict.type).toBe('invalid');
  });

  it('reports an empty update as accepted without change', () => {
    const live = liveDoc();
    const verdict = judgeUpdate(
      live,
      Y.encodeStateAsUpdate(new Y.Doc()),
      { role: 'viewer', userId: 'u1', stage: 'data-gathering' },
      nobody,
    );
    expect(verdict).toEqual({ type: 'accepted', changed: false, roots: [], cells: [], newClients: [] });
  });

  it('takes a sync step 2 that repeats known structs and the whole delete set as no change', () => {
    const live = liveDoc();
    live.getMap('sales').set('p1|2027-01', 12); // deletes the first value: the delete set is not empty
    const client = cloneDoc(live);
    const verdict = judgeUpdate(live, Y.encodeStateAsUpdate(client), { role: 'viewer', userId: 'u1', stage: 'data-gathering' }, nobody);
    expect(verdict).toMatchObject({ type: 'accepted', changed: false });
  });

  it('claims a new client id for the sender and refuses ids another user or the server wrote under', () => {
    const live = liveDoc();
    const client = cloneDoc(live);
    const before = Y.encodeStateVector(client);
    client.getMap('sales').set('p1|2027-02', 5);
    const update = Y.encodeStateAsUpdate(client, before);
    const sender = { role: 'sales' as const, userId: 'u1', stage: 'data-gathering' as const };
    expect(judgeUpdate(live, update, sender, nobody)).toMatchObject({ type: 'accepted', newClients: [client.clientID] });
    expect(judgeUpdate(live, update, sender, () => 'u1')).toMatchObject({ type: 'accepted', newClients: [] });
    expect(judgeUpdate(live, update, sender, () => 'someone-else')).toMatchObject({ type: 'forbidden', reason: /another user/ });
    // Writing on under the server's id (it has structs, nobody owns it).
    const forged = new Y.Doc();
    Y.applyUpdate(forged, Y.encodeStateAsUpdate(live));
    forged.clientID = live.clientID;
    const sv = Y.encodeStateVector(forged);
    forged.getMap('sales').set('p1|2027-03', 1);
    expect(judgeUpdate(live, Y.encodeStateAsUpdate(forged, sv), sender, nobody).type).toBe('forbidden');
  });

  it('refuses a viewer’s GC struct for a made-up client id and one that claims the next clocks of someone else', () => {
    const live = liveDoc();
    const viewer = { role: 'viewer' as const, userId: 'u9', stage: 'data-gathering' as const };
    expect(judgeUpdate(live, gcUpdate(123_456, 0, 1), viewer, nobody).type).toBe('forbidden');
    // The sales client's id is in presence and its clock in the state vector.
    const sales = cloneDoc(live);
    const owners: ClientOwners = (id) => (id === sales.clientID ? 'u1' : undefined);
    expect(judgeUpdate(live, gcUpdate(sales.clientID, 0, 5), viewer, owners).type).toBe('forbidden');
  });

  it('lets a sender’s own GC structs through where its items justify them', () => {
    const live = liveDoc();
    const sales = { role: 'sales' as const, userId: 'u1', stage: 'data-gathering' as const };
    // A new id that brings nothing but GC structs writes nothing anyone may write.
    expect(judgeUpdate(live, gcUpdate(4242, 0, 3), sales, nobody).type).toBe('forbidden');
    // Once the sender wrote items under it, its deleted-and-collected ones may follow as GC.
    Y.applyUpdate(
      live,
      clientUpdate(live, (doc) => {
        doc.clientID = 4242;
        doc.getMap('sales').set('p1|2027-05', 1);
      }),
    );
    expect(judgeUpdate(live, gcUpdate(4242, 1, 3), sales, (id) => (id === 4242 ? 'u1' : undefined)).type).toBe('accepted');
    expect(judgeUpdate(live, gcUpdate(4242, 1, 3), sales, nobody).type).toBe('forbidden');
  });

  it('says an update depends on changes the server lacks (pending), and takes it once they arrived', () => {
    const live = liveDoc();
    const client = cloneDoc(live);
    const sv = Y.encodeStateVector(client);
    client.getMap('sales').set('p1|2027-06', 1); // the offline edit
    const offline = Y.encodeStateAsUpdate(client, sv);
    const sv2 = Y.encodeStateVector(client);
    client.getMap('sales').set('p1|2027-06', 2); // builds on it
    const next = Y.encodeStateAsUpdate(client, sv2);
    const sales = { role: 'sales' as const, userId: 'u1', stage: 'data-gathering' as const };
    expect(judgeUpdate(live, next, sales, nobody).type).toBe('pending');
    expect(judgeUpdate(live, offline, sales, nobody).type).toBe('accepted');
    Y.applyUpdate(live, offline);
    expect(judgeUpdate(live, next, sales, () => 'u1').type).toBe('accepted');
  });

  it('refuses bytes that are not an update', () => {
    const live = liveDoc();
    expect(judgeUpdate(live, new Uint8Array([1, 2, 3, 250]), { role: 'sales', userId: 'u1', stage: 'data-gathering' }, nobody).type).toBe(
      'invalid',
    );
  });

  it('closes sections at the stages that close them', () => {
    const live = liveDoc();
    const update = clientUpdate(live, (doc) => doc.getMap('sales').set('p1|2027-02', 5));
    expect(judgeUpdate(live, update, { role: 'sales', userId: 'u1', stage: 'supply-review' }, nobody).type).toBe('forbidden');
  });

  describe('comments', () => {
    const now = () => new Date().toISOString();
    const withThread = () => {
      const live = liveDoc();
      createThread(live, { id: 't', anchor: { type: 'plan' }, author: 'u1', text: 'hi', messageId: 'm', now: now() });
      return live;
    };

    it('accepts a thread by its author and refuses one signed with another name', () => {
      const create = (author: string) => (doc: Y.Doc) =>
        createThread(doc, { id: 'n', anchor: { type: 'plan' }, author, text: 'hello', messageId: 'x', now: now() });
      expect(judge('commenter', create('u1'))).toMatchObject({ type: 'accepted', roots: ['comments'] });
      expect(judge('commenter', create('u2'))).toMatchObject({ type: 'forbidden', reason: 'a thread must be created by the sender' });
      expect(judge('viewer', create('u1')).type).toBe('forbidden');
    });

    it('accepts a reply by its author and refuses a forged one', () => {
      const live = withThread();
      const reply = (author: string) => (doc: Y.Doc) => replyToThread(doc, 't', { id: 'r', author, text: 'yes', createdAt: now() });
      expect(judge('sales', reply('u2'), { userId: 'u2', live }).type).toBe('accepted');
      expect(judge('sales', reply('u1'), { userId: 'u2', live })).toMatchObject({ type: 'forbidden', reason: /author/ });
    });

    it('lets only the author edit a message, and nobody remove it', () => {
      const live = withThread();
      const messages = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('comments').get('t')!.get('messages') as Y.Array<Y.Map<unknown>>;
      const edit = (doc: Y.Doc) => messages(doc).get(0).set('text', 'hi all');
      expect(judge('sales', edit, { live }).type).toBe('accepted');
      expect(judge('sales', edit, { live, userId: 'u2' })).toMatchObject({ type: 'forbidden', reason: /only its author/ });
      expect(judge('sales', (doc) => messages(doc).delete(0, 1), { live })).toMatchObject({
        type: 'forbidden',
        reason: /cannot be removed/,
      });
      expect(judge('sales', (doc) => doc.getMap('comments').delete('t'), { live })).toMatchObject({
        type: 'forbidden',
        reason: /threads cannot/,
      });
    });

    it('lets anyone who may comment resolve, as themselves', () => {
      const live = withThread();
      const resolve = (by: string) => (doc: Y.Doc) =>
        doc.transact(() => {
          const thread = doc.getMap<Y.Map<unknown>>('comments').get('t')!;
          thread.set('resolved', true);
          thread.set('resolvedBy', by);
        });
      expect(judge('finance', resolve('u3'), { live, userId: 'u3' }).type).toBe('accepted');
      expect(judge('finance', resolve('u1'), { live, userId: 'u3' })).toMatchObject({ type: 'forbidden', reason: /resolvedBy/ });
    });
  });
});

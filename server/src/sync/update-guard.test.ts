import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { ROLES, type Role } from '@accord/protocol';
import { createThread } from '@accord/plan-model';
import { applyToStaging, cloneDoc } from './update-guard.ts';

/** A live document with one product entity, and the update a client with a copy of it makes. */
function scenario(edit: (doc: Y.Doc) => void): { staging: Y.Doc; update: Uint8Array } {
  const live = new Y.Doc();
  live.transact(() => {
    const product = new Y.Map<unknown>();
    product.set('name', 'Still 1 L');
    live.getMap<Y.Map<unknown>>('products').set('p1', product);
    live.getMap<number>('sales').set('p1|2027-01', 10);
  });
  const client = cloneDoc(live);
  const before = Y.encodeStateVector(client);
  edit(client);
  return { staging: cloneDoc(live), update: Y.encodeStateAsUpdate(client, before) };
}

const verdictFor = (role: Role, edit: (doc: Y.Doc) => void) => {
  const { staging, update } = scenario(edit);
  return applyToStaging(staging, update, { role, userId: 'u1' }).type;
};

describe('update guard', () => {
  it('accepts a sales forecast edit from sales only', () => {
    const edit = (doc: Y.Doc) => doc.getMap('sales').set('p1|2027-02', 5);
    const accepted = ROLES.filter((role) => verdictFor(role, edit) === 'accepted');
    expect(accepted).toEqual(['sales']);
  });

  it('judges a change inside a nested entity by its root (catalog)', () => {
    const edit = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('products').get('p1')!.set('name', 'Renamed');
    expect(ROLES.filter((role) => verdictFor(role, edit) === 'accepted')).toEqual(['operations', 'admin']);
  });

  it('judges a deletion like a write', () => {
    const edit = (doc: Y.Doc) => doc.getMap('sales').delete('p1|2027-01');
    expect(verdictFor('finance', edit)).toBe('forbidden');
    expect(verdictFor('sales', edit)).toBe('accepted');
  });

  it('refuses an update touching an allowed and a forbidden section together', () => {
    const edit = (doc: Y.Doc) =>
      doc.transact(() => {
        doc.getMap('sales').set('p1|2027-03', 1);
        doc.getMap('prices').set('p1', 1);
      });
    expect(verdictFor('sales', edit)).toBe('forbidden');
  });

  it('never lets a client write server-only roots or invent roots', () => {
    for (const root of ['statistical', 'actuals', 'decisions', 'made-up']) {
      for (const role of ROLES) expect(verdictFor(role, (doc) => doc.getMap(root).set('x', 1))).toBe('forbidden');
    }
  });

  it('recognises the comments root in a staging copy decoded from bytes (roots typed before decoding)', () => {
    const live = new Y.Doc();
    live.getMap('sales').set('p1|2027-01', 1);
    const client = cloneDoc(live);
    const before = Y.encodeStateVector(client);
    createThread(client, { id: 't', anchor: { type: 'plan' }, author: 'u1', text: 'hi', messageId: 'm', now: new Date().toISOString() });
    const staging = cloneDoc(live, Y.encodeStateAsUpdate(live));
    expect(applyToStaging(staging, Y.encodeStateAsUpdate(client, before), { role: 'commenter', userId: 'u1' })).toMatchObject({
      type: 'accepted',
      roots: ['comments'],
    });
  });

  it('refuses text, NaN and oversized keys in value roots', () => {
    expect(verdictFor('sales', (doc) => doc.getMap('sales').set('p1|2027-02', 'lots'))).toBe('invalid');
    expect(verdictFor('sales', (doc) => doc.getMap('sales').set('p1|2027-02', Number.NaN))).toBe('invalid');
    expect(verdictFor('sales', (doc) => doc.getMap('sales').set('k'.repeat(300), 1))).toBe('invalid');
  });

  it('reports an empty update as accepted without change', () => {
    const { staging } = scenario(() => undefined);
    const verdict = applyToStaging(staging, Y.encodeStateAsUpdate(new Y.Doc()), { role: 'viewer', userId: 'u1' });
    expect(verdict).toEqual({ type: 'accepted', changed: false, roots: [], cells: [] });
  });

  it('refuses bytes that are not an update, and updates with missing dependencies', () => {
    const { staging } = scenario(() => undefined);
    expect(applyToStaging(staging, new Uint8Array([1, 2, 3, 250]), { role: 'sales', userId: 'u1' }).type).toBe('invalid');
    const other = new Y.Doc();
    other.getMap('sales').set('a', 1);
    const first = Y.encodeStateAsUpdate(other);
    const sv = Y.encodeStateVector(other);
    other.getMap('sales').set('b', 2);
    const second = Y.encodeStateAsUpdate(other, sv);
    expect(applyToStaging(cloneDoc(staging), second, { role: 'sales', userId: 'u1' }).type).toBe('invalid');
    expect(applyToStaging(cloneDoc(staging), first, { role: 'sales', userId: 'u1' }).type).toBe('accepted');
  });
});

import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { cellKey, emptyCells, type PlanData } from '@accord/plan-calc';
import { addEntity, moveEntity, orderBetween, retireEntity, updateEntity } from './entities.ts';
import { migratePlanDoc, NewerSchemaError, schemaVersionOf } from './migrations.ts';
import { createThread, deleteMessage, editMessage, readThreads, replyToThread, setThreadResolved } from './comments.ts';
import { rollHorizon } from './horizon.ts';
import { getMeta, readPlanData, setCell, writePlanData } from './plan-doc.ts';
import { SCHEMA_VERSION } from './schema.ts';

const base: PlanData = {
  meta: {
    name: 'P',
    currency: 'EUR',
    bucket: 'month',
    horizonStart: '2027-01',
    horizonBuckets: 12,
    historyBuckets: 24,
    cycleStage: 'demand-review',
    schemaVersion: SCHEMA_VERSION,
  },
  families: { f: { id: 'f', name: 'F', order: 0 } },
  products: {
    a: {
      id: 'a',
      name: 'A',
      familyId: 'f',
      unit: 'cases',
      resourceId: 'r',
      hoursPerUnit: 0.01,
      leadTimeDays: 7,
      safetyStockDays: 10,
      order: 0,
    },
    b: {
      id: 'b',
      name: 'B',
      familyId: 'f',
      unit: 'cases',
      resourceId: 'r',
      hoursPerUnit: 0.01,
      leadTimeDays: 7,
      safetyStockDays: 10,
      order: 1,
    },
  },
  resources: { r: { id: 'r', name: 'R', order: 0 } },
  cells: emptyCells(),
};

/** Replicas that exchange updates only when told, to create real concurrency. */
function replicas(count: number): Y.Doc[] {
  const first = new Y.Doc();
  writePlanData(first, base);
  return Array.from({ length: count }, (_, i) => {
    if (i === 0) return first;
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(first));
    return doc;
  });
}
function syncAll(docs: Y.Doc[]): void {
  for (const a of docs) for (const b of docs) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
}
function seeded(seed: number) {
  return () => (seed = (seed * 16807) % 2147483647) / 2147483647;
}

describe('schema migrations', () => {
  it('migrates a version-1 document: bucket counts renamed, stage and product policies added', () => {
    const doc = new Y.Doc();
    doc.transact(() => {
      const meta = doc.getMap('meta');
      for (const [k, v] of Object.entries({
        name: 'Old',
        currency: 'EUR',
        bucket: 'month',
        horizonStart: '2026-01',
        horizonMonths: 18,
        historyMonths: 24,
        schemaVersion: 1,
      }))
        meta.set(k, v);
      const product = new Y.Map<unknown>();
      product.set('name', 'X');
      doc.getMap('products').set('x', product);
    });
    expect(migratePlanDoc(doc)).toBe(1);
    expect(schemaVersionOf(doc)).toBe(SCHEMA_VERSION);
    expect(getMeta(doc)).toMatchObject({ horizonBuckets: 18, historyBuckets: 24, cycleStage: 'data-gathering' });
    expect(doc.getMap('meta').has('horizonMonths')).toBe(false);
    expect(readPlanData(doc).products.x).toMatchObject({ leadTimeDays: 0, safetyStockDays: 0 });
    expect(migratePlanDoc(doc)).toBe(SCHEMA_VERSION);
  });
  it('refuses a document from a newer version', () => {
    const doc = new Y.Doc();
    doc.getMap('meta').set('schemaVersion', SCHEMA_VERSION + 1);
    expect(() => migratePlanDoc(doc)).toThrow(NewerSchemaError);
  });
});

describe('catalog while others edit', () => {
  it('places a moved row strictly between its new neighbours', () => {
    expect(orderBetween(1, 2)).toBe(1.5);
    expect(orderBetween(undefined, 0)).toBe(-1);
    expect(orderBetween(3, undefined)).toBe(4);
  });
  it('merges a rename and a concurrent move of the same product', () => {
    const [x, y] = replicas(2) as [Y.Doc, Y.Doc];
    updateEntity(x, 'products', 'a', { name: 'A renamed' });
    moveEntity(y, 'products', 'a', 'b', undefined);
    syncAll([x, y]);
    expect(readPlanData(x).products.a).toMatchObject({ name: 'A renamed', order: 2 });
    expect(readPlanData(x)).toEqual(readPlanData(y));
  });
  it('adds and retires products, keeping their cells', () => {
    const [doc] = replicas(1) as [Y.Doc];
    addEntity(doc, 'products', { ...base.products.a!, id: 'c', name: 'C', order: 2 });
    setCell(doc, 'sales', cellKey('c', '2027-01'), 5);
    retireEntity(doc, 'products', 'c');
    const data = readPlanData(doc);
    expect(data.products.c?.retired).toBe(true);
    expect(data.cells.sales['c|2027-01']).toBe(5);
    retireEntity(doc, 'products', 'c', false);
    expect(readPlanData(doc).products.c?.retired).toBeUndefined();
    expect(() => addEntity(doc, 'products', { ...base.products.a!, id: 'c' })).toThrow(/already/);
  });
});

describe('rolling horizon', () => {
  it('starts the horizon one bucket later and reopens the cycle', () => {
    const [doc] = replicas(1) as [Y.Doc];
    rollHorizon(doc);
    expect(getMeta(doc)).toMatchObject({ horizonStart: '2027-02', cycleStage: 'data-gathering', horizonBuckets: 12 });
  });
});

describe('comments', () => {
  it('keeps threads, replies, edits, deletions and resolution', () => {
    const [doc] = replicas(1) as [Y.Doc];
    createThread(doc, {
      id: 't1',
      anchor: { type: 'cell', rowId: 'a', bucket: '2027-01', root: 'sales' },
      author: 'u1',
      text: 'Why so high?',
      messageId: 'm1',
      now: '2026-11-01T10:00:00Z',
    });
    replyToThread(doc, 't1', { id: 'm2', author: 'u2', text: 'Promotion', createdAt: '2026-11-01T10:05:00Z' });
    editMessage(doc, 't1', 'm2', 'Summer promotion', '2026-11-01T10:06:00Z');
    deleteMessage(doc, 't1', 'm1', '2026-11-01T10:07:00Z');
    setThreadResolved(doc, 't1', true, 'u1', '2026-11-01T10:08:00Z');
    const [thread] = readThreads(doc);
    expect(thread).toMatchObject({ id: 't1', createdBy: 'u1', resolved: true, resolvedBy: 'u1' });
    expect(thread!.messages.map((m) => [m.id, m.text, m.deleted ?? false])).toEqual([
      ['m1', '', true],
      ['m2', 'Summer promotion', false],
    ]);
  });
});

describe('convergence', () => {
  it('converges to identical plan data after random concurrent edits across sections', () => {
    const random = seeded(7);
    const docs = replicas(5);
    const roots = ['sales', 'marketing', 'production', 'capacity', 'prices', 'consensus'] as const;
    for (let round = 0; round < 30; round++) {
      for (const doc of docs) {
        for (let edit = 0; edit < 10; edit++) {
          const pick = random();
          const root = roots[Math.floor(random() * roots.length)]!;
          const key = cellKey(random() < 0.5 ? 'a' : 'b', `2027-0${1 + Math.floor(random() * 3)}`);
          if (pick < 0.7) setCell(doc, root, key, Math.round(random() * 1000));
          else if (pick < 0.85) setCell(doc, root, key, null);
          else if (pick < 0.95) updateEntity(doc, 'products', random() < 0.5 ? 'a' : 'b', { name: `n${Math.floor(random() * 100)}` });
          else moveEntity(doc, 'products', 'a', random() < 0.5 ? 'b' : undefined, undefined);
        }
      }
      // Sync a random subset of pairs each round, then everything at the end.
      for (const a of docs)
        for (const b of docs) if (a !== b && random() < 0.3) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
    }
    syncAll(docs);
    const expected = readPlanData(docs[0]!);
    for (const doc of docs.slice(1)) expect(readPlanData(doc)).toEqual(expected);
    expect(Object.keys(expected.cells.sales).length).toBeGreaterThan(0);
  });
});

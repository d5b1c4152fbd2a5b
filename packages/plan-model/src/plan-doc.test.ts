import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { cellKey, emptyCells, VALUE_ROOTS, type PlanData } from '@accord/plan-calc';
import { findCell, readPlanData, setCell, writePlanData } from './plan-doc.ts';
import { ROOTS, SCHEMA_VERSION, sectionOfRoot } from './schema.ts';

const data: PlanData = {
  meta: {
    name: 'Plan',
    currency: 'EUR',
    bucket: 'month',
    horizonStart: '2027-01',
    horizonBuckets: 18,
    historyBuckets: 24,
    cycleStage: 'demand-review',
    schemaVersion: SCHEMA_VERSION,
  },
  families: { f1: { id: 'f1', name: 'Water', order: 0 } },
  products: {
    p1: {
      id: 'p1',
      name: 'Still 1 L',
      familyId: 'f1',
      unit: 'cases',
      resourceId: 'r1',
      hoursPerUnit: 0.002,
      leadTimeDays: 14,
      safetyStockDays: 20,
      order: 0,
    },
  },
  resources: { r1: { id: 'r1', name: 'Line A', order: 0 } },
  cells: { ...emptyCells(), sales: { 'p1|2027-01': 120 }, inventory: { p1: 40 }, capacity: { 'r1|2027-01': 300 } },
};

describe('plan document', () => {
  it('round-trips plain plan data through a Yjs document and its binary state', () => {
    const doc = new Y.Doc();
    writePlanData(doc, data);
    const copy = new Y.Doc();
    Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
    expect(readPlanData(copy)).toEqual(data);
  });

  it('sets, reads and clears cells, refusing non-finite numbers', () => {
    const doc = new Y.Doc();
    writePlanData(doc, data);
    const key = cellKey('p1', '2027-02');
    setCell(doc, 'production', key, 75);
    expect(findCell(doc, 'production', key)).toBe(75);
    setCell(doc, 'production', key, null);
    expect(findCell(doc, 'production', key)).toBeUndefined();
    expect(() => setCell(doc, 'production', key, Number.NaN)).toThrow(RangeError);
  });

  it('assigns every value root of plan-calc to a section, and server-only roots to the server', () => {
    for (const root of VALUE_ROOTS) expect(ROOTS[root as keyof typeof ROOTS].kind).toBe('value');
    expect(sectionOfRoot('statistical')).toBe('server');
    expect(sectionOfRoot('actuals')).toBe('server');
    expect(sectionOfRoot('sales')).toBe('demand');
    expect(sectionOfRoot('toString')).toBeUndefined();
    expect(sectionOfRoot('smuggled')).toBeUndefined();
  });
});

describe('sections agree across packages', () => {
  it("maps every value root to the same section as plan-calc's diff does", async () => {
    const { SECTION_OF_VALUE_ROOT } = await import('@accord/plan-calc');
    for (const root of VALUE_ROOTS) expect(SECTION_OF_VALUE_ROOT[root], root).toBe(ROOTS[root as keyof typeof ROOTS].section);
  });
});

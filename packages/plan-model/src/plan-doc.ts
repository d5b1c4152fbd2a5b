import * as Y from 'yjs';
import {
  VALUE_ROOTS,
  type Cells,
  type Family,
  type PlanData,
  type PlanMeta,
  type Product,
  type Resource,
  type ValueRoot,
} from '@accord/plan-calc';
import { SCHEMA_VERSION } from './schema.ts';

/** Roots holding one nested Y.Map per catalog entity. */
export type EntityRoot = 'families' | 'products' | 'resources';

/** The numeric map behind a value root. */
export function valueMap(doc: Y.Doc, root: ValueRoot): Y.Map<number> {
  return doc.getMap<number>(root);
}

/**
 * Sets (or with `null` clears) one numeric cell in its own transaction.
 * @example setCell(doc, 'sales', cellKey('P01', '2027-01'), 1200)
 */
export function setCell(doc: Y.Doc, root: ValueRoot, key: string, value: number | null, origin?: unknown): void {
  if (value !== null && !Number.isFinite(value)) throw new RangeError(`cell value must be finite: ${value}`);
  doc.transact(() => {
    const map = valueMap(doc, root);
    if (value === null) map.delete(key);
    else if (map.get(key) !== value) map.set(key, value);
  }, origin);
}

/** Reads one numeric cell; undefined when empty. */
export function findCell(doc: Y.Doc, root: ValueRoot, key: string): number | undefined {
  const value = valueMap(doc, root).get(key);
  return typeof value === 'number' ? value : undefined;
}

function readEntities<T>(doc: Y.Doc, root: EntityRoot): Record<string, T> {
  const out: Record<string, T> = {};
  doc.getMap<Y.Map<unknown>>(root).forEach((entity, id) => {
    if (entity instanceof Y.Map) out[id] = { id, ...entity.toJSON() } as T;
  });
  return out;
}

function writeEntities(doc: Y.Doc, root: EntityRoot, items: Record<string, { id: string }>): void {
  const map = doc.getMap<Y.Map<unknown>>(root);
  for (const [id, item] of Object.entries(items)) {
    const entity = new Y.Map<unknown>();
    for (const [field, value] of Object.entries(item)) if (field !== 'id') entity.set(field, value);
    map.set(id, entity);
  }
}

/** Reads the plan settings; throws when the document has none (not a plan document). */
export function getMeta(doc: Y.Doc): PlanMeta {
  const meta = doc.getMap<unknown>('meta').toJSON() as Partial<PlanMeta>;
  if (typeof meta.horizonStart !== 'string' || typeof meta.horizonBuckets !== 'number') {
    throw new Error('document has no plan meta');
  }
  return meta as PlanMeta;
}

/** Converts a plan document to plain data. */
export function readPlanData(doc: Y.Doc): PlanData {
  const cells = {} as Record<ValueRoot, Cells>;
  for (const root of VALUE_ROOTS) cells[root] = valueMap(doc, root).toJSON() as Cells;
  return {
    meta: getMeta(doc),
    families: readEntities<Family>(doc, 'families'),
    products: readEntities<Product>(doc, 'products'),
    resources: readEntities<Resource>(doc, 'resources'),
    cells,
  };
}

/** Writes plain plan data into an empty document in one transaction. */
export function writePlanData(doc: Y.Doc, data: PlanData, origin?: unknown): void {
  doc.transact(() => {
    const meta = doc.getMap<unknown>('meta');
    for (const [field, value] of Object.entries({ ...data.meta, schemaVersion: SCHEMA_VERSION })) meta.set(field, value);
    writeEntities(doc, 'families', data.families);
    writeEntities(doc, 'products', data.products);
    writeEntities(doc, 'resources', data.resources);
    for (const root of VALUE_ROOTS) {
      const map = valueMap(doc, root);
      for (const [key, value] of Object.entries(data.cells[root] ?? {})) map.set(key, value);
    }
  }, origin);
}

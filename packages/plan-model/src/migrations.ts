import * as Y from 'yjs';
import { SCHEMA_VERSION } from './schema.ts';

/** A document written by a newer version of Accord than this code. */
export class NewerSchemaError extends Error {
  override name = 'NewerSchemaError';
}

// Each step takes a document at version N to N + 1 in place. Steps are frozen like SQL
// migrations: a released step never changes, a new layout gets a new step.
const STEPS: Record<number, (doc: Y.Doc) => void> = {
  // v1 → v2: buckets may be weeks, so horizon lengths count buckets; cycle stage; product lead
  // time and safety-stock target.
  1: (doc) => {
    const meta = doc.getMap<unknown>('meta');
    for (const [from, to] of [
      ['horizonMonths', 'horizonBuckets'],
      ['historyMonths', 'historyBuckets'],
    ] as const) {
      if (meta.has(from)) {
        meta.set(to, meta.get(from));
        meta.delete(from);
      }
    }
    if (!meta.has('cycleStage')) meta.set('cycleStage', 'data-gathering');
    doc.getMap<Y.Map<unknown>>('products').forEach((product) => {
      if (!(product instanceof Y.Map)) return;
      if (!product.has('leadTimeDays')) product.set('leadTimeDays', 0);
      if (!product.has('safetyStockDays')) product.set('safetyStockDays', 0);
    });
  },
};

/** The schema version a document was written with (1 for documents from before versioning). */
export function schemaVersionOf(doc: Y.Doc): number {
  const version = doc.getMap<unknown>('meta').get('schemaVersion');
  return typeof version === 'number' ? version : 1;
}

/**
 * Brings a document to the current schema version in one transaction; returns the version it
 * had. Throws NewerSchemaError for a document from a newer Accord, which must not be touched.
 */
export function migratePlanDoc(doc: Y.Doc, origin?: unknown): number {
  const from = schemaVersionOf(doc);
  if (from > SCHEMA_VERSION) throw new NewerSchemaError(`plan document has schema ${from}; this server knows up to ${SCHEMA_VERSION}`);
  if (from === SCHEMA_VERSION) return from;
  doc.transact(() => {
    for (let version = from; version < SCHEMA_VERSION; version++) STEPS[version]!(doc);
    doc.getMap<unknown>('meta').set('schemaVersion', SCHEMA_VERSION);
  }, origin);
  return from;
}

import type * as Y from 'yjs';
import { addBuckets } from '@accord/plan-calc';
import { getMeta } from './plan-doc.ts';

/**
 * Rolls the plan to the next cycle: the horizon starts one bucket later, so the first future
 * bucket becomes history (its actuals arrive through the server). Cells keep their keys, so
 * comments and history anchored to a product and bucket stay where they were.
 */
export function rollHorizon(doc: Y.Doc, origin?: unknown): void {
  const meta = getMeta(doc);
  doc.transact(() => {
    const map = doc.getMap<unknown>('meta');
    map.set('horizonStart', addBuckets(meta.horizonStart, 1));
    map.set('cycleStage', 'data-gathering');
  }, origin);
}

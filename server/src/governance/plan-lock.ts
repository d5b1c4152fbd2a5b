import type * as Y from 'yjs';
import { ErrorCode, isStage, type Stage } from '@accord/protocol';
import { HttpError } from '../errors.ts';

/** The cycle stage a plan document is at (`meta.cycleStage`; data gathering when unset). */
export function stageOf(doc: Y.Doc): Stage {
  const raw = doc.getMap<unknown>('meta').get('cycleStage');
  return isStage(raw) ? raw : 'data-gathering';
}

/** The refusal of a write into a locked plan: 409 `plan_locked` with a sentence saying what was refused and what ends the lock. */
export function planLockedError(what: string): HttpError {
  return new HttpError(
    409,
    ErrorCode.planLocked,
    `The consensus of this cycle is locked, so ${what} cannot change the live plan. Nothing changes it until a leader starts the next cycle.`,
  );
}

/**
 * Throws `planLockedError(what)` when the document is locked. Call it inside the change callback
 * of `applyServerChange` (which stores nothing when the callback throws), so a lock that lands
 * between a check and the write cannot be bypassed; calling it before as well lets a request fail
 * before doing expensive work.
 *
 * @example
 * await room.applyServerChange((doc) => {
 *   assertPlanWritable(doc, 'this import');
 *   applyRows(doc, rows);
 * });
 */
export function assertPlanWritable(doc: Y.Doc, what: string): void {
  if (stageOf(doc) === 'locked') throw planLockedError(what);
}

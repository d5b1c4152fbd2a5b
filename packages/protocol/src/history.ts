import type { ChangeKind } from './change-notes.ts';

/**
 * One change of a plan document: what one person (or the server) did in one go — one typed
 * value, a paste, a spread, an import, a merge — with every cell it changed sharing its `seq`.
 */
export interface ChangeView {
  /** The change's number in the document's sequence (1, 2, 3…). */
  seq: number;
  kind: ChangeKind;
  /** One line in planner words; empty when the client said nothing about it. */
  summary: string;
  userId: string | null;
  userName: string | null;
  at: string;
  /** How many cells it changed. */
  cells: number;
}

/** GET /api/plans/:planId/activity?since=&before=&limit= — changes, newest first. */
export interface ChangeListResponse {
  changes: ChangeView[];
}

/** GET /api/plans/:planId/changes/:seq — one change and the cells it changed. */
export interface ChangeDetailResponse {
  change: ChangeView;
  cells: { root: string; key: string; oldValue: number | null; newValue: number | null }[];
}

import { z } from 'zod';
import { canWrite, type Role, type Section } from './roles.ts';

/** Statuses of a decision's action. */
export const DECISION_STATUSES = ['open', 'in-progress', 'done', 'dropped'] as const;
export type DecisionStatus = (typeof DECISION_STATUSES)[number];

/** Stages of the monthly S&OP cycle, in order (same as plan-calc's CYCLE_STAGES). */
export const STAGES = ['data-gathering', 'demand-review', 'supply-review', 'pre-sop', 'executive', 'locked'] as const;
export type Stage = (typeof STAGES)[number];

const isoDate = z.iso.date({ message: 'Use a date like 2026-12-15' });
const cellRef = z.object({
  root: z.string().min(1).max(40),
  key: z.string().min(1).max(200),
});

/** What a decision concerns: cells, a scenario, a snapshot. */
const DecisionLinksShape = z.object({
  cells: z.array(cellRef).max(100, 'Link at most 100 cells').default([]),
  scenarioId: z.string().max(64).optional(),
  snapshotId: z.string().max(64).optional(),
});
export const DecisionLinks = DecisionLinksShape.default({ cells: [] });
export type DecisionLinks = z.infer<typeof DecisionLinks>;

/** POST /api/plans/:planId/decisions (leaders and admins). */
export const CreateDecisionRequest = z.object({
  title: z.string().trim().min(1, 'A decision needs a title').max(200, 'Titles are at most 200 characters'),
  rationale: z.string().trim().max(5000, 'The rationale is at most 5,000 characters').default(''),
  ownerId: z.string().min(1, 'Choose an owner').max(64),
  dueDate: isoDate,
  status: z.enum(DECISION_STATUSES).default('open'),
  links: DecisionLinks,
});
export type CreateDecisionRequest = z.infer<typeof CreateDecisionRequest>;

/** PATCH /api/decisions/:decisionId: leaders and admins change anything, owners only the status. */
export const UpdateDecisionRequest = z
  .object({
    title: z.string().trim().min(1).max(200),
    rationale: z.string().trim().max(5000),
    ownerId: z.string().min(1).max(64),
    dueDate: isoDate,
    status: z.enum(DECISION_STATUSES),
    // No default here: an absent field means "unchanged", not "no links".
    links: DecisionLinksShape,
  })
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'Send at least one field to change');
export type UpdateDecisionRequest = z.infer<typeof UpdateDecisionRequest>;

/** A decision as the API shows it. */
export interface DecisionView {
  id: string;
  planId: string;
  title: string;
  rationale: string;
  owner: { id: string; name: string };
  dueDate: string;
  status: DecisionStatus;
  overdue: boolean;
  links: DecisionLinks;
  cycle: string;
  decidedBy: { id: string; name: string };
  decidedAt: string;
  updatedAt: string;
}

/** One change in a decision's history. */
export interface DecisionChangeView {
  changedBy: string;
  changedAt: string;
  changes: Record<string, [unknown, unknown]>;
}

/** GET /api/plans/:planId/decisions */
export interface DecisionListResponse {
  decisions: DecisionView[];
}

/** POST /api/plans/:planId/snapshots (leaders): lock the consensus. */
export const LockSnapshotRequest = z.object({
  name: z.string().trim().min(1, 'Name the snapshot').max(200),
});

/** A locked consensus snapshot (without its content). */
export interface SnapshotView {
  id: string;
  planId: string;
  name: string;
  cycle: string;
  lockedBy: { id: string; name: string };
  lockedAt: string;
  contentHash: string;
  previousHash: string | null;
  decisionCount: number;
}

/** GET /api/plans/:planId/snapshots */
export interface SnapshotListResponse {
  snapshots: SnapshotView[];
  baselineSnapshotId: string | null;
}

/** One changed cell in a comparison, biggest changes first. */
export interface ComparedCell {
  section: string;
  root: string;
  rowId: string;
  bucket: string | null;
  from: number | null;
  to: number | null;
  volumeDelta: number;
  valueDelta: number;
}

/** GET /api/plans/:planId/compare?from=&to= (`live` or a snapshot id). */
export interface CompareResponse {
  from: string;
  to: string;
  sections: { section: string; changedCells: number; volumeDelta: number; valueDelta: number }[];
  cells: ComparedCell[];
  truncated: boolean;
}

/** PUT /api/plans/:planId/cycle/stages/:stage (leaders): owner and due date of a stage. */
export const SetStageRequest = z.object({
  ownerId: z.string().min(1).max(64).nullable(),
  dueDate: isoDate.nullable(),
});

/** GET /api/plans/:planId/cycle */
export interface CycleResponse {
  cycle: string;
  stage: Stage;
  stages: { stage: Stage; owner: { id: string; name: string } | null; dueDate: string | null; closed: boolean }[];
  baselineSnapshotId: string | null;
}

/** An inbox entry: a mention of the user or a reply in a thread they take part in. */
export interface InboxItem {
  kind: 'mention' | 'reply';
  planId: string;
  planName: string;
  threadId: string;
  messageId: string;
  author: { id: string; name: string };
  text: string;
  anchor: unknown;
  at: string;
  unread: boolean;
}

/** GET /api/inbox */
export interface InboxResponse {
  items: InboxItem[];
  unreadCount: number;
  lastSeenAt: string | null;
}

/** How a mention is written in a comment's text: `<@userId>` (the web app shows the name). */
export const MENTION_PATTERN = /<@([A-Za-z0-9_-]{1,64})>/g;

/** The plan sections each stage owns: when the cycle moves past a stage, they close. */
export const STAGE_SECTIONS: Readonly<Record<Stage, readonly Section[]>> = {
  'data-gathering': [],
  'demand-review': ['demand'],
  'supply-review': ['supply', 'catalog'],
  'pre-sop': ['finance'],
  executive: ['consensus'],
  locked: [],
};

/** Sections closed at a stage: those owned by the stages before it (all of them once locked). */
export function closedSections(stage: Stage): Section[] {
  const index = STAGES.indexOf(stage);
  return STAGES.slice(0, index === STAGES.indexOf('locked') ? STAGES.length : index).flatMap((s) => [...STAGE_SECTIONS[s]]);
}

/** Whether a role may write a section at a stage of the cycle: closed sections stay open to leaders only. */
export function canWriteAtStage(role: Role, section: Section, stage: Stage): boolean {
  if (!canWrite(role, section)) return false;
  return role === 'leader' || !closedSections(stage).includes(section);
}

/** Type guard for a stage name read from storage or a document. */
export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

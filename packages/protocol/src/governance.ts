import { z } from 'zod';
import { canWrite, ROLES, SECTIONS, type Role, type Section } from './roles.ts';

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
  changedByName: string;
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
  /**
   * Locking is the executive stage's act. From an earlier stage the leader may close the stages
   * still open and lock in one step by saying so; otherwise the lock is refused (409).
   */
  closeRemaining: z.boolean().default(false),
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
  /** The layer in planner words ("Sales forecast"). */
  layer: string;
  rowId: string;
  /** The product, family or line the cell belongs to, by name. */
  rowName: string;
  familyId: string | null;
  familyName: string | null;
  bucket: string | null;
  /**
   * The layer's value in effect on each side: an empty sales forecast shows the statistical
   * forecast it followed and an empty consensus the demand beneath it (`fromFollows`/`toFollows`
   * say so); null when there was nothing.
   */
  from: number | null;
  to: number | null;
  fromFollows: 'statistical' | 'demand' | null;
  toFollows: 'statistical' | 'demand' | null;
  volumeDelta: number;
  valueDelta: number;
}

/** GET /api/plans/:planId/compare?from=&to=&family=&root=&offset=&limit= (`live` or a snapshot id). */
export const CompareQuery = z.object({
  from: z.string().min(1).max(64),
  to: z.string().min(1).max(64).default('live'),
  /** Only cells of this family's products. */
  family: z.string().min(1).max(64).optional(),
  /** Only cells of this layer (document root). */
  root: z.string().min(1).max(40).optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
export type CompareQuery = z.infer<typeof CompareQuery>;

/** What changed in one section of the plan between two versions. */
export interface SectionTotals {
  changedCells: number;
  volumeDelta: number;
  /** The plan's value change (quantities at price, price and cost changes on the demand they apply to); budget changes are not in it. */
  valueDelta: number;
  /** How the budget (a target) moved, in currency. */
  budgetDelta: number;
}

/** GET /api/plans/:planId/compare: the changed cells sorted by value impact (then volume), one page of them. */
export interface CompareResponse {
  from: string;
  to: string;
  /** The newer version's currency (ISO 4217 code): value changes and budget changes are in it. */
  currency: string;
  /** Totals per section, over every change (not only the page, not filtered). */
  sections: ({ section: string } & SectionTotals)[];
  /** Totals per family and layer over the filtered changes, biggest value impact first: the grouped view. */
  groups: {
    familyId: string | null;
    familyName: string | null;
    root: string;
    layer: string;
    changedCells: number;
    volumeDelta: number;
    valueDelta: number;
  }[];
  cells: ComparedCell[];
  /** Changed cells matching the filters; `cells` is the page from `offset`. */
  total: number;
  offset: number;
  /** There are more matching cells after this page. */
  truncated: boolean;
  /** Families and layers that have changes, for the filters. */
  families: { id: string; name: string }[];
  layers: { root: string; label: string }[];
}

/** PUT /api/plans/:planId/cycle/stages/:stage (leaders and admins): owner and due date of a stage. */
export const SetStageRequest = z.object({
  ownerId: z.string().min(1).max(64).nullable(),
  dueDate: isoDate.nullable(),
});
export type SetStageRequest = z.infer<typeof SetStageRequest>;

/** PUT /api/plans/:planId/cycle/stages (leaders and admins): owners and due dates of several stages at once, checked together. */
export const SetStagesRequest = z.object({
  stages: z
    .array(SetStageRequest.extend({ stage: z.enum(STAGES) }))
    .min(1, 'Send at least one stage')
    .max(STAGES.length),
});
export type SetStagesRequest = z.infer<typeof SetStagesRequest>;

/** POST /api/plans/:planId/cycle/advance (leaders): closes the current stage. `stage` guards against closing a stage that moved meanwhile. */
export const CloseStageRequest = z.object({ stage: z.enum(STAGES).optional() });

/** POST /api/plans/:planId/cycle/reopen (leaders): reopens the last closed stage, with the reason on record. */
export const ReopenStageRequest = z.object({
  reason: z.string().trim().min(3, 'Say why the stage is reopened').max(500, 'The reason is at most 500 characters'),
});
export type ReopenStageRequest = z.infer<typeof ReopenStageRequest>;

/** What happened to the cycle: a stage closed or reopened, the consensus locked, the next cycle started. */
export interface CycleEventView {
  action: 'close' | 'reopen' | 'lock' | 'roll';
  /** The stage closed or reopened; for lock, the executive stage; for roll, the new cycle's first stage. */
  stage: Stage;
  reason: string | null;
  by: { id: string; name: string } | null;
  at: string;
}

/** One stage of the cycle with its owner and due date. */
export interface CycleStageView {
  stage: Stage;
  owner: { id: string; name: string } | null;
  dueDate: string | null;
  closed: boolean;
  /** Not closed and past its due date. */
  overdue: boolean;
}

/** GET /api/plans/:planId/cycle */
export interface CycleResponse {
  cycle: string;
  stage: Stage;
  stages: CycleStageView[];
  baselineSnapshotId: string | null;
  /** What happened in this cycle, oldest first. */
  events: CycleEventView[];
  /** The snapshot that locked this cycle, when the stage is locked. */
  lockedSnapshot: { id: string; name: string; lockedBy: { id: string; name: string }; lockedAt: string } | null;
}

/** What an inbox entry is about. */
export const INBOX_KINDS = ['mention', 'reply', 'decision-assigned', 'decision-status', 'stage-opened'] as const;
export type InboxKind = (typeof INBOX_KINDS)[number];

/**
 * An inbox entry: a mention of the user or a reply in a thread they take part in (from the
 * comments), a decision assigned to them or whose status changed (they decided it), or a stage
 * they own that opened.
 */
export interface InboxItem {
  /** Stable id of the entry, to mark it read (`comment:…` or `note:…`). */
  id: string;
  kind: InboxKind;
  planId: string;
  planName: string;
  /** Who caused it (the comment's author, who assigned or moved the decision, who closed the stage); null for the server. */
  author: { id: string; name: string } | null;
  /** The comment's text (mentions as `<@userId>`), or a sentence saying what happened. */
  text: string;
  at: string;
  unread: boolean;
  /** Comments: the thread and message, and the thread's anchor (plan, row or cell). */
  threadId?: string;
  messageId?: string;
  anchor?: unknown;
  /** Decisions: the decision concerned. */
  decisionId?: string;
  /** Stages: the stage that opened. */
  stage?: Stage;
}

/** GET /api/inbox */
export interface InboxResponse {
  items: InboxItem[];
  unreadCount: number;
  lastSeenAt: string | null;
}

/** POST /api/inbox/read: marks entries read (opening one does). */
export const MarkInboxReadRequest = z.object({ ids: z.array(z.string().min(1).max(300)).min(1).max(200) });

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

/**
 * Sections still open once the consensus is locked: only the discussion. Comments are not plan
 * figures, the locked snapshot keeps what they said at the lock, and a locked plan is exactly when
 * people ask why a number was agreed (docs/decisions.md, "The lock").
 */
export const OPEN_WHEN_LOCKED: readonly Section[] = ['comments'];

/** Stage names as planners read them. */
export const STAGE_LABELS: Readonly<Record<Stage, string>> = {
  'data-gathering': 'Data gathering',
  'demand-review': 'Demand review',
  'supply-review': 'Supply review',
  'pre-sop': 'Pre-S&OP',
  executive: 'Executive meeting',
  locked: 'Locked',
};

/** What each section holds, in planner words (for confirmations and refusals). */
export const SECTION_LABELS: Readonly<Record<Section, string>> = {
  plan: 'plan settings',
  catalog: 'catalog (products, families, lines)',
  demand: 'demand (sales forecast, marketing)',
  supply: 'supply (production, capacity, inventory)',
  finance: 'finance (prices, costs, budget)',
  consensus: 'consensus',
  comments: 'comments',
  server: 'actuals and the statistical baseline',
};

/**
 * Sections closed at a stage: those owned by the stages before it. Once locked, every section but
 * those in OPEN_WHEN_LOCKED, for everyone (leaders included).
 */
export function closedSections(stage: Stage): Section[] {
  if (stage === 'locked') return SECTIONS.filter((section) => !OPEN_WHEN_LOCKED.includes(section));
  return STAGES.slice(0, STAGES.indexOf(stage)).flatMap((s) => [...STAGE_SECTIONS[s]]);
}

/**
 * Whether a role may write a section at a stage of the cycle. Sections of closed stages stay open
 * to leaders only; once the consensus is locked nobody writes the plan (comments stay open).
 */
export function canWriteAtStage(role: Role, section: Section, stage: Stage): boolean {
  if (!canWrite(role, section)) return false;
  if (stage === 'locked') return OPEN_WHEN_LOCKED.includes(section);
  return role === 'leader' || !closedSections(stage).includes(section);
}

/** What closing a stage does: the sections that become read-only and, per section, who loses the right to edit it. */
export interface StageClosing {
  stage: Stage;
  /** The stage the cycle moves to. */
  next: Stage;
  sections: { section: Section; label: string; closedFor: Role[] }[];
}

/**
 * What closing `stage` makes read-only, and for whom (every role that may write the section
 * except leaders, who keep it until the lock). Locking (closing the executive stage) closes
 * everything for everyone.
 */
export function stageClosing(stage: Stage): StageClosing | undefined {
  const next = STAGES[STAGES.indexOf(stage) + 1];
  if (next === undefined) return undefined;
  const before = closedSections(stage);
  const after = closedSections(next);
  const sections = after
    .filter((section) => !before.includes(section) && section !== 'server')
    .map((section) => ({
      section,
      label: SECTION_LABELS[section],
      closedFor: ROLES.filter((role) => canWrite(role, section) && !canWriteAtStage(role, section, next)),
    }));
  return { stage, next, sections };
}

/** The stages from `from` up to the executive stage: what "close the remaining stages and lock" closes. */
export function stagesToLock(from: Stage): Stage[] {
  const index = STAGES.indexOf(from);
  return STAGES.slice(index, STAGES.indexOf('locked'));
}

/** Type guard for a stage name read from storage or a document. */
export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

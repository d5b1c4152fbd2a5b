import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { Role } from '@accord/protocol';

// Timestamps are ISO-8601 UTC strings: they sort as text, read well in a SQL shell and move to
// PostgreSQL unchanged. Binary columns are Uint8Array (BLOB in SQLite, BYTEA in PostgreSQL).

export interface UserTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: string;
}

export interface SessionTable {
  id: string;
  user_id: string;
  /** SHA-256 of the token's secret half; the secret itself is never stored. */
  secret_hash: Uint8Array;
  created_at: string;
  expires_at: string;
}

export interface WorkspaceTable {
  id: string;
  name: string;
  created_at: string;
}

export interface MembershipTable {
  workspace_id: string;
  user_id: string;
  role: Role;
  created_at: string;
}

export interface PlanTable {
  id: string;
  workspace_id: string;
  name: string;
  created_at: string;
  updated_at: string;
  /** The locked snapshot this cycle is compared with (the previous consensus). */
  baseline_snapshot_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The document's `meta.cycleStage`, mirrored by the cycle actions; null until first read from the document. */
  cycle_stage: ColumnType<string | null, string | null | undefined, string | null>;
  /** The document's `meta.horizonStart` (the cycle), mirrored with the stage. */
  cycle: ColumnType<string | null, string | null | undefined, string | null>;
}

/** The compacted state of a Yjs document (one per plan, later per scenario). */
export interface DocumentStateTable {
  document_id: string;
  state: Uint8Array;
  updated_at: string;
  /** The state includes every update of the document up to this sequence number. */
  through_seq: ColumnType<number, number | undefined, number>;
}

/** The last sequence number given to an update of each document. */
export interface DocumentHeadTable {
  document_id: string;
  seq: number;
}

/** One accepted change of a document: who, when, how, in planner words; its cells share `seq` in cell_history. */
export interface DocumentChangeTable {
  document_id: string;
  seq: number;
  user_id: string | null;
  created_at: string;
  kind: string;
  summary: string;
  cells: number;
}

/** The user each Yjs client id of a document belongs to (ids written by the server have none). */
export interface DocumentClientTable {
  document_id: string;
  client_id: number;
  user_id: string;
}

/** Accepted updates not yet folded into the document's state, in the order they were accepted. */
export interface DocumentUpdateTable {
  id: Generated<number>;
  document_id: string;
  /** Per-document, gap-free: 1, 2, 3… in the order the updates were accepted. */
  seq: number;
  data: Uint8Array;
  user_id: string | null;
  created_at: string;
}

/** Administrative actions: who did what to whom, from the web or the command line. */
export interface AuditLogTable {
  id: Generated<number>;
  actor: string;
  action: string;
  target: string | null;
  details: string | null;
  created_at: string;
}

/** A changed cell of an accepted update: section root, key, old → new, who, when. */
export interface CellHistoryTable {
  id: Generated<number>;
  document_id: string;
  root: string;
  cell_key: string;
  old_value: number | null;
  new_value: number | null;
  user_id: string | null;
  created_at: string;
  /** The change (document_changes) this cell belongs to; null for history recorded before changes were. */
  seq: ColumnType<number | null, number | null | undefined, number | null>;
}

/** A personal API token; the secret half is stored only as a SHA-256. */
export interface ApiTokenTable {
  id: string;
  user_id: string;
  name: string;
  secret_hash: Uint8Array;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CommentMessageTable {
  document_id: string;
  thread_id: string;
  message_id: string;
  author_id: string;
  thread_author_id: string;
  text: string;
  /** JSON of the thread's anchor (plan, row or cell). */
  anchor: string;
  created_at: string;
  deleted: number;
}

export interface CommentMentionTable {
  document_id: string;
  thread_id: string;
  message_id: string;
  user_id: string;
}

export interface InboxReadTable {
  user_id: string;
  last_seen_at: string;
}

export interface DecisionTable {
  id: string;
  plan_id: string;
  title: string;
  rationale: string;
  owner_id: string;
  /** YYYY-MM-DD */
  due_date: string;
  status: 'open' | 'in-progress' | 'done' | 'dropped';
  /** JSON: the cells, scenario and snapshot the decision concerns. */
  links: string;
  /** The cycle (horizon start) in which it was taken. */
  cycle: string;
  decided_by: string;
  decided_at: string;
  updated_at: string;
}

export interface DecisionHistoryTable {
  id: Generated<number>;
  decision_id: string;
  changed_by: string;
  changed_at: string;
  /** JSON: field → [old, new]. */
  changes: string;
}

export interface SnapshotTable {
  id: string;
  /** Position in the global hash chain, from 1. */
  chain_index: number;
  plan_id: string;
  name: string;
  cycle: string;
  locked_by: string;
  locked_at: string;
  /** The plan document's full encoded state. */
  state: Uint8Array;
  /** JSON of the computed plan tables at lock time. */
  tables: string;
  /** JSON of the decisions taken in the cycle. */
  decisions: string;
  previous_hash: string | null;
  content_hash: string;
}

export interface CycleStageTable {
  plan_id: string;
  stage: string;
  owner_id: string | null;
  due_date: string | null;
}

/** A what-if copy of a plan: its own Yjs document (id = scenario id), forked from the live plan or a snapshot. */
export interface ScenarioTable {
  id: string;
  plan_id: string;
  name: string;
  description: string;
  owner_id: string;
  status: 'active' | 'archived';
  /** 'live' or the id of the snapshot it was forked from. */
  forked_from: string;
  /** The plan's encoded state at the fork (the base of the three-way merge view). */
  fork_state: Uint8Array;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface BaselineRunTable {
  plan_id: string;
  state: 'idle' | 'running' | 'done' | 'failed';
  /** JSON: the BaselineStatus of @accord/protocol. */
  status: string;
  updated_at: string;
  /** The instance running the plan's baseline (null: none), until `lease_expires_at` unless it renews. */
  lease_owner: string | null;
  /** ISO-8601 UTC, by the database's clock. */
  lease_expires_at: string | null;
  /** JSON: a run asked for on another instance while the lease was held, for the holder to run next. */
  queued: string | null;
}

export interface BaselineFitTable {
  plan_id: string;
  product_id: string;
  /** JSON: the BaselineProductFit of @accord/protocol. */
  fit: string;
}

/** A change a baseline run or a restore made to a plan's statistical layer. */
export interface BaselineChangeTable {
  id: string;
  plan_id: string;
  kind: 'run' | 'restore';
  finished_at: string;
  /** JSON: the StoredChange of forecasting/baseline.repository.ts. */
  record: string;
  /** Gzipped JSON: every changed cell with its value before and after. */
  cells: Uint8Array;
  /** Gzipped JSON: the per-product fits that were current before the change. */
  fits_before: Uint8Array;
  restored_at: string | null;
  restored_by: string | null;
  restored_by_change: string | null;
}

/** Something that happened to a plan's cycle: a stage closed or reopened, the lock, the next cycle. */
export interface CycleEventTable {
  id: string;
  plan_id: string;
  cycle: string;
  action: 'close' | 'reopen' | 'lock' | 'roll';
  stage: string;
  reason: string | null;
  user_id: string | null;
  created_at: string;
}

/** An inbox entry that is not a comment: a decision assigned or moved, a stage opened. */
export interface NotificationTable {
  id: string;
  user_id: string;
  plan_id: string;
  kind: 'decision-assigned' | 'decision-status' | 'stage-opened';
  /** The decision id, or the stage name. */
  subject_id: string;
  text: string;
  actor_id: string | null;
  created_at: string;
  read_at: string | null;
}

/** A comment entry of the inbox its reader opened. */
export interface InboxItemReadTable {
  user_id: string;
  item_id: string;
  read_at: string;
}

/** When a member last opened a plan. */
export interface PlanVisitTable {
  user_id: string;
  plan_id: string;
  visited_at: string;
}

/** An invitation to a workspace; the link's secret is stored only as a SHA-256. */
export interface InvitationTable {
  id: string;
  workspace_id: string;
  email: string;
  role: Role;
  secret_hash: Uint8Array;
  created_by: string | null;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  accepted_by: string | null;
  revoked_at: string | null;
}

export interface Database {
  users: UserTable;
  sessions: SessionTable;
  workspaces: WorkspaceTable;
  memberships: MembershipTable;
  plans: PlanTable;
  document_states: DocumentStateTable;
  document_updates: DocumentUpdateTable;
  document_heads: DocumentHeadTable;
  document_changes: DocumentChangeTable;
  document_clients: DocumentClientTable;
  audit_log: AuditLogTable;
  cell_history: CellHistoryTable;
  api_tokens: ApiTokenTable;
  comment_messages: CommentMessageTable;
  comment_mentions: CommentMentionTable;
  inbox_reads: InboxReadTable;
  decisions: DecisionTable;
  decision_history: DecisionHistoryTable;
  snapshots: SnapshotTable;
  cycle_stages: CycleStageTable;
  scenarios: ScenarioTable;
  baseline_runs: BaselineRunTable;
  baseline_fits: BaselineFitTable;
  baseline_changes: BaselineChangeTable;
  cycle_events: CycleEventTable;
  notifications: NotificationTable;
  inbox_item_reads: InboxItemReadTable;
  plan_visits: PlanVisitTable;
  invitations: InvitationTable;
}

export type User = Selectable<UserTable>;
export type Session = Selectable<SessionTable>;
export type Plan = Selectable<PlanTable>;
export type NewAuditEntry = Insertable<AuditLogTable>;
export type ApiToken = Selectable<ApiTokenTable>;
export type NewCellChange = Insertable<CellHistoryTable>;
export type Decision = Selectable<DecisionTable>;
export type Snapshot = Selectable<SnapshotTable>;
export type Scenario = Selectable<ScenarioTable>;
export type CycleEvent = Selectable<CycleEventTable>;
export type Notification = Selectable<NotificationTable>;
export type Invitation = Selectable<InvitationTable>;

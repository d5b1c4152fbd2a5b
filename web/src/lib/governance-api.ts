import type {
  CompareQuery,
  CompareResponse,
  CreateDecisionRequest,
  CycleResponse,
  DecisionChangeView,
  DecisionListResponse,
  DecisionStatus,
  DecisionView,
  InboxItem,
  InboxResponse,
  MemberListResponse,
  SetStagesRequest,
  SnapshotListResponse,
  SnapshotView,
  Stage,
} from '@accord/protocol';
import { api } from './api.ts';
import { describeAnchor } from './comments.ts';

const plan = (planId: string) => `/api/plans/${encodeURIComponent(planId)}`;

/** The plan's cycle: stage, owners, due dates, baseline. */
export function getCycle(planId: string): Promise<CycleResponse> {
  return api<CycleResponse>('GET', `${plan(planId)}/cycle`);
}

/** Closes the current stage (leaders); `stage` is the one the leader confirmed, refused if the plan moved on. */
export function closeStage(planId: string, stage: Stage): Promise<CycleResponse> {
  return api<CycleResponse>('POST', `${plan(planId)}/cycle/advance`, { stage });
}

/** Reopens the last closed stage (leaders), with the reason on record. */
export function reopenStage(planId: string, reason: string): Promise<CycleResponse> {
  return api<CycleResponse>('POST', `${plan(planId)}/cycle/reopen`, { reason });
}

/** Sets owners and due dates of stages, checked together (leaders and admins). */
export function setStages(planId: string, stages: SetStagesRequest['stages']): Promise<CycleResponse> {
  return api<CycleResponse>('PUT', `${plan(planId)}/cycle/stages`, { stages });
}

/** Starts the next cycle of a locked plan (leaders). */
export function rollCycle(planId: string): Promise<CycleResponse> {
  return api<CycleResponse>('POST', `${plan(planId)}/cycle/roll`);
}

/** Decisions of a plan, with optional filters. */
export function listDecisions(
  planId: string,
  filter: { owner?: string; status?: DecisionStatus | ''; overdue?: boolean },
): Promise<DecisionListResponse> {
  const query = new URLSearchParams();
  if (filter.owner) query.set('owner', filter.owner);
  if (filter.status) query.set('status', filter.status);
  if (filter.overdue) query.set('overdue', 'true');
  return api<DecisionListResponse>('GET', `${plan(planId)}/decisions?${query}`);
}

/** Records a decision (leaders and admins), optionally linked to cells (`{root, key}`), a scenario or a snapshot. */
export function createDecision(
  planId: string,
  input: Omit<CreateDecisionRequest, 'links' | 'status'> & { links?: Partial<CreateDecisionRequest['links']> },
): Promise<DecisionView> {
  return api<DecisionView>('POST', `${plan(planId)}/decisions`, input);
}

/** Changes a decision's status (its owner, leaders and admins). */
export function setDecisionStatus(decisionId: string, status: DecisionStatus): Promise<DecisionView> {
  return api<DecisionView>('PATCH', `/api/decisions/${encodeURIComponent(decisionId)}`, { status });
}

/** Locked snapshots of a plan and its comparison baseline. */
export function listSnapshots(planId: string): Promise<SnapshotListResponse> {
  return api<SnapshotListResponse>('GET', `${plan(planId)}/snapshots`);
}

/** Locks the consensus (leaders); before the executive stage only with `closeRemaining`. */
export function lockSnapshot(planId: string, name: string, closeRemaining = false): Promise<SnapshotView> {
  return api<SnapshotView>('POST', `${plan(planId)}/snapshots`, { name, closeRemaining });
}

/** What changed between two versions (`live` or snapshot ids): one page, filtered by family and layer. */
export function compareVersions(
  planId: string,
  query: Pick<CompareQuery, 'from' | 'to'> & Partial<Pick<CompareQuery, 'family' | 'root' | 'offset' | 'limit'>>,
): Promise<CompareResponse> {
  const params = new URLSearchParams({ from: query.from, to: query.to });
  if (query.family) params.set('family', query.family);
  if (query.root) params.set('root', query.root);
  if (query.offset) params.set('offset', String(query.offset));
  if (query.limit) params.set('limit', String(query.limit));
  return api<CompareResponse>('GET', `${plan(planId)}/compare?${params}`);
}

/** Every change of a decision: who, when, what. */
export async function getDecisionHistory(decisionId: string): Promise<DecisionChangeView[]> {
  return (await api<{ history: DecisionChangeView[] }>('GET', `/api/decisions/${encodeURIComponent(decisionId)}/history`)).history;
}

/** Members of a workspace (for owner pickers and names). */
export function listMembers(workspaceId: string): Promise<MemberListResponse> {
  return api<MemberListResponse>('GET', `/api/workspaces/${encodeURIComponent(workspaceId)}/members`);
}

/** The signed-in user's inbox. */
export function getInbox(): Promise<InboxResponse> {
  return api<InboxResponse>('GET', '/api/inbox');
}

/** Marks every inbox entry up to now as seen. */
export async function markInboxSeen(): Promise<void> {
  await api<void>('POST', '/api/inbox/seen');
  announceInboxChange();
}

/** Marks entries read (opening one does). */
export async function markInboxRead(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await api<void>('POST', '/api/inbox/read', { ids: ids.slice(0, 200) });
  announceInboxChange();
}

/** The inbox ids of a thread's messages (to mark a thread read when it is opened). */
export function threadItemIds(planId: string, threadId: string, messageIds: readonly string[]): string[] {
  return messageIds.map((messageId) => `comment:${planId}:${threadId}:${messageId}`);
}

const INBOX_CHANGED = 'accord:inbox-changed';

/** Tells every unread count on the page (and in other tabs) to fetch again. */
export function announceInboxChange(): void {
  window.dispatchEvent(new Event(INBOX_CHANGED));
  try {
    localStorage.setItem(INBOX_CHANGED, String(Date.now()));
  } catch {
    // Other tabs catch up on their next poll.
  }
}

/** Calls `listener` when the inbox changed here or in another tab; returns the unsubscribe. */
export function onInboxChange(listener: () => void): () => void {
  const onStorage = (event: StorageEvent) => event.key === INBOX_CHANGED && listener();
  window.addEventListener(INBOX_CHANGED, listener);
  window.addEventListener('storage', onStorage);
  return () => {
    window.removeEventListener(INBOX_CHANGED, listener);
    window.removeEventListener('storage', onStorage);
  };
}

/** Download links of a version's exports. */
export function exportLinks(planId: string, version: string): { xlsx: string; pdf: string } {
  const v = encodeURIComponent(version);
  return { xlsx: `${plan(planId)}/export.xlsx?version=${v}`, pdf: `${plan(planId)}/summary.pdf?version=${v}` };
}

/** Shows `<@userId>` mentions as `@Name` with the names the caller knows. */
export function renderMentions(text: string, names: ReadonlyMap<string, string>): string {
  return text.replace(/<@([A-Za-z0-9_-]{1,64})>/g, (_, id: string) => `@${names.get(id) ?? 'someone'}`);
}

/**
 * Where an inbox entry's comment sits, in the grid's words with the SKU by its code
 * ("SPA-001 · Sales forecast · Apr 27", or the row): null for a thread on the whole plan.
 */
export function inboxAnchorLabel(item: InboxItem): string | null {
  const anchor = (item.anchor ?? {}) as { type?: unknown; rowId?: unknown; bucket?: unknown; root?: unknown };
  if (typeof anchor.rowId !== 'string') return null;
  if (anchor.type === 'row') return describeAnchor({ type: 'row', rowId: anchor.rowId });
  if (anchor.type === 'cell' && typeof anchor.bucket === 'string' && typeof anchor.root === 'string')
    return describeAnchor({ type: 'cell', rowId: anchor.rowId, bucket: anchor.bucket, root: anchor.root });
  return null;
}

/** The query that opens a plan at an inbox item's thread, and at its cell when anchored to one. */
export function inboxFocusQuery(item: InboxItem): string {
  if (!item.threadId) return '';
  const anchor = (item.anchor ?? {}) as { type?: string; rowId?: string; bucket?: string; root?: string };
  const query = new URLSearchParams({ thread: item.threadId });
  if (anchor.type === 'cell' && anchor.rowId && anchor.bucket)
    query.set('cell', `${anchor.root ?? 'sales'}:${anchor.rowId}|${anchor.bucket}`);
  return `?${query.toString()}`;
}

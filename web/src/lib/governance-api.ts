import type {
  CompareResponse,
  CreateDecisionRequest,
  CycleResponse,
  DecisionListResponse,
  DecisionStatus,
  DecisionView,
  InboxItem,
  InboxResponse,
  MemberListResponse,
  SnapshotListResponse,
  SnapshotView,
} from '@accord/protocol';
import { api } from './api.ts';

const plan = (planId: string) => `/api/plans/${encodeURIComponent(planId)}`;

/** The plan's cycle: stage, owners, due dates, baseline. */
export function getCycle(planId: string): Promise<CycleResponse> {
  return api<CycleResponse>('GET', `${plan(planId)}/cycle`);
}

/** Moves the cycle to its next stage (leaders). */
export function advanceStage(planId: string): Promise<CycleResponse> {
  return api<CycleResponse>('POST', `${plan(planId)}/cycle/advance`);
}

/** Rolls a locked plan to the next cycle (leaders). */
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

/** Locks the consensus (leaders). */
export function lockSnapshot(planId: string, name: string): Promise<SnapshotView> {
  return api<SnapshotView>('POST', `${plan(planId)}/snapshots`, { name });
}

/** What changed between two versions (`live` or snapshot ids). */
export function compareVersions(planId: string, from: string, to: string): Promise<CompareResponse> {
  return api<CompareResponse>('GET', `${plan(planId)}/compare?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
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
export function markInboxSeen(): Promise<void> {
  return api<void>('POST', '/api/inbox/seen');
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

/** The query that opens a plan at an inbox item's thread, and at its cell when anchored to one. */
export function inboxFocusQuery(item: InboxItem): string {
  const anchor = item.anchor as { type?: string; rowId?: string; bucket?: string; root?: string };
  const query = new URLSearchParams({ thread: item.threadId });
  if (anchor.type === 'cell' && anchor.rowId && anchor.bucket)
    query.set('cell', `${anchor.root ?? 'sales'}:${anchor.rowId}|${anchor.bucket}`);
  return `?${query.toString()}`;
}

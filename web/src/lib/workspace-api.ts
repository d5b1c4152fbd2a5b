import type {
  CellChangeView,
  CellChangesResponse,
  CreateInvitationResponse,
  CreatePlanRequest,
  CreatePlanResponse,
  InvitationInfo,
  InvitationListResponse,
  MeResponse,
  Role,
} from '@accord/protocol';
import { api } from './api.ts';

const workspace = (workspaceId: string) => `/api/workspaces/${encodeURIComponent(workspaceId)}`;

/** Starts a plan: a copy of another, from a locked snapshot, or empty (leaders and admins). */
export function createPlan(workspaceId: string, request: CreatePlanRequest): Promise<CreatePlanResponse> {
  return api<CreatePlanResponse>('POST', `${workspace(workspaceId)}/plans`, request);
}

/** Changes a member's role (admins). */
export function changeRole(workspaceId: string, email: string, role: Role): Promise<void> {
  return api<void>('PUT', `${workspace(workspaceId)}/members`, { email, role });
}

/** Removes a member from the workspace (admins); their account stays. */
export function removeMember(workspaceId: string, email: string): Promise<void> {
  return api<void>('DELETE', `${workspace(workspaceId)}/members/${encodeURIComponent(email)}`);
}

/** The workspace's invitations, newest first (admins). */
export function listInvitations(workspaceId: string): Promise<InvitationListResponse> {
  return api<InvitationListResponse>('GET', `${workspace(workspaceId)}/invitations`);
}

/** Invites an e-mail address with a role (admins); the answer holds the one-time link. */
export function invite(workspaceId: string, email: string, role: Role): Promise<CreateInvitationResponse> {
  return api<CreateInvitationResponse>('POST', `${workspace(workspaceId)}/invitations`, { email, role });
}

/** Withdraws a pending invitation (admins). */
export function revokeInvitation(workspaceId: string, invitationId: string): Promise<void> {
  return api<void>('DELETE', `${workspace(workspaceId)}/invitations/${encodeURIComponent(invitationId)}`);
}

/** What an invitation link invites to (no sign-in needed). */
export function getInvitation(token: string): Promise<InvitationInfo> {
  return api<InvitationInfo>('GET', `/api/invitations/${encodeURIComponent(token)}`);
}

/** Accepts an invitation as the signed-in user. */
export function acceptInvitation(token: string): Promise<MeResponse> {
  return api<MeResponse>('POST', `/api/invitations/${encodeURIComponent(token)}/accept`);
}

/** Creates the invited address's account and accepts; the server signs the new user in. */
export function registerInvitation(token: string, name: string, password: string): Promise<MeResponse> {
  return api<MeResponse>('POST', `/api/invitations/${encodeURIComponent(token)}/register`, { name, password });
}

/** When the user last opened the plan and how many cells others changed since. */
export function getVisit(planId: string): Promise<{ lastVisitAt: string | null; changes: number }> {
  return api('GET', `/api/plans/${encodeURIComponent(planId)}/visit`);
}

/** Records that the user has seen the plan as it is now (kept alive when the page is left). */
export function recordVisit(planId: string): void {
  void fetch(`/api/plans/${encodeURIComponent(planId)}/visit`, {
    method: 'POST',
    credentials: 'same-origin',
    keepalive: true,
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  }).catch(() => undefined);
}

/** Every recorded change of one cell, newest first. */
export async function getCellHistory(planId: string, root: string, key: string): Promise<CellChangeView[]> {
  const query = new URLSearchParams({ root, key });
  return (await api<CellChangesResponse>('GET', `/api/plans/${encodeURIComponent(planId)}/history?${query}`)).changes;
}

/** Cells changed after `since`, oldest first (at most 5,000). */
export async function getChangesSince(planId: string, since: string): Promise<CellChangeView[]> {
  const query = new URLSearchParams({ since, limit: '5000' });
  return (await api<CellChangesResponse>('GET', `/api/plans/${encodeURIComponent(planId)}/changes?${query}`)).changes;
}

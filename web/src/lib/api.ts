import type { ErrorBody, MeResponse, PlanListResponse, PlanResponse } from '@accord/protocol';
import { goToSignIn, sessionWatch } from './session-watch.svelte.ts';

/** A failed API call, normalised so pages can show `message` and branch on `status`/`code`. */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null || !('error' in value)) return false;
  const error = (value as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

/**
 * Calls the same-origin JSON API; throws `ApiError` on any non-2xx answer or network failure.
 * Every request, even a bodiless POST, carries `Content-Type: application/json` because the
 * server refuses state-changing requests without it (a cheap CSRF guard next to its Origin check).
 */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: method === 'GET' ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: body === undefined ? (method === 'GET' ? undefined : '{}') : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the Accord server. Check your connection and try again.');
  }
  if (response.status === 204) return undefined as T;
  const payload: unknown = await response.json().catch(() => undefined);
  if (response.ok) return payload as T;
  if (isErrorBody(payload)) throw new ApiError(response.status, payload.error.code, payload.error.message);
  throw new ApiError(response.status, 'internal', `The server answered ${response.status} ${response.statusText}.`);
}

/**
 * Sends the user to the sign-in page when `error` is a 401 and reports whether it did, so
 * callers can skip their own error display. Signing in comes back to this page (and cell).
 */
export function redirectIfSignedOut(error: unknown): boolean {
  if (error instanceof ApiError && error.status === 401) {
    void goToSignIn();
    return true;
  }
  return false;
}

/** The user's message for any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : 'Something went wrong.';
}

/** Signs in; the server sets the session cookie. Other tabs of this browser hear of it. */
export async function signIn(email: string, password: string): Promise<MeResponse> {
  const me = await api<MeResponse>('POST', '/api/auth/sign-in', { email, password });
  sessionWatch.announce('signed-in');
  return me;
}

/** Ends the session (idempotent on the server); other tabs of this browser show the signed-out notice at once. */
export async function signOut(): Promise<void> {
  try {
    await api<void>('POST', '/api/auth/sign-out');
  } finally {
    sessionWatch.announce('signed-out');
  }
}

/** The signed-in user and their workspace memberships. */
export function getMe(): Promise<MeResponse> {
  return api<MeResponse>('GET', '/api/me');
}

/** The plans of one workspace. */
export function listPlans(workspaceId: string): Promise<PlanListResponse> {
  return api<PlanListResponse>('GET', `/api/workspaces/${encodeURIComponent(workspaceId)}/plans`);
}

/** One plan and the caller's role in its workspace. */
export function getPlan(planId: string): Promise<PlanResponse> {
  return api<PlanResponse>('GET', `/api/plans/${encodeURIComponent(planId)}`);
}

declare global {
  interface Window {
    /** The plan page's document state, fetched by app.html while the app's code loads. */
    __accordDocumentState?: { documentId: string; response: Promise<Response | null> };
  }
}

/** The response app.html started fetching for this document on page load, once; else undefined. */
function takePrefetchedState(documentId: string): Promise<Response | null> | undefined {
  const prefetched = typeof window === 'undefined' ? undefined : window.__accordDocumentState;
  if (!prefetched || prefetched.documentId !== documentId) return undefined;
  window.__accordDocumentState = undefined;
  return prefetched.response;
}

/**
 * A plan's or scenario's whole document (Yjs V2 encoding), to fill the local copy before the
 * socket opens; null when it cannot be had (the socket's own sync then brings everything). The
 * plan page loaded directly takes the response app.html started fetching with the page.
 */
export async function getDocumentState(documentId: string): Promise<Uint8Array | null> {
  try {
    const response =
      (await takePrefetchedState(documentId)) ??
      (await fetch(`/api/documents/${encodeURIComponent(documentId)}/state`, { credentials: 'same-origin' }));
    return response.ok ? new Uint8Array(await response.arrayBuffer()) : null;
  } catch {
    return null;
  }
}

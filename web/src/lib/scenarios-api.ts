import { ErrorCode } from '@accord/protocol';
import type {
  CompareScenariosResponse,
  CreateScenarioRequest,
  MergeCell,
  MergePreviewResponse,
  MergeScenarioRequest,
  MergeScenarioResponse,
  ScenarioListResponse,
  ScenarioStatus,
  ScenarioView,
} from '@accord/protocol';
import { api, ApiError } from './api.ts';

const plan = (planId: string) => `/api/plans/${encodeURIComponent(planId)}`;
const scenario = (scenarioId: string) => `/api/scenarios/${encodeURIComponent(scenarioId)}`;

/** The plan's scenarios; active ones unless `status` says otherwise. */
export function listScenarios(planId: string, status: ScenarioStatus | 'all' = 'active'): Promise<ScenarioListResponse> {
  return api<ScenarioListResponse>('GET', `${plan(planId)}/scenarios?status=${status}`);
}

/** Forks the live plan (`from: 'live'`) or a locked snapshot into a new scenario. */
export function createScenario(planId: string, input: Partial<CreateScenarioRequest> & { name: string }): Promise<ScenarioView> {
  return api<ScenarioView>('POST', `${plan(planId)}/scenarios`, input);
}

/** One scenario. */
export function getScenario(scenarioId: string): Promise<ScenarioView> {
  return api<ScenarioView>('GET', scenario(scenarioId));
}

/** The live plan and one to four scenarios side by side, with up to `limit` cell differences each. */
export function compareScenarios(planId: string, ids: readonly string[], limit = 20): Promise<CompareScenariosResponse> {
  const query = new URLSearchParams({ ids: ids.join(','), limit: String(limit) });
  return api<CompareScenariosResponse>('GET', `${plan(planId)}/scenarios/compare?${query}`);
}

/** The three-way view of what merging the scenario would do. */
export function getMergePreview(scenarioId: string): Promise<MergePreviewResponse> {
  return api<MergePreviewResponse>('GET', `${scenario(scenarioId)}/merge`);
}

/** A merge answer: applied, or refused because selected cells conflict (nothing was written). */
export type MergeOutcome = ({ type: 'merged' } & MergeScenarioResponse) | { type: 'conflict'; message: string; conflicts: MergeCell[] };

/**
 * Merges the selected scenario changes into the live plan (leaders and admins). A 409 carrying
 * `conflicts` comes back as a `conflict` outcome so the view can ask for the missing choices;
 * any other failure throws `ApiError` like `api()`.
 */
export async function mergeScenario(scenarioId: string, input: MergeScenarioRequest): Promise<MergeOutcome> {
  try {
    return { type: 'merged', ...(await api<MergeScenarioResponse>('POST', `${scenario(scenarioId)}/merge`, input)) };
  } catch (caught) {
    // Only a refusal over unresolved conflicts asks for choices; another 409 (the plan is locked) is an error.
    if (!(caught instanceof ApiError) || caught.status !== 409 || caught.code !== ErrorCode.conflict) throw caught;
    // `api()` keeps only the message; ask the preview again for the conflicting cells.
    const preview = await getMergePreview(scenarioId);
    return { type: 'conflict', message: caught.message, conflicts: preview.cells.filter((c) => c.conflict) };
  }
}

/** Archives a scenario (its owner, leaders and admins): kept, read-only. */
export function archiveScenario(scenarioId: string): Promise<ScenarioView> {
  return api<ScenarioView>('POST', `${scenario(scenarioId)}/archive`);
}

/** Makes an archived scenario editable again. */
export function restoreScenario(scenarioId: string): Promise<ScenarioView> {
  return api<ScenarioView>('POST', `${scenario(scenarioId)}/restore`);
}

/** Deletes a scenario; 409 while a decision or a snapshot references it. */
export function deleteScenario(scenarioId: string): Promise<void> {
  return api<void>('DELETE', scenario(scenarioId));
}

/** The `root:key` reference the merge API uses for resolutions. */
export const cellRef = (cell: { root: string; key: string }): string => `${cell.root}:${cell.key}`;

import { ErrorCode } from '@accord/protocol';
import type {
  CompareScenariosResponse,
  CreateScenarioRequest,
  MergeCell,
  MergePreviewResponse,
  MergeScenarioRequest,
  MergeScenarioResponse,
  ScenarioFigures,
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

/**
 * The trade-off metrics a comparison shows, in order, which direction is better, and their unit:
 * money (written in the plan's currency), a ratio (a percentage) or a count.
 */
export const COMPARE_METRICS = [
  { id: 'revenue', label: 'Revenue', better: 'higher', unit: 'money' },
  { id: 'margin', label: 'Gross margin', better: 'higher', unit: 'money' },
  { id: 'marginPct', label: 'Margin %', better: 'higher', unit: 'ratio' },
  { id: 'fillRate', label: 'Fill rate', better: 'higher', unit: 'ratio' },
  { id: 'stockOuts', label: 'Stock-outs', better: 'lower', unit: 'count' },
  { id: 'inventoryValue', label: 'Inventory value', better: 'lower', unit: 'money' },
  { id: 'capacityOverloads', label: 'Capacity overloads', better: 'lower', unit: 'count' },
] as const;
export type CompareMetric = (typeof COMPARE_METRICS)[number]['id'];
export type CompareUnit = (typeof COMPARE_METRICS)[number]['unit'];

/** A metric's unit. */
export const unitOf = (metric: CompareMetric): CompareUnit => COMPARE_METRICS.find((m) => m.id === metric)!.unit;

/** One metric of a version's figures; null when it has no meaning (no revenue, no demand). */
export function metricValue(figures: ScenarioFigures, metric: CompareMetric): number | null {
  switch (metric) {
    case 'revenue':
      return figures.revenue;
    case 'margin':
      return figures.grossMargin;
    case 'marginPct':
      return figures.revenue === 0 ? null : figures.grossMargin / figures.revenue;
    case 'fillRate':
      return figures.fillRate;
    case 'stockOuts':
      return figures.stockOuts;
    case 'inventoryValue':
      return figures.inventoryValue;
    case 'capacityOverloads':
      return figures.capacityOverloads;
  }
}

/**
 * Indexes of the best values of a metric across versions (ties all win); none when every value
 * is equal or missing, because then nothing stands out.
 */
export function bestIndexes(values: readonly (number | null)[], better: 'higher' | 'lower'): Set<number> {
  const present = values.filter((v): v is number => v !== null);
  if (present.length < 2) return new Set();
  const best = better === 'higher' ? Math.max(...present) : Math.min(...present);
  if (present.every((v) => v === best)) return new Set();
  return new Set(values.flatMap((v, i) => (v === best ? [i] : [])));
}

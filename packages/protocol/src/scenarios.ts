import { z } from 'zod';
import { SECTIONS, type Section } from './roles.ts';
import type { ComparedCell, DecisionView } from './governance.ts';

/** Lifecycle of a scenario: an archived scenario is kept, read-only, out of the default list. */
export const SCENARIO_STATUSES = ['active', 'archived'] as const;
export type ScenarioStatus = (typeof SCENARIO_STATUSES)[number];

/** At most this many scenarios are compared with the live plan at once (the "up to four"). */
export const MAX_COMPARED_SCENARIOS = 4;

/** POST /api/plans/:planId/scenarios: fork the live plan (`live`) or a locked snapshot (its id). */
export const CreateScenarioRequest = z.object({
  name: z.string().trim().min(1, 'Name the scenario').max(200, 'Scenario names are at most 200 characters'),
  description: z.string().trim().max(5000, 'The description is at most 5,000 characters').default(''),
  from: z.string().min(1).max(64).default('live'),
  ownerId: z.string().min(1).max(64).optional(),
});
export type CreateScenarioRequest = z.infer<typeof CreateScenarioRequest>;

/** Query of GET /api/plans/:planId/scenarios; without `status` only active scenarios are listed. */
export const ScenarioListQuery = z.object({
  status: z.enum([...SCENARIO_STATUSES, 'all'], { error: 'status must be active, archived or all' }).default('active'),
});

/** Query of GET /api/plans/:planId/scenarios/compare: `ids=a,b,c`, one to four scenario ids. */
export const CompareScenariosQuery = z.object({
  ids: z
    .string()
    .max(64 * MAX_COMPARED_SCENARIOS + MAX_COMPARED_SCENARIOS)
    .transform((s) => [...new Set(s.split(',').map((id) => id.trim()))].filter((id) => id.length > 0))
    .refine((ids) => ids.length >= 1 && ids.length <= MAX_COMPARED_SCENARIOS, `Pick one to ${MAX_COMPARED_SCENARIOS} scenarios`),
  limit: z.coerce.number().int().min(0).max(1000).default(100),
});

/** A scenario as the API shows it. Its Yjs document is synced at `/sync/<id>`. */
export interface ScenarioView {
  id: string;
  planId: string;
  name: string;
  description: string;
  owner: { id: string; name: string };
  status: ScenarioStatus;
  /** `live`, or the id of the snapshot it was forked from. */
  forkedFrom: string;
  createdBy: { id: string; name: string };
  createdAt: string;
  updatedAt: string;
}

/** GET /api/plans/:planId/scenarios */
export interface ScenarioListResponse {
  scenarios: ScenarioView[];
}

/**
 * Trade-off figures of one version of the plan, per family × bucket, per bucket or in total. All
 * come from plan-calc's `PlanCalculator` on the version's data (docs/decisions.md "Scenario figures").
 */
export interface ScenarioFigures {
  revenue: number;
  grossMargin: number;
  /** Unconstrained demand in units. */
  demand: number;
  /** Demand served from available stock (plan-calc's servedDemand, capacity-constrained). */
  servedDemand: number;
  /** servedDemand ÷ demand; null without demand. */
  fillRate: number | null;
  /** SKU-buckets whose projected closing inventory is below 0. */
  stockOuts: number;
  /** Σ max(projected closing inventory, 0) × unit cost of the bucket. */
  inventoryValue: number;
  /** Overloaded resource-buckets (load above planned capacity); for a family, those its products load. */
  capacityOverloads: number;
}

/** One version in a comparison: the live plan (`id: 'live'`) or a scenario. */
export interface ComparedVersion {
  id: string;
  name: string;
  buckets: string[];
  total: ScenarioFigures;
  /** Per bucket (index as `buckets`), whole plan. */
  byBucket: ScenarioFigures[];
  families: { familyId: string; familyName: string; total: ScenarioFigures; byBucket: ScenarioFigures[] }[];
  /** Cell-level differences from the live plan, biggest value change first (empty for the base). */
  differences: { changedCells: number; cells: ComparedCell[]; truncated: boolean; catalogChanges: number };
}

/** GET /api/plans/:planId/scenarios/compare */
export interface CompareScenariosResponse {
  /** The live plan's currency (ISO 4217 code): revenue, margin, inventory value and value changes are in it. */
  currency: string;
  base: ComparedVersion;
  scenarios: ComparedVersion[];
}

/** A cell's value in effect and, when the cell is empty, the layer it followed. */
export interface ValueInEffect {
  value: number | null;
  follows: 'statistical' | 'demand' | null;
}

/** One cell the scenario changed since it was forked, in the three versions. */
export interface MergeCell {
  root: string;
  key: string;
  section: Section;
  /** The layer in planner words ("Sales forecast"). */
  layer: string;
  rowId: string;
  /** The product, family or line by name. */
  rowName: string;
  bucket: string | null;
  /** The plan's value when the scenario was forked. */
  base: number | null;
  /** The live plan's value now. */
  plan: number | null;
  scenario: number | null;
  /**
   * What each side amounts to when shown: the value in effect, and for an empty cell what it
   * followed (an empty sales forecast is the statistical forecast, an empty consensus the demand
   * beneath it). `base`, `plan` and `scenario` stay the stored values the merge compares and writes.
   */
  inEffect: Record<'base' | 'plan' | 'scenario', ValueInEffect>;
  /** The plan changed the cell since the fork to something other than the scenario's value. */
  conflict: boolean;
}

/** A change in a scenario that a merge does not carry over (catalog entities, plan settings). */
export interface UnmergeableChange {
  kind: 'families' | 'products' | 'resources' | 'meta';
  id: string;
  /** The entity's name (the plan setting's field for `meta`). */
  name: string;
  fields: string[];
}

/** GET /api/scenarios/:id/merge: the three-way view of what a merge would do. */
export interface MergePreviewResponse {
  scenarioId: string;
  planId: string;
  cells: MergeCell[];
  conflicts: number;
  notMergeable: UnmergeableChange[];
}

const cellRef = z.object({ root: z.string().min(1).max(40), key: z.string().min(1).max(200) });

/** Which scenario changes to merge: the union of everything named; `all` takes every mergeable cell. */
export const MergeSelection = z
  .object({
    all: z.literal(true).optional(),
    sections: z.array(z.enum(SECTIONS)).max(SECTIONS.length).optional(),
    rows: z.array(z.string().min(1).max(200)).max(10_000).optional(),
    cells: z.array(cellRef).max(100_000).optional(),
  })
  .refine((s) => s.all || s.sections?.length || s.rows?.length || s.cells?.length, 'Select all, or some sections, rows or cells');
export type MergeSelection = z.infer<typeof MergeSelection>;

/** POST /api/scenarios/:id/merge (leaders and admins): one change to the live plan, tied to a decision. */
export const MergeScenarioRequest = z.object({
  selection: MergeSelection,
  /** Per conflicting cell, keyed `root:key`: keep the scenario's value or the plan's. */
  resolutions: z.record(z.string().max(250), z.enum(['scenario', 'plan'])).default({}),
  decision: z.union([
    z.object({ decisionId: z.string().min(1).max(64) }).strict(),
    z.object({
      title: z.string().trim().min(1, 'A decision needs a title').max(200),
      rationale: z.string().trim().max(5000).default(''),
      ownerId: z.string().min(1, 'Choose an owner').max(64),
      dueDate: z.iso.date({ message: 'Use a date like 2026-12-15' }),
    }),
  ]),
});
export type MergeScenarioRequest = z.infer<typeof MergeScenarioRequest>;

/** POST /api/scenarios/:id/merge answer. */
export interface MergeScenarioResponse {
  merged: number;
  /** Selected conflicting cells kept at the plan's value by a `plan` resolution. */
  keptPlan: number;
  decision: DecisionView;
}

/** The 409 answer of a merge whose selection holds unresolved conflicts; nothing was written. */
export interface MergeConflictBody {
  error: { code: 'conflict'; message: string; requestId?: string };
  conflicts: MergeCell[];
}

import type { ValueRoot } from '@accord/plan-calc';
import { ROOTS } from '@accord/plan-model';
import { STAGE_SECTIONS, STAGES, WRITABLE_SECTIONS, canWrite, type Role, type Section, type Stage } from '@accord/protocol';
import { LAYER_IDS, LAYERS } from './layers.ts';
import type { Column, ValueRow } from './layout.ts';

/** Stage names as planners say them. */
const STAGE_NAMES: Readonly<Record<Stage, string>> = {
  'data-gathering': 'data gathering',
  'demand-review': 'demand review',
  'supply-review': 'supply review',
  'pre-sop': 'pre-S&OP',
  executive: 'executive meeting',
  locked: 'lock',
};

/** Roles as a sentence names them. */
const ROLE_NAMES: Readonly<Record<Role, string>> = {
  viewer: 'viewers',
  commenter: 'commenters',
  sales: 'sales planners',
  operations: 'operations planners',
  finance: 'finance',
  leader: 'leaders',
  admin: 'admins',
};

const ROLE_ARTICLE: Readonly<Record<Role, string>> = {
  viewer: 'a viewer',
  commenter: 'a commenter',
  sales: 'a sales planner',
  operations: 'an operations planner',
  finance: 'finance',
  leader: 'a leader',
  admin: 'an admin',
};

const LAYER_OF_ROOT: Partial<Record<ValueRoot, string>> = {
  sales: 'The sales forecast',
  marketing: 'The marketing uplift',
  consensus: 'The consensus',
  production: 'Production',
  capacity: 'Capacity',
  prices: 'Prices',
  costs: 'Unit costs',
  budget: 'The budget',
  statistical: 'The statistical baseline',
};

function list(names: string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

/** Who writes a section, in words ("sales planners"). */
function writers(section: Section): string {
  const roles = (Object.keys(WRITABLE_SECTIONS) as Role[]).filter((role) => role !== 'admin' && canWrite(role, section));
  return list(roles.map((role) => ROLE_NAMES[role]));
}

/**
 * What a role changes in the grid, in its layers' words, for the plan header ("edits Price, Unit
 * cost and Budget"): the input layers of the sections it writes (and line capacity for operations).
 * Empty for a role that only reads or comments.
 */
export function editsWords(role: Role): string {
  const layers = LAYER_IDS.map((id) => LAYERS[id])
    .filter((layer) => layer.input && layer.input !== 'statistical' && canWrite(role, ROOTS[layer.input].section))
    .map((layer) => layer.label);
  if (canWrite(role, ROOTS.capacity.section)) layers.push('line capacity');
  return layers.length === 0 ? '' : `edits ${list(layers)}`;
}

/** The stage whose end closed a section (the stage that owns it). */
export function owningStage(section: Section): Stage | undefined {
  return STAGES.find((stage) => STAGE_SECTIONS[stage].includes(section));
}

/**
 * Why a cell takes no entry, as a sentence: a computed figure, history, the value view, a layer the
 * role does not write, or a section closed by the cycle (naming the stage and, when known, its owner).
 * `stageOwners` maps a stage to its owner's name (from the cycle's stage settings).
 */
export function whyReadOnly(
  context: { role: Role; stage: Stage; stageOwners?: Partial<Record<Stage, string>> },
  row: ValueRow,
  column: Column,
  mode: 'units' | 'value',
): string {
  const { role, stage } = context;
  const input: ValueRoot | undefined =
    row.kind === 'resource' ? (row.layer === 'capacity' ? 'capacity' : undefined) : (row.layer.spread ?? row.layer.input);
  const label = row.kind === 'resource' ? row.label : row.layer.label;
  if (column.kind === 'history') {
    return `${column.label} is history: its actuals come from the data imports and cannot be typed over.`;
  }
  if (!input) {
    if (row.kind === 'resource') return `${label} is computed from production and hours per unit; change production or capacity instead.`;
    return `${label} is computed from the plan's inputs; change those instead (sales forecast, consensus, production, prices…).`;
  }
  if (input === 'statistical') return 'The statistical baseline is computed by the server from actuals; override it in the sales forecast.';
  if (mode === 'value' && (row.kind === 'resource' || row.layer.format === 'quantity')) {
    return 'The grid shows values; switch to units to edit quantities.';
  }
  const section = ROOTS[input].section;
  const what = LAYER_OF_ROOT[input] ?? label;
  if (!canWrite(role, section)) {
    // A leader weighing demand (in a meeting, in a scenario) sets it in the consensus.
    const instead = section === 'demand' && canWrite(role, 'consensus') ? ' To set the demand yourself, type it in the Consensus row.' : '';
    return `${what} is written by ${writers(section)}; you are ${ROLE_ARTICLE[role]}, so you can read it and comment.${instead}`;
  }
  const closedBy = owningStage(section);
  if (stage === 'locked') return `The plan is locked: the consensus was agreed, so nothing changes until the leader starts the next cycle.`;
  if (closedBy) {
    const owner = context.stageOwners?.[closedBy];
    return `${what} closed when the ${STAGE_NAMES[closedBy]}${owner ? ` (owner ${owner})` : ''} ended; now at ${STAGE_NAMES[stage]}, only leaders change it.`;
  }
  return `${what} cannot be changed here.`;
}

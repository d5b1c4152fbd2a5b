import type { ImportKind } from './data.ts';
import type { Role } from './roles.ts';

/**
 * Who may take each action that is not a cell edit (those follow WRITABLE_SECTIONS): one table
 * for the server, which enforces it, and the web app, which greys out what would be refused.
 */
export const ACTION_ROLES = {
  /** Close a stage, reopen the last closed one, start the next cycle. */
  moveCycle: ['leader'],
  /** Lock the consensus snapshot (the executive stage's act). */
  lockConsensus: ['leader'],
  /** Set a stage's owner and due date. */
  planCycle: ['leader', 'admin'],
  /** Record a decision, change anything about one (owners may change the status of their own). */
  recordDecision: ['leader', 'admin'],
  /** Merge a scenario into the live plan. */
  mergeScenario: ['leader', 'admin'],
  /** Archive or delete any scenario (owners may archive or delete their own). */
  manageScenarios: ['leader', 'admin'],
  /** Start a new plan (a copy, from a snapshot, or empty). */
  createPlan: ['leader', 'admin'],
  /** Start a baseline run by hand, or restore the previous run's values. */
  runBaseline: ['operations', 'leader', 'admin'],
  /** Add members, change roles, remove members. */
  manageMembers: ['admin'],
  /** Imports, one action per kind: actuals are the data gathering's owners', master data follows its section. */
  importActuals: ['operations', 'leader', 'admin'],
  importProducts: ['operations', 'admin'],
  importResources: ['operations', 'admin'],
  importPrices: ['finance', 'admin'],
  importCosts: ['finance', 'admin'],
} as const satisfies Record<string, readonly Role[]>;
export type Action = keyof typeof ACTION_ROLES;

/** What each role is called in a sentence ("leaders"). */
const ROLE_PLURALS: Readonly<Record<Role, string>> = {
  viewer: 'viewers',
  commenter: 'commenters',
  sales: 'sales planners',
  operations: 'operations planners',
  finance: 'finance',
  leader: 'leaders',
  admin: 'admins',
};

/** Whether a member with `role` may take `action`. */
export function mayAct(role: Role, action: Action): boolean {
  return (ACTION_ROLES[action] as readonly Role[]).includes(role);
}

/** The roles that may take `action`, as a person reads them: "leaders and admins". */
export function actionRolesText(action: Action): string {
  const names = ACTION_ROLES[action].map((role) => ROLE_PLURALS[role]);
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)!}`;
}

/** The action that imports a kind of data. */
export function importAction(kind: ImportKind): Action {
  const actions: Record<ImportKind, Action> = {
    actuals: 'importActuals',
    products: 'importProducts',
    resources: 'importResources',
    prices: 'importPrices',
    costs: 'importCosts',
  };
  return actions[kind];
}

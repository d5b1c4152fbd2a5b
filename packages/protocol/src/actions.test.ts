import { describe, expect, it } from 'vitest';
import { ACTION_ROLES, actionRolesText, importAction, mayAct } from './actions.ts';
import { IMPORT_KINDS } from './data.ts';
import { canWrite } from './roles.ts';

describe('action roles', () => {
  it('lets only leaders move the cycle and lock, and leaders and admins decide and merge', () => {
    expect(mayAct('leader', 'lockConsensus')).toBe(true);
    expect(mayAct('admin', 'lockConsensus')).toBe(false);
    expect(mayAct('admin', 'recordDecision')).toBe(true);
    expect(mayAct('sales', 'mergeScenario')).toBe(false);
    expect(mayAct('operations', 'runBaseline')).toBe(true);
  });
  it('reads the roles of an action as a sentence', () => {
    expect(actionRolesText('lockConsensus')).toBe('leaders');
    expect(actionRolesText('mergeScenario')).toBe('leaders and admins');
    expect(actionRolesText('runBaseline')).toBe('operations planners, leaders and admins');
  });
  it('gives master-data imports to the roles that write their section', () => {
    for (const kind of IMPORT_KINDS) expect(ACTION_ROLES[importAction(kind)].length).toBeGreaterThan(0);
    expect(mayAct('finance', importAction('prices')) && canWrite('finance', 'finance')).toBe(true);
    expect(mayAct('operations', importAction('products')) && canWrite('operations', 'catalog')).toBe(true);
    expect(mayAct('sales', importAction('actuals'))).toBe(false);
  });
});

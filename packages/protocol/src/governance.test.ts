import { describe, expect, it } from 'vitest';
import { canWriteAtStage, closedSections, stageClosing, stagesToLock, STAGES } from './governance.ts';
import { ROLES, SECTIONS, canWrite } from './roles.ts';

describe('stage rules', () => {
  it('closes the sections of past stages for everyone but leaders', () => {
    expect(closedSections('supply-review')).toEqual(['demand']);
    expect(canWriteAtStage('sales', 'demand', 'demand-review')).toBe(true);
    expect(canWriteAtStage('sales', 'demand', 'supply-review')).toBe(false);
    expect(canWriteAtStage('operations', 'supply', 'pre-sop')).toBe(false);
    expect(canWriteAtStage('leader', 'consensus', 'executive')).toBe(true);
  });

  it('lets nobody write any section of a locked plan, leaders included; comments stay open', () => {
    for (const role of ROLES)
      for (const section of SECTIONS)
        expect(canWriteAtStage(role, section, 'locked')).toBe(section === 'comments' && canWrite(role, 'comments'));
  });

  it('says what closing each stage makes read-only, and for whom', () => {
    expect(stageClosing('demand-review')).toEqual({
      stage: 'demand-review',
      next: 'supply-review',
      sections: [{ section: 'demand', label: 'demand (sales forecast, marketing)', closedFor: ['sales'] }],
    });
    expect(stageClosing('supply-review')!.sections.map((s) => [s.section, s.closedFor])).toEqual([
      ['supply', ['operations']],
      ['catalog', ['operations', 'admin']],
    ]);
    // Locking closes what leaders and admins could still write.
    expect(stageClosing('executive')!.sections.map((s) => [s.section, s.closedFor])).toEqual([
      ['plan', ['leader', 'admin']],
      ['consensus', ['leader']],
    ]);
    expect(stageClosing('locked')).toBeUndefined();
  });

  it('lists the stages a lock from an earlier stage closes', () => {
    expect(stagesToLock('pre-sop')).toEqual(['pre-sop', 'executive']);
    expect(stagesToLock('data-gathering')).toEqual(STAGES.slice(0, 5));
  });
});

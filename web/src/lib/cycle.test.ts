import { describe, expect, it } from 'vitest';
import { closingSentences, currentReopening, dueDateProblem, lockedSentence, lockSentences, reopenable, reopenings } from './cycle.ts';
import type { CycleResponse } from '@accord/protocol';

describe('the cycle in sentences', () => {
  it('says which sections a close makes read-only for whom', () => {
    expect(closingSentences('demand-review')).toEqual([
      'Demand (sales forecast, marketing) becomes read-only for sales planners.',
      'Supply review opens.',
    ]);
    expect(closingSentences('data-gathering')).toEqual(['No section becomes read-only: this stage owns none.', 'Demand review opens.']);
  });

  it('lists what "close the remaining stages and lock" does', () => {
    const lines = lockSentences('pre-sop');
    expect(lines[0]).toBe('Closes Pre-S&OP: Finance (prices, costs, budget) becomes read-only for finance.');
    expect(lines.at(-1)).toMatch(/^Locks the consensus: nobody edits the plan/);
  });

  it('checks due dates follow the stages before saving', () => {
    expect(
      dueDateProblem([
        { stage: 'demand-review', dueDate: '2027-01-10' },
        { stage: 'supply-review', dueDate: '2027-01-15' },
      ]),
    ).toBeNull();
    expect(
      dueDateProblem([
        { stage: 'demand-review', dueDate: '2027-01-10' },
        { stage: 'supply-review', dueDate: '2027-01-05' },
      ]),
    ).toBe('Due dates follow the stages: Supply review (due 5 Jan 2027) cannot be due before Demand review (due 10 Jan 2027).');
  });

  it('names the stage to reopen and explains a lock', () => {
    const cycle = {
      stage: 'supply-review',
      stages: [
        { stage: 'data-gathering', closed: true },
        { stage: 'demand-review', closed: true },
        { stage: 'supply-review', closed: false },
      ],
      lockedSnapshot: null,
    } as unknown as CycleResponse;
    expect(reopenable(cycle)).toBe('demand-review');
    expect(lockedSentence(cycle)).toBeNull();
    expect(
      lockedSentence({
        stage: 'locked',
        lockedSnapshot: { id: 's', name: 'Consensus Jan', lockedBy: { id: 'l', name: 'Leila Haddad' }, lockedAt: '2026-12-02T10:00:00Z' },
      }),
    ).toMatch(
      /^The consensus of this cycle is locked as “Consensus Jan” by Leila Haddad on .*Nothing changes the live plan until a leader starts the next cycle/,
    );
  });

  it('lists the reopenings of the cycle, newest first, and nothing else', () => {
    const event = (action: string, at: string, reason: string | null = null) => ({ action, at, reason, stage: 'demand-review', by: null });
    const cycle = {
      events: [
        event('close', '2027-01-03T09:00:00Z'),
        event('reopen', '2027-01-04T09:00:00Z', 'Late promotion'),
        event('close', '2027-01-05T09:00:00Z'),
        event('reopen', '2027-01-06T09:00:00Z', 'Customer order moved'),
      ],
    } as unknown as CycleResponse;
    expect(reopenings(cycle).map((e) => e.reason)).toEqual(['Customer order moved', 'Late promotion']);
    expect(reopenings({ events: [event('close', '2027-01-03T09:00:00Z')] } as unknown as CycleResponse)).toEqual([]);
    // The header says so while the reopened stage is the current one, and no longer once it closed again.
    expect(currentReopening({ ...cycle, stage: 'demand-review' })?.reason).toBe('Customer order moved');
    expect(currentReopening({ ...cycle, stage: 'supply-review' })).toBeUndefined();
    const closedAgain = { ...cycle, stage: 'supply-review', events: [...cycle.events, event('close', '2027-01-07T09:00:00Z')] };
    expect(currentReopening(closedAgain as CycleResponse)).toBeUndefined();
  });
});

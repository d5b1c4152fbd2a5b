import {
  canWrite,
  ROLES,
  STAGE_LABELS,
  stageClosing,
  stagesToLock,
  type CycleResponse,
  type CycleStageView,
  type Role,
  type Stage,
} from '@accord/protocol';

/** Role names in a sentence, plural ("sales planners"). */
const ROLE_WORDS: Readonly<Record<Role, string>> = {
  viewer: 'viewers',
  commenter: 'commenters',
  sales: 'sales planners',
  operations: 'operations planners',
  finance: 'finance',
  leader: 'leaders',
  admin: 'admins',
};

/** "a, b and c" */
export function listing(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)!}`;
}

/** A stage as a planner reads it. */
export function stageLabel(stage: Stage): string {
  return STAGE_LABELS[stage];
}

/** A date (YYYY-MM-DD) as people read it: `12 Dec 2026`. */
export function formatDay(date: string): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day)).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** A moment as people read it: `12 Dec 2026, 14:05`. */
export function formatMoment(iso: string): string {
  return new Date(iso).toLocaleString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/**
 * What closing the current stage does, in sentences for the confirmation: which sections become
 * read-only for whom, and what opens next.
 */
export function closingSentences(stage: Stage): string[] {
  const closing = stageClosing(stage);
  if (!closing) return [];
  // Leaders keep a closed section until the lock, where they may write it at all (consensus, plan settings).
  const lines = closing.sections.map(
    (s) =>
      `${capitalise(s.label)} becomes read-only for ${listing(s.closedFor.map((role) => ROLE_WORDS[role]))}${
        closing.next !== 'locked' && canWrite('leader', s.section) ? '; leaders can still edit it' : ''
      }.`,
  );
  if (lines.length === 0) lines.push('No section becomes read-only: this stage owns none.');
  lines.push(closing.next === 'locked' ? 'The consensus is locked.' : `${stageLabel(closing.next)} opens.`);
  return lines;
}

/**
 * What "close the remaining stages and lock" does from `stage`: the stages it closes in order,
 * and that afterwards nothing changes the live plan until the next cycle.
 */
export function lockSentences(stage: Stage): string[] {
  const stages = stagesToLock(stage);
  const before = stages.filter((s) => s !== 'executive');
  const lines = before.map((s) => `Closes ${stageLabel(s)}: ${closingSentences(s).slice(0, -1).join(' ')}`);
  lines.push(
    'Locks the consensus: nobody edits the plan, merges a scenario, imports or runs the baseline into it until a leader starts the next cycle. Comments stay open.',
  );
  return lines;
}

/** Why the plan cannot be edited now, for everyone on every screen, or null while it can. */
export function lockedSentence(cycle: Pick<CycleResponse, 'stage' | 'lockedSnapshot'>): string | null {
  if (cycle.stage !== 'locked') return null;
  const snapshot = cycle.lockedSnapshot;
  const by = snapshot ? ` as “${snapshot.name}” by ${snapshot.lockedBy.name} on ${formatMoment(snapshot.lockedAt)}` : '';
  return `The consensus of this cycle is locked${by}. Nothing changes the live plan until a leader starts the next cycle; comments stay open.`;
}

/** The current stage's entry in the cycle. */
export function currentStage(cycle: CycleResponse): CycleStageView | undefined {
  return cycle.stages.find((s) => s.stage === cycle.stage);
}

/**
 * The reopening that brought the cycle back to its current stage, while that stage is open again
 * (none once it was closed after it), for the plan header: planners editing a reopened stage see why.
 */
export function currentReopening(cycle: CycleResponse): CycleResponse['events'][number] | undefined {
  const last = cycle.events.at(-1);
  return last?.action === 'reopen' && last.stage === cycle.stage ? last : undefined;
}

/** A reopening as everyone reads it: "Demand review was reopened by Leila Haddad on …: “reason”". */
export function reopenedSentence(event: CycleResponse['events'][number]): string {
  return `${stageLabel(event.stage)} was reopened by ${event.by?.name ?? 'a leader'} on ${formatMoment(event.at)}: “${event.reason}”`;
}

/** The reopenings of stages in this cycle, newest first (the cycle bar shows the first and lists the rest). */
export function reopenings(cycle: CycleResponse): CycleResponse['events'] {
  return cycle.events.filter((e) => e.action === 'reopen').reverse();
}

/** The stage the leader may reopen (the last closed one), or undefined. */
export function reopenable(cycle: CycleResponse): Stage | undefined {
  if (cycle.stage === 'locked') return undefined;
  return cycle.stages.findLast((s) => s.closed)?.stage;
}

/**
 * Problems of a draft of owners and due dates before it is sent, in the server's words: due dates
 * follow the stages.
 */
export function dueDateProblem(draft: readonly { stage: Stage; dueDate: string | null }[]): string | null {
  let latest: { stage: Stage; date: string } | undefined;
  for (const { stage, dueDate } of draft) {
    if (!dueDate) continue;
    if (latest && dueDate < latest.date)
      return `Due dates follow the stages: ${stageLabel(stage)} (due ${formatDay(dueDate)}) cannot be due before ${stageLabel(latest.stage)} (due ${formatDay(latest.date)}).`;
    latest = { stage, date: dueDate };
  }
  return null;
}

/** Every role in order (for role pickers). */
export const ROLE_CHOICES: readonly Role[] = ROLES;

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

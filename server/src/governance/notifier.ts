import type { Notification } from '../db/schema.ts';
import { randomId } from '../db/ids.ts';
import { nowIso } from '../db/database.ts';
import type { GovernanceRepository } from './governance.repository.ts';

/** A date (YYYY-MM-DD) as an inbox sentence says it: `12 Dec 2026`. */
export function dayWords(date: string): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day)).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** An inbox entry to deliver: who gets it, about what, in one sentence. */
export interface NotificationInput {
  userId: string;
  planId: string;
  kind: Notification['kind'];
  /** The decision id, or the stage. */
  subjectId: string;
  text: string;
  /** Who caused it; nobody is told of their own action. */
  actorId: string | null;
}

/** Delivers inbox entries that are not comments: decisions assigned or moved, stages opened. */
export class Notifier {
  readonly #repo: GovernanceRepository;
  readonly #now: () => Date;

  constructor(repo: GovernanceRepository, now: () => Date = () => new Date()) {
    this.#repo = repo;
    this.#now = now;
  }

  async notify(entries: NotificationInput[]): Promise<void> {
    const at = nowIso(this.#now());
    await this.#repo.insertNotifications(
      entries
        .filter((e) => e.userId !== e.actorId)
        .map((e) => ({
          id: randomId(),
          user_id: e.userId,
          plan_id: e.planId,
          kind: e.kind,
          subject_id: e.subjectId,
          text: e.text,
          actor_id: e.actorId,
          created_at: at,
          read_at: null,
        })),
    );
  }
}

import type { InboxItem, InboxKind, InboxResponse } from '@accord/protocol';
import { nowIso } from '../db/database.ts';
import type { GovernanceRepository } from './governance.repository.ts';

// The newest entries of each kind a person can act on; older ones are history, not an inbox.
const LIMIT_PER_SOURCE = 100;

/** The inbox id of a comment message: stable, so opening it can mark it read. */
export const commentItemId = (documentId: string, threadId: string, messageId: string) => `comment:${documentId}:${threadId}:${messageId}`;
/** The inbox id of a notification. */
export const noteItemId = (id: string) => `note:${id}`;

/**
 * The inbox: mentions and replies from the comment index, plus decisions assigned to the user,
 * status changes of decisions they took and stages of theirs that opened. An entry is unread
 * until its reader opens it, answers the thread, or marks everything read; the counts are computed
 * here once, so the header, the inbox page and the workspace home say the same number.
 */
export class InboxService {
  readonly #repo: GovernanceRepository;
  readonly #now: () => Date;

  constructor(repo: GovernanceRepository, now: () => Date = () => new Date()) {
    this.#repo = repo;
    this.#now = now;
  }

  /** Every entry of the user's inbox, newest first, with `workspaceId` for per-workspace counts. */
  async items(userId: string): Promise<(InboxItem & { workspaceId: string })[]> {
    const lastSeenAt = await this.#repo.findLastSeen(userId);
    const after = (at: string) => lastSeenAt === null || at > lastSeenAt;
    const comments = await this.#repo.inboxMessages(userId, LIMIT_PER_SOURCE);
    const ids = comments.map((r) => commentItemId(r.document_id, r.thread_id, r.message_id));
    const opened = await this.#repo.findReadItems(userId, ids);
    const fromComments = comments.map((r, i) => ({
      id: ids[i]!,
      kind: (r.mentioned ? 'mention' : 'reply') as InboxKind,
      planId: r.document_id,
      planName: r.plan_name,
      workspaceId: r.workspace_id,
      threadId: r.thread_id,
      messageId: r.message_id,
      author: { id: r.author_id, name: r.author_name },
      text: r.text,
      anchor: JSON.parse(r.anchor) as unknown,
      at: r.created_at,
      unread: after(r.created_at) && !opened.has(ids[i]!) && !r.answered,
    }));
    const notes = (await this.#repo.notificationsFor(userId, LIMIT_PER_SOURCE)).map((n) => ({
      id: noteItemId(n.id),
      kind: n.kind as InboxKind,
      planId: n.plan_id,
      planName: n.plan_name,
      workspaceId: n.workspace_id,
      author: n.actor_id ? { id: n.actor_id, name: n.actor_name ?? '' } : null,
      text: n.text,
      at: n.created_at,
      unread: n.read_at === null && after(n.created_at),
      ...(n.kind === 'stage-opened' ? { stage: n.subject_id as InboxItem['stage'] } : { decisionId: n.subject_id }),
    }));
    return [...fromComments, ...notes].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  }

  async inbox(userId: string): Promise<InboxResponse> {
    const items = (await this.items(userId)).map(({ workspaceId: _workspaceId, ...item }) => item);
    return { items, unreadCount: items.filter((i) => i.unread).length, lastSeenAt: await this.#repo.findLastSeen(userId) };
  }

  /** Marks entries read (opening one does); ids that are not the user's change nothing. */
  async markRead(userId: string, ids: string[]): Promise<void> {
    const at = nowIso(this.#now());
    await this.#repo.markNotificationsRead(
      userId,
      ids.filter((id) => id.startsWith('note:')).map((id) => id.slice('note:'.length)),
      at,
    );
    await this.#repo.markItemsRead(
      userId,
      ids.filter((id) => id.startsWith('comment:')),
      at,
    );
  }

  /** Marks everything up to `at` read ("Mark all as read"). */
  markSeen(userId: string, at: string): Promise<void> {
    return this.#repo.setLastSeen(userId, at);
  }
}

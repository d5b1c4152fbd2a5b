import { MENTION_PATTERN } from '@accord/protocol';
import { readThreads } from '@accord/plan-model';
import type * as Y from 'yjs';
import type { Logger } from '../logger.ts';
import type { UserRepository } from '../users/user.repository.ts';
import type { PlanRepository } from '../plans/plan.repository.ts';
import type { GovernanceRepository } from './governance.repository.ts';

/** Mentions in a message's text (`<@userId>`), in order, without duplicates. */
export function parseMentions(text: string): string[] {
  return [...new Set([...text.matchAll(MENTION_PATTERN)].map((m) => m[1]!))];
}

/**
 * Keeps the SQL index of comments (threads live in the plan document) so that inboxes and
 * mentions are queries (the inbox reads it: inbox.service.ts).
 */
export class CommentIndex {
  readonly #repo: GovernanceRepository;
  readonly #users: UserRepository;
  readonly #plans: PlanRepository;
  readonly #log: Logger;
  readonly #pending = new Map<string, Promise<void>>();

  constructor(repo: GovernanceRepository, users: UserRepository, plans: PlanRepository, log: Logger) {
    this.#repo = repo;
    this.#users = users;
    this.#plans = plans;
    this.#log = log;
  }

  /** Re-indexes one document's comments; calls for the same document run one after another. */
  reindex(documentId: string, doc: Y.Doc): Promise<void> {
    const threads = readThreads(doc);
    const previous = this.#pending.get(documentId) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        const plan = await this.#plans.findById(documentId);
        if (!plan) return;
        const members = new Set((await this.#users.listMembers(plan.workspace_id)).map((m) => m.userId));
        const messages = threads.flatMap((thread) =>
          thread.messages.map((m) => ({
            threadId: thread.id,
            messageId: m.id,
            authorId: m.author,
            threadAuthorId: thread.createdBy,
            text: m.text,
            anchor: JSON.stringify(thread.anchor),
            createdAt: m.createdAt,
            deleted: m.deleted === true,
            mentions: parseMentions(m.text).filter((id) => members.has(id)),
          })),
        );
        await this.#repo.replaceCommentIndex(documentId, messages);
      })
      .catch((e: unknown) => this.#log.error({ err: e, documentId }, 'indexing comments failed'));
    this.#pending.set(documentId, next);
    return next;
  }
}

import { sql } from 'kysely';
import { AdvisoryLock, lockForTransaction } from '../db/advisory-locks.ts';
import { dialectOf, type Db, type SqlDialect } from '../db/database.ts';
import type { CycleEvent, Decision, Notification, Snapshot } from '../db/schema.ts';

/** Queries on decisions, snapshots, cycle stages and the comment index. */
export class GovernanceRepository {
  readonly #db: Db;
  readonly #dialect: SqlDialect;
  constructor(db: Db) {
    this.#db = db;
    this.#dialect = dialectOf(db);
  }

  // Decisions

  async insertDecision(decision: Decision, changedBy: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.insertInto('decisions').values(decision).execute();
      await trx
        .insertInto('decision_history')
        .values({
          decision_id: decision.id,
          changed_by: changedBy,
          changed_at: decision.decided_at,
          changes: JSON.stringify({ created: [null, decision.title] }),
        })
        .execute();
    });
  }

  async updateDecision(
    id: string,
    patch: Partial<Decision>,
    changedBy: string,
    changes: Record<string, [unknown, unknown]>,
    at: string,
  ): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx
        .updateTable('decisions')
        .set({ ...patch, updated_at: at })
        .where('id', '=', id)
        .execute();
      await trx
        .insertInto('decision_history')
        .values({ decision_id: id, changed_by: changedBy, changed_at: at, changes: JSON.stringify(changes) })
        .execute();
    });
  }

  findDecision(id: string): Promise<Decision | undefined> {
    return this.#db.selectFrom('decisions').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listDecisions(planId: string, filter: { ownerId?: string; status?: string; dueBefore?: string; cycle?: string }) {
    let query = this.#db
      .selectFrom('decisions')
      .innerJoin('users as owner', 'owner.id', 'decisions.owner_id')
      .innerJoin('users as decider', 'decider.id', 'decisions.decided_by')
      .selectAll('decisions')
      .select(['owner.name as owner_name', 'decider.name as decider_name'])
      .where('decisions.plan_id', '=', planId);
    if (filter.ownerId) query = query.where('decisions.owner_id', '=', filter.ownerId);
    if (filter.status) query = query.where('decisions.status', '=', filter.status as Decision['status']);
    if (filter.dueBefore) query = query.where('decisions.due_date', '<', filter.dueBefore);
    if (filter.cycle) query = query.where('decisions.cycle', '=', filter.cycle);
    return query.orderBy('decisions.due_date').orderBy('decisions.decided_at').execute();
  }

  decisionHistory(id: string) {
    return this.#db
      .selectFrom('decision_history')
      .leftJoin('users', 'users.id', 'decision_history.changed_by')
      .selectAll('decision_history')
      .select('users.name as changed_by_name')
      .where('decision_id', '=', id)
      .orderBy('decision_history.id')
      .execute();
  }

  /** Open decisions (not done or dropped) a user owns in a workspace's plans, soonest due first. */
  openDecisionsOwnedBy(userId: string, workspaceId: string) {
    return this.#db
      .selectFrom('decisions')
      .innerJoin('plans', 'plans.id', 'decisions.plan_id')
      .select(['decisions.id', 'decisions.plan_id', 'decisions.title', 'decisions.due_date', 'decisions.status', 'plans.name as plan_name'])
      .where('plans.workspace_id', '=', workspaceId)
      .where('decisions.owner_id', '=', userId)
      .where('decisions.status', 'in', ['open', 'in-progress'])
      .orderBy('decisions.due_date')
      .execute();
  }

  // Snapshots

  /**
   * Appends a snapshot to the hash chain in one transaction: `build` receives the previous link
   * (index and hash) and returns the row to insert. On PostgreSQL the transaction first takes the
   * chain's advisory lock, so instances sharing the database append one at a time and the chain
   * stays one line (without it, two locks at once would read the same last link).
   */
  async appendSnapshot(build: (previous: { index: number; hash: string | null }) => Snapshot): Promise<Snapshot> {
    return this.#db.transaction().execute(async (trx) => {
      await lockForTransaction(trx, this.#dialect, AdvisoryLock.snapshotChain);
      const last = await trx
        .selectFrom('snapshots')
        .select(['chain_index', 'content_hash'])
        .orderBy('chain_index', 'desc')
        .limit(1)
        .executeTakeFirst();
      const row = build({ index: last?.chain_index ?? 0, hash: last?.content_hash ?? null });
      await trx.insertInto('snapshots').values(row).execute();
      return row;
    });
  }

  findSnapshot(id: string): Promise<Snapshot | undefined> {
    return this.#db.selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirst();
  }

  listSnapshots(planId: string) {
    return this.#db
      .selectFrom('snapshots')
      .innerJoin('users', 'users.id', 'snapshots.locked_by')
      .select([
        'snapshots.id',
        'snapshots.plan_id',
        'snapshots.name',
        'snapshots.cycle',
        'snapshots.locked_by',
        'snapshots.locked_at',
        'snapshots.content_hash',
        'snapshots.previous_hash',
        'snapshots.decisions',
        'users.name as locked_by_name',
      ])
      .where('snapshots.plan_id', '=', planId)
      .orderBy('snapshots.chain_index', 'desc')
      .execute();
  }

  /** The whole chain in order, for verification. */
  allSnapshots(): Promise<Snapshot[]> {
    return this.#db.selectFrom('snapshots').selectAll().orderBy('chain_index').execute();
  }

  async setBaseline(planId: string, snapshotId: string | null): Promise<void> {
    await this.#db.updateTable('plans').set({ baseline_snapshot_id: snapshotId }).where('id', '=', planId).execute();
  }

  // Cycle stages

  listStages(planId: string) {
    return this.#db
      .selectFrom('cycle_stages')
      .leftJoin('users', 'users.id', 'cycle_stages.owner_id')
      .select(['cycle_stages.stage', 'cycle_stages.owner_id', 'cycle_stages.due_date', 'users.name as owner_name'])
      .where('cycle_stages.plan_id', '=', planId)
      .execute();
  }

  /** Owners and due dates of the stages of every plan of a workspace (for its home page). */
  listWorkspaceStages(workspaceId: string) {
    return this.#db
      .selectFrom('cycle_stages')
      .innerJoin('plans', 'plans.id', 'cycle_stages.plan_id')
      .leftJoin('users', 'users.id', 'cycle_stages.owner_id')
      .select(['cycle_stages.plan_id', 'cycle_stages.stage', 'cycle_stages.owner_id', 'cycle_stages.due_date', 'users.name as owner_name'])
      .where('plans.workspace_id', '=', workspaceId)
      .execute();
  }

  /** Sets the owners and due dates of several stages of a plan in one transaction. */
  async upsertStages(planId: string, stages: { stage: string; ownerId: string | null; dueDate: string | null }[]): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      for (const { stage, ownerId, dueDate } of stages) {
        await trx
          .insertInto('cycle_stages')
          .values({ plan_id: planId, stage, owner_id: ownerId, due_date: dueDate })
          .onConflict((oc) => oc.columns(['plan_id', 'stage']).doUpdateSet({ owner_id: ownerId, due_date: dueDate }))
          .execute();
      }
    });
  }

  async insertCycleEvent(event: CycleEvent): Promise<void> {
    await this.#db.insertInto('cycle_events').values(event).execute();
  }

  /** What happened in one cycle of a plan, oldest first, with the names of who did it. */
  listCycleEvents(planId: string, cycle: string) {
    return this.#db
      .selectFrom('cycle_events')
      .leftJoin('users', 'users.id', 'cycle_events.user_id')
      .selectAll('cycle_events')
      .select('users.name as user_name')
      .where('cycle_events.plan_id', '=', planId)
      .where('cycle_events.cycle', '=', cycle)
      .orderBy('cycle_events.created_at')
      .execute();
  }

  // Notifications (inbox entries that are not comments)

  async insertNotifications(rows: Notification[]): Promise<void> {
    if (rows.length > 0) await this.#db.insertInto('notifications').values(rows).execute();
  }

  /** A user's notifications in plans of workspaces they belong to, newest first. */
  notificationsFor(userId: string, limit: number) {
    return this.#db
      .selectFrom('notifications as n')
      .innerJoin('plans', 'plans.id', 'n.plan_id')
      .innerJoin('memberships', (join) =>
        join.onRef('memberships.workspace_id', '=', 'plans.workspace_id').on('memberships.user_id', '=', userId),
      )
      .leftJoin('users as actor', 'actor.id', 'n.actor_id')
      .selectAll('n')
      .select(['plans.name as plan_name', 'plans.workspace_id', 'actor.name as actor_name'])
      .where('n.user_id', '=', userId)
      .orderBy('n.created_at', 'desc')
      .limit(limit)
      .execute();
  }

  async markNotificationsRead(userId: string, ids: string[], at: string): Promise<void> {
    if (ids.length === 0) return;
    await this.#db
      .updateTable('notifications')
      .set({ read_at: at })
      .where('user_id', '=', userId)
      .where('id', 'in', ids)
      .where('read_at', 'is', null)
      .execute();
  }

  /** Comment entries of the inbox the user opened, among `itemIds`. */
  async findReadItems(userId: string, itemIds: string[]): Promise<Set<string>> {
    if (itemIds.length === 0) return new Set();
    const rows = await this.#db
      .selectFrom('inbox_item_reads')
      .select('item_id')
      .where('user_id', '=', userId)
      .where('item_id', 'in', itemIds)
      .execute();
    return new Set(rows.map((r) => r.item_id));
  }

  async markItemsRead(userId: string, itemIds: string[], at: string): Promise<void> {
    if (itemIds.length === 0) return;
    await this.#db
      .insertInto('inbox_item_reads')
      .values(itemIds.map((itemId) => ({ user_id: userId, item_id: itemId, read_at: at })))
      .onConflict((oc) => oc.columns(['user_id', 'item_id']).doNothing())
      .execute();
  }

  // Comment index and inbox

  /** Replaces the index of one document's comments with `messages` and their mentions. */
  async replaceCommentIndex(
    documentId: string,
    messages: {
      threadId: string;
      messageId: string;
      authorId: string;
      threadAuthorId: string;
      text: string;
      anchor: string;
      createdAt: string;
      deleted: boolean;
      mentions: string[];
    }[],
  ): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('comment_mentions').where('document_id', '=', documentId).execute();
      await trx.deleteFrom('comment_messages').where('document_id', '=', documentId).execute();
      for (let i = 0; i < messages.length; i += 500) {
        const batch = messages.slice(i, i + 500);
        await trx
          .insertInto('comment_messages')
          .values(
            batch.map((m) => ({
              document_id: documentId,
              thread_id: m.threadId,
              message_id: m.messageId,
              author_id: m.authorId,
              thread_author_id: m.threadAuthorId,
              text: m.text,
              anchor: m.anchor,
              created_at: m.createdAt,
              deleted: m.deleted ? 1 : 0,
            })),
          )
          .execute();
        const mentions = batch.flatMap((m) =>
          m.mentions.map((userId) => ({ document_id: documentId, thread_id: m.threadId, message_id: m.messageId, user_id: userId })),
        );
        if (mentions.length > 0)
          await trx
            .insertInto('comment_mentions')
            .values(mentions)
            .onConflict((oc) => oc.doNothing())
            .execute();
      }
    });
  }

  /** Mentions of the user and replies by others in threads the user started or wrote in, newest first. */
  inboxMessages(userId: string, limit: number) {
    return this.#db
      .selectFrom('comment_messages as m')
      .innerJoin('plans', 'plans.id', 'm.document_id')
      .innerJoin('memberships', (join) =>
        join.onRef('memberships.workspace_id', '=', 'plans.workspace_id').on('memberships.user_id', '=', userId),
      )
      .innerJoin('users as author', 'author.id', 'm.author_id')
      .select([
        'm.document_id',
        'm.thread_id',
        'm.message_id',
        'm.author_id',
        'm.text',
        'm.anchor',
        'm.created_at',
        'plans.name as plan_name',
        'author.name as author_name',
        'plans.workspace_id',
        // Answered: the user wrote in the thread after this message, so they have read it (1 or 0, as below).
        sql<number>`case when exists (select 1 from comment_messages later where later.document_id = m.document_id and later.thread_id = m.thread_id and later.author_id = ${userId} and later.created_at > m.created_at) then 1 else 0 end`.as(
          'answered',
        ),
        // 1 or 0 on both databases (a bare exists() is a boolean on PostgreSQL, an integer on SQLite).
        sql<number>`case when exists (select 1 from comment_mentions cm where cm.document_id = m.document_id and cm.thread_id = m.thread_id and cm.message_id = m.message_id and cm.user_id = ${userId}) then 1 else 0 end`.as(
          'mentioned',
        ),
      ])
      .where('m.author_id', '!=', userId)
      .where('m.deleted', '=', 0)
      .where((eb) =>
        eb.or([
          eb.exists(
            eb
              .selectFrom('comment_mentions as cm')
              .select('cm.user_id')
              .whereRef('cm.document_id', '=', 'm.document_id')
              .whereRef('cm.thread_id', '=', 'm.thread_id')
              .whereRef('cm.message_id', '=', 'm.message_id')
              .where('cm.user_id', '=', userId),
          ),
          eb('m.thread_author_id', '=', userId),
          eb.exists(
            eb
              .selectFrom('comment_messages as mine')
              .select('mine.message_id')
              .whereRef('mine.document_id', '=', 'm.document_id')
              .whereRef('mine.thread_id', '=', 'm.thread_id')
              .where('mine.author_id', '=', userId)
              .whereRef('mine.created_at', '<', 'm.created_at'),
          ),
        ]),
      )
      .orderBy('m.created_at', 'desc')
      .limit(limit)
      .execute();
  }

  async findLastSeen(userId: string): Promise<string | null> {
    const row = await this.#db.selectFrom('inbox_reads').select('last_seen_at').where('user_id', '=', userId).executeTakeFirst();
    return row?.last_seen_at ?? null;
  }

  async setLastSeen(userId: string, at: string): Promise<void> {
    await this.#db
      .insertInto('inbox_reads')
      .values({ user_id: userId, last_seen_at: at })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ last_seen_at: at }))
      .execute();
  }
}

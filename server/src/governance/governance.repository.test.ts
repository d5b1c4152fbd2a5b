import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, type Db } from '../db/database.ts';
import type { Snapshot } from '../db/schema.ts';
import { testDatabase, testPostgresDatabase, type TestPostgres } from '../db/test-database.ts';
import { GovernanceRepository } from './governance.repository.ts';

const snapshotRow = (id: string, previous: { index: number; hash: string | null }): Snapshot => ({
  id,
  chain_index: previous.index + 1,
  plan_id: 'p1',
  name: id,
  cycle: '2026-01',
  locked_by: 'u1',
  locked_at: new Date().toISOString(),
  state: new Uint8Array([1, 2, 3]),
  tables: '{}',
  decisions: '[]',
  previous_hash: previous.hash,
  content_hash: `hash-of-${id}`,
});

describe('GovernanceRepository on PostgreSQL', () => {
  let pg: TestPostgres;
  let second: Db;
  beforeAll(async () => {
    pg = await testPostgresDatabase();
    // A second pool on the same database: another instance of the server.
    second = await openPostgres(pg.url);
  });
  afterAll(async () => {
    await second?.destroy();
    await pg?.drop();
  });

  it('keeps one snapshot hash chain when two instances append at once (advisory lock)', async () => {
    const instances = [new GovernanceRepository(pg.db), new GovernanceRepository(second)];
    // Without the lock, appends racing on different connections read the same last link and one
    // of them fails on the unique chain_index (or, without that constraint, the chain forks).
    await Promise.all(Array.from({ length: 40 }, (_, i) => instances[i % 2]!.appendSnapshot((previous) => snapshotRow(`s${i}`, previous))));
    const chain = await instances[0]!.allSnapshots();
    expect(chain.map((s) => s.chain_index)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    chain.forEach((s, i) => expect(s.previous_hash).toBe(i === 0 ? null : chain[i - 1]!.content_hash));
  });
});

describe.each(['sqlite', 'postgres'] as const)('GovernanceRepository inbox on %s', (dialect) => {
  let db: Db;
  let pg: TestPostgres | undefined;
  beforeAll(async () => {
    if (dialect === 'postgres') {
      pg = await testPostgresDatabase();
      db = pg.db;
    } else db = await testDatabase();
    const at = '2026-01-01T00:00:00.000Z';
    await db.insertInto('users').values({ id: 'u2', email: 'b@b.c', name: 'B', password_hash: 'x', created_at: at }).execute();
    await db.insertInto('workspaces').values({ id: 'w', name: 'W', created_at: at }).execute();
    await db
      .insertInto('memberships')
      .values([
        { workspace_id: 'w', user_id: 'u1', role: 'sales', created_at: at },
        { workspace_id: 'w', user_id: 'u2', role: 'sales', created_at: at },
      ])
      .execute();
    await db.insertInto('plans').values({ id: 'p', workspace_id: 'w', name: 'P', created_at: at, updated_at: at }).execute();
  });
  afterAll(async () => {
    if (pg) await pg.drop();
    else await db?.destroy();
  });

  it('says 1 or 0 for "mentioned" on both databases (a bare exists() is a boolean on PostgreSQL)', async () => {
    const repo = new GovernanceRepository(db);
    const message = (messageId: string, mentions: string[], createdAt: string) => ({
      threadId: 't',
      messageId,
      authorId: 'u2',
      threadAuthorId: 'u1',
      text: 'hello',
      anchor: '{}',
      createdAt,
      deleted: false,
      mentions,
    });
    await repo.replaceCommentIndex('p', [message('m1', ['u1'], '2026-01-02T00:00:00.000Z'), message('m2', [], '2026-01-03T00:00:00.000Z')]);
    const inbox = await repo.inboxMessages('u1', 10);
    expect(inbox.map((m) => [m.message_id, m.mentioned])).toEqual([
      ['m2', 0],
      ['m1', 1],
    ]);
  });
});

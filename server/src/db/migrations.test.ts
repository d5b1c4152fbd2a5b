import fs from 'node:fs';
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSqliteHandle, migrationsFor, openDatabase } from './database.ts';
import { testPostgresDatabase, type TestPostgres } from './test-database.ts';

describe('migrations on SQLite', () => {
  it('still create, through 0005, exactly the schema they shipped with (they are frozen)', async () => {
    const db = openDatabase(':memory:');
    const migrated = await new Migrator({ db, provider: { getMigrations: async () => migrationsFor('sqlite') } }).migrateTo(
      '0005-baseline-runs',
    );
    expect(migrated.error).toBeUndefined();
    const schema = findSqliteHandle(db)!
      .prepare("select type, name, tbl_name, sql from sqlite_master where name not like 'kysely_%' order by type, name")
      .all();
    await db.destroy();
    // Recorded from the migrations as they were before PostgreSQL's branches were added.
    const shipped: unknown = JSON.parse(fs.readFileSync(new URL('./migrations/sqlite-schema-0001-0005.json', import.meta.url), 'utf8'));
    expect(schema).toEqual(shipped);
  });
});

describe('migrations on PostgreSQL', () => {
  let pg: TestPostgres;
  beforeAll(async () => {
    pg = await testPostgresDatabase();
  });
  afterAll(async () => {
    await pg?.drop();
  });

  const columnType = async (table: string, column: string) =>
    (
      await sql<{ data_type: string; is_identity: string }>`select data_type, is_identity from information_schema.columns
        where table_name = ${table} and column_name = ${column}`.execute(pg.db)
    ).rows[0];

  it('give binary columns bytea, cell values double precision and log ids bigint identities', async () => {
    for (const [table, column] of [
      ['sessions', 'secret_hash'],
      ['document_states', 'state'],
      ['document_updates', 'data'],
      ['api_tokens', 'secret_hash'],
      ['snapshots', 'state'],
      ['scenarios', 'fork_state'],
    ])
      expect(await columnType(table!, column!), `${table}.${column}`).toMatchObject({ data_type: 'bytea' });
    expect(await columnType('cell_history', 'old_value')).toMatchObject({ data_type: 'double precision' });
    for (const table of ['document_updates', 'audit_log', 'cell_history', 'decision_history'])
      expect(await columnType(table, 'id'), table).toEqual({ data_type: 'bigint', is_identity: 'YES' });
  });

  it('read back bytes, exact doubles, and bigint ids and counts as numbers', async () => {
    const bytes = new Uint8Array([0, 1, 2, 254, 255]);
    const inserted = await pg.db
      .insertInto('cell_history')
      .values({ document_id: 'd', root: 'sales', cell_key: 'k', old_value: null, new_value: 1234567.891, user_id: 'u1', created_at: 'now' })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(inserted.id).toBeTypeOf('number');
    const row = await pg.db.selectFrom('cell_history').select('new_value').where('id', '=', inserted.id).executeTakeFirstOrThrow();
    expect(row.new_value).toBe(1234567.891); // a 4-byte real would have rounded it
    await pg.db.insertInto('document_states').values({ document_id: 'd', state: bytes, updated_at: 'now' }).execute();
    const state = await pg.db.selectFrom('document_states').select('state').where('document_id', '=', 'd').executeTakeFirstOrThrow();
    expect(new Uint8Array(state.state)).toEqual(bytes);
    const count = await pg.db
      .selectFrom('cell_history')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
  });

  it('make the snapshot table append-only with triggers, as on SQLite', async () => {
    await pg.db
      .insertInto('snapshots')
      .values({
        id: 's1',
        chain_index: 1,
        plan_id: 'p',
        name: 'n',
        cycle: '2026-01',
        locked_by: 'u1',
        locked_at: 'now',
        state: new Uint8Array([1]),
        tables: '{}',
        decisions: '[]',
        previous_hash: null,
        content_hash: 'h',
      })
      .execute();
    await expect(pg.db.updateTable('snapshots').set({ name: 'rewritten' }).execute()).rejects.toThrow(/snapshots are immutable/);
    await expect(pg.db.deleteFrom('snapshots').execute()).rejects.toThrow(/snapshots are immutable/);
    await expect(sql`truncate snapshots`.execute(pg.db)).rejects.toThrow(/snapshots are immutable/);
    const rows = await pg.db.selectFrom('snapshots').select('name').execute();
    expect(rows).toEqual([{ name: 'n' }]);
  });
});

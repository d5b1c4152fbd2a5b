import crypto from 'node:crypto';
import pg from 'pg';
import { UserRepository } from '../users/user.repository.ts';
import { migrateToLatest, openDatabase, openPostgres, type Db } from './database.ts';

/** For unit tests: a migrated database (in memory unless a file is given) holding one user, `u1` (a@b.c). */
export async function testDatabase(file = ':memory:'): Promise<Db> {
  const db = openDatabase(file);
  await migrateToLatest(db);
  await insertTestUser(db);
  return db;
}

async function insertTestUser(db: Db): Promise<void> {
  await new UserRepository(db).insertUser({
    id: 'u1',
    email: 'a@b.c',
    name: 'A',
    password_hash: 'x',
    created_at: new Date().toISOString(),
  });
}

// The PostgreSQL server the tests use (trust authentication on the loopback address; `./run test`
// makes sure one answers there), through its maintenance database.
const TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** A fresh PostgreSQL database for a unit test, and how to reach and drop it. */
export interface TestPostgres {
  /** Connected and migrated, holding user `u1` like testDatabase(). */
  db: Db;
  /** Its connection string, for a second connection (another "instance"). */
  url: string;
  /** Closes `db` and drops the database, ending any other connection to it. */
  drop(): Promise<void>;
}

/**
 * Creates `accord_t_<random>` on the test PostgreSQL server (so parallel runs never share one),
 * migrates it and adds user `u1`. Call `drop()` in afterAll/afterEach.
 */
export async function testPostgresDatabase(): Promise<TestPostgres> {
  const name = `accord_t_${crypto.randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  // CREATE DATABASE copies template1 and fails while another session is connected to it (two test
  // files creating at the same instant): try again shortly.
  for (let attempt = 1; ; attempt++) {
    try {
      await admin(`create database ${name}`);
      break;
    } catch (e: unknown) {
      if ((e as { code?: string }).code !== '55006' || attempt >= 20) throw e;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.toString());
  await migrateToLatest(db);
  await insertTestUser(db);
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.destroy();
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}

import fs from 'node:fs';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import * as initial from './migrations/0001-initial.ts';
import * as historyAndTokens from './migrations/0002-history-and-tokens.ts';
import * as governance from './migrations/0003-governance.ts';
import * as scenarios from './migrations/0004-scenarios.ts';
import * as baselineRuns from './migrations/0005-baseline-runs.ts';
import type { Database } from './schema.ts';
import { ConfigError } from '../config.ts';

export type Db = Kysely<Database>;

// The better-sqlite3 handle behind each Kysely instance opened here, for the one hot path that
// needs prepared statements (the sync update log); everything else goes through Kysely.
const sqliteHandles = new WeakMap<Db, SQLite.Database>();

/** The SQLite handle behind `db`, or undefined when it runs on another database. */
export function findSqliteHandle(db: Db): SQLite.Database | undefined {
  return sqliteHandles.get(db);
}

// Migrations are listed here rather than read from a folder, so they work the same from source,
// from a bundle and in tests. Names sort in the order they must run.
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-history-and-tokens': historyAndTokens,
  '0003-governance': governance,
  '0004-scenarios': scenarios,
  '0005-baseline-runs': baselineRuns,
};

/**
 * Opens (creating if needed) the SQLite database in WAL mode. `:memory:` gives a private
 * in-memory database for tests.
 */
export function openDatabase(file: string): Db {
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(file);
  } catch (e: unknown) {
    throw new ConfigError(`Cannot open the database ${file}: ${e instanceof Error ? e.message : String(e)}.`);
  }
  // WAL: readers never block the writer and a commit is one append; synchronous=NORMAL is
  // durable against process crashes in WAL mode (DESIGN.md §4: nothing any user saw is lost).
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  sqliteHandles.set(db, sqlite);
  return db;
}

/** Brings the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${reason}`);
  }
}

/** Makes sure the data directory exists and is writable, with one clear sentence if not. */
export function ensureDataDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new ConfigError(`The data directory ${dir} cannot be created or written; set DATA_DIR to a writable directory.`);
  }
}

/** Current time as the ISO string the schema stores. */
export function nowIso(now: Date = new Date()): string {
  return now.toISOString();
}

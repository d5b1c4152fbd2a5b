import fs from 'node:fs';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase } from 'kysely';
import { Migrator, type Migration } from 'kysely/migration';
import type pg from 'pg';
import * as initial from './migrations/0001-initial.ts';
import * as historyAndTokens from './migrations/0002-history-and-tokens.ts';
import * as governance from './migrations/0003-governance.ts';
import * as scenarios from './migrations/0004-scenarios.ts';
import * as baselineRuns from './migrations/0005-baseline-runs.ts';
import * as baselineChanges from './migrations/0017-baseline-changes.ts';
import * as sequencesAndChanges from './migrations/0020-sequences-and-changes.ts';
import * as updateLogIndex from './migrations/0022-update-log-index.ts';
import * as baselineLeases from './migrations/0021-baseline-leases.ts';
import * as cycleAndInbox from './migrations/0012-cycle-and-inbox.ts';
import * as invitations from './migrations/0013-invitations.ts';
import type { Database } from './schema.ts';
import type { SqlDialect } from './dialect.ts';
import { ConfigError, redactUrl, type Config } from '../config.ts';

export type Db = Kysely<Database>;
export type { SqlDialect } from './dialect.ts';

const dialects = new WeakMap<Db, SqlDialect>();

/** Which database `db` (opened by this module) runs on. */
export function dialectOf(db: Db): SqlDialect {
  const dialect = dialects.get(db);
  if (!dialect) throw new Error('dialectOf: this Kysely instance was not opened by openDatabase/openPostgres (a transaction?)');
  return dialect;
}

// The better-sqlite3 handle behind each Kysely instance opened here, for the one hot path that
// needs prepared statements (the sync update log); everything else goes through Kysely.
const sqliteHandles = new WeakMap<Db, SQLite.Database>();

/** The SQLite handle behind `db`, or undefined when it runs on another database. */
export function findSqliteHandle(db: Db): SQLite.Database | undefined {
  return sqliteHandles.get(db);
}

// The node-postgres pool behind each Kysely instance opened on PostgreSQL, for the same hot path:
// there the append runs as a named (server-side prepared) statement, which Kysely cannot name.
const postgresPools = new WeakMap<Db, pg.Pool>();

/** The node-postgres pool behind `db`, or undefined when it runs on another database. */
export function findPostgresPool(db: Db): pg.Pool | undefined {
  return postgresPools.get(db);
}

/**
 * A migration. `dialect` says which database it runs on: PostgreSQL gets its own column types
 * and triggers, while what runs on SQLite stays exactly what shipped (migrations are frozen).
 */
export interface AccordMigration {
  up(db: Kysely<unknown>, dialect: SqlDialect): Promise<void>;
  down?(db: Kysely<unknown>, dialect: SqlDialect): Promise<void>;
}

// Migrations are listed here rather than read from a folder, so they work the same from source,
// from a bundle and in tests. Names sort in the order they must run.
const MIGRATIONS: Record<string, AccordMigration> = {
  '0001-initial': initial,
  '0002-history-and-tokens': historyAndTokens,
  '0003-governance': governance,
  '0004-scenarios': scenarios,
  '0005-baseline-runs': baselineRuns,
  '0017-baseline-changes': baselineChanges,
  '0020-sequences-and-changes': sequencesAndChanges,
  '0022-update-log-index': updateLogIndex,
  '0021-baseline-leases': baselineLeases,
  '0012-cycle-and-inbox': cycleAndInbox,
  '0013-invitations': invitations,
};

/** The migrations as Kysely runs them, each told which database it runs on. */
export function migrationsFor(dialect: SqlDialect): Record<string, Migration> {
  return Object.fromEntries(
    Object.entries(MIGRATIONS).map(([name, m]) => [
      name,
      { up: (db: Kysely<unknown>) => m.up(db, dialect), down: m.down && ((db: Kysely<unknown>) => m.down!(db, dialect)) },
    ]),
  );
}

/** Opens the store the configuration names: PostgreSQL when DATABASE_URL is set, otherwise the SQLite file. */
export async function openStore(
  config: Pick<Config, 'databaseFile' | 'databaseUrl'>,
  options: { onPoolError?: (e: Error) => void } = {},
): Promise<Db> {
  return config.databaseUrl ? openPostgres(config.databaseUrl, options) : openDatabase(config.databaseFile);
}

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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  sqliteHandles.set(db, sqlite);
  dialects.set(db, 'sqlite');
  return db;
}

// Statements kept prepared per SQL text: Kysely's SQLite driver prepares every query anew, and
// preparing (parsing and planning in SQLite) was a third of a small query's time (~20 µs; in a
// profile of 500 sockets reconnecting at once, 53 of the ~100 ms their sign-in and access queries
// took). Kysely runs one query at a time on its one connection, so a statement is never in use
// twice at once; SQLite re-prepares a kept statement itself when a migration changes the schema.
const STATEMENT_CACHE_SIZE = 500;

function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const kept = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = kept.get(sql);
      if (statement) {
        // Most recently used last, so the least recently used is dropped first.
        kept.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (kept.size >= STATEMENT_CACHE_SIZE) kept.delete(kept.keys().next().value!);
      }
      kept.set(sql, statement);
      return statement;
    },
  };
}

// PostgreSQL's type ids (pg_type.oid) whose text pg would hand over as strings.
const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * int8 (bigint ids, count(*), max(id)) and numeric as JS numbers, like SQLite gives them: the
 * repositories compare and add them as numbers. An int8 beyond 2^53 cannot be one; it throws
 * rather than round (no id or count of Accord's gets near it).
 */
function pgTypes(driver: typeof pg) {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
      if (oid === INT8_OID)
        return (text: string) => {
          const n = Number(text);
          if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${text} is beyond JavaScript's safe integers`);
          return n;
        };
      if (oid === NUMERIC_OID) return (text: string) => Number(text);
      return format === 'binary' ? driver.types.getTypeParser(oid, 'binary') : driver.types.getTypeParser(oid, 'text');
    }) as typeof pg.types.getTypeParser,
  };
}

/** How long a statement waits for a row or table lock before failing (like SQLite's busy timeout). */
const PG_LOCK_TIMEOUT_MS = 5000;

/**
 * Pooled connections kept open however long they sit idle. The pool closes others after 10 s idle,
 * and a new connection costs the edit that needs it a connection start, a fresh backend with cold
 * catalogue caches and the append statement prepared again: several milliseconds at the first
 * edit after every pause in a meeting.
 */
const PG_WARM_CONNECTIONS = 2;

/**
 * Connects to PostgreSQL (DATABASE_URL) through a pool of node-postgres connections and checks
 * that the database answers; a bad address, a refused login or a missing database is a
 * ConfigError naming the URL without its password. `onPoolError` hears errors of idle pooled
 * connections (PostgreSQL restarted, a connection killed): the pool replaces them, so they are
 * only reported.
 */
export async function openPostgres(url: string, options: { onPoolError?: (e: Error) => void; max?: number } = {}): Promise<Db> {
  // Loaded here, not at start-up: a server on SQLite does not pay for the driver's ~30 modules.
  const { default: driver } = await import('pg');
  const pool = new driver.Pool({
    connectionString: url,
    types: pgTypes(driver),
    max: options.max ?? 10,
    min: PG_WARM_CONNECTIONS,
    connectionTimeoutMillis: 10_000,
    // A write that waits longer for a lock fails, so the update is refused (4503, resent by the
    // client) instead of the room waiting for ever behind someone's long transaction.
    lock_timeout: PG_LOCK_TIMEOUT_MS,
    application_name: 'accord',
  });
  pool.on('error', (e: Error) => options.onPoolError?.(e));
  try {
    const client = await pool.connect();
    client.release();
  } catch (e: unknown) {
    await pool.end().catch(() => undefined);
    const reason = e instanceof Error ? e.message || (e as NodeJS.ErrnoException).code || e.name : String(e);
    throw new ConfigError(
      `Cannot connect to the PostgreSQL database ${redactUrl(url)} (${reason.replace(/\.$/, '')}); check DATABASE_URL and that PostgreSQL is running.`,
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  dialects.set(db, 'postgres');
  postgresPools.set(db, pool);
  return db;
}

/** Brings the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrationsFor(dialectOf(db)) } });
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

import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** The repository root, from which the server and the CLI are started. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The store the servers of this run use: `ACCORD_TEST_STORE=postgres` (set by the
 * `integration-pg` project) gives each data directory a fresh PostgreSQL database; otherwise each
 * uses its own SQLite file, as `pnpm serve` does by default.
 */
export const TEST_STORE: 'sqlite' | 'postgres' = process.env.ACCORD_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/**
 * Set by the `cluster` vitest project: a test file written for one server gets, from a plain
 * `startServer()`, this many instances on one PostgreSQL database behind nginx
 * (test/support/cluster.ts), reached through nginx's address.
 */
export const TEST_CLUSTER_SIZE = Number(process.env.ACCORD_TEST_CLUSTER || 0);

/** The PostgreSQL server (its maintenance database) on which test databases are created and dropped. */
export const TEST_POSTGRES_URL = process.env.ACCORD_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

// Data directory → the URL of the database created for it by this test file (PostgreSQL mode).
const databases = new Map<string, string>();

/** Runs `work` with a connection to the maintenance database of the test PostgreSQL server. */
async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, application_name: 'accord-tests' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The PostgreSQL database that belongs to a data directory: created on first use, empty, named
 * `accord_t_<random>` so that parallel test files and other people's runs never share one.
 */
export async function databaseFor(dataDir: string): Promise<string> {
  const existing = databases.get(dataDir);
  if (existing) return existing;
  const name = `accord_t_${crypto.randomBytes(6).toString('hex')}`;
  await withAdminClient(async (client) => {
    // CREATE DATABASE copies template1 and fails while another session is connected to it (two
    // files creating at the same instant): try again shortly.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`create database ${name}`);
        return;
      } catch (e: unknown) {
        if ((e as { code?: string }).code !== '55006' || attempt >= 20) throw e;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  });
  const url = new URL(TEST_POSTGRES_URL);
  url.pathname = `/${name}`;
  databases.set(dataDir, url.toString());
  return url.toString();
}

/** Drops the database created for a data directory, ending any connection still open to it. */
export async function dropDatabaseFor(dataDir: string): Promise<void> {
  const url = databases.get(dataDir);
  if (!url) return;
  databases.delete(dataDir);
  const name = new URL(url).pathname.slice(1);
  await withAdminClient((client) => client.query(`drop database if exists ${name} with (force)`));
}

/** Drops every database this test file created (registered as an afterAll hook in PostgreSQL mode). */
export async function dropTestDatabases(): Promise<void> {
  for (const dataDir of [...databases.keys()]) await dropDatabaseFor(dataDir);
}

// This process's environment without a store of the person running the tests: each server and
// CLI run is pointed at its own store below.
const { DATABASE_URL: _databaseUrl, REDIS_URL: _redisUrl, ...inheritedEnv } = process.env;

/** The environment that points a server or the CLI at the store of a data directory. */
async function storeEnv(dataDir: string, store: 'sqlite' | 'postgres'): Promise<Record<string, string>> {
  return store === 'postgres' ? { DATABASE_URL: await databaseFor(dataDir) } : {};
}

/**
 * The Node options `pnpm serve` starts the server with (root package.json, `serve`), so tests and
 * benchmarks run it as it is deployed: a 4 MiB young generation keeps a loaded plan of 1,000 SKUs
 * ~90 MiB smaller and loads it faster (docs/decisions.md).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/** The bundle `pnpm build` writes and `pnpm serve` runs. */
export const SERVER_BUNDLE = 'server/dist/accord.mjs';

/** A fresh data directory under the system temp dir. */
export function makeDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'accord-test-'));
}

export interface ServerProcess {
  url: string;
  port: number;
  dataDir: string;
  /** The store it runs on; `databaseUrl` is its PostgreSQL database when that is `postgres`. */
  store: 'sqlite' | 'postgres';
  databaseUrl: string | undefined;
  /** The server's process id (for its memory in benchmarks). */
  pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM and wait for a clean exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, nothing gets to run. */
  kill(): Promise<void>;
}

/**
 * Starts `node server/src/main.ts` as a child process, exactly as `pnpm serve` does, and waits
 * for its "listening" log line. PORT defaults to 0 (any free port). The store is TEST_STORE
 * unless `store` says otherwise; on PostgreSQL the data directory's database is created on first
 * use. A server given no data directory has its database dropped when it is stopped; one given a
 * data directory (to be started again on it) keeps it until the test file ends. In the `cluster`
 * project (TEST_CLUSTER_SIZE) a call with no more than `args` and `env` starts a cluster instead.
 */
export async function startServer(
  options: {
    dataDir?: string;
    port?: number;
    args?: string[];
    env?: Record<string, string>;
    store?: 'sqlite' | 'postgres';
    /** Another instance's PostgreSQL database, to share instead of one for this data directory. */
    databaseUrl?: string;
    /** The checkout to run (another commit's, in benchmarks that compare); this one by default. */
    root?: string;
    /** Node's options for the server process; those of `pnpm serve` by default. */
    nodeFlags?: string[];
    /**
     * What to run: the source (`server/src/main.ts`, the default: what is edited is what is
     * tested) or the bundle `pnpm build` writes for `pnpm serve` (`server/dist/accord.mjs`).
     */
    entry?: 'source' | 'bundle';
    /** How long to wait for the "listening" line (default 20 s; instances starting together take longer). */
    startTimeoutMs?: number;
  } = {},
): Promise<ServerProcess> {
  const plain = Object.keys(options).every((key) => key === 'args' || key === 'env');
  if (TEST_CLUSTER_SIZE > 1 && plain) {
    // Loaded only here: cluster.ts builds on this module.
    const { clusterAsServer, startCluster } = await import('./cluster.ts');
    return clusterAsServer(await startCluster({ instances: TEST_CLUSTER_SIZE, args: options.args, env: options.env }));
  }
  const dataDir = options.dataDir ?? makeDataDir();
  const store = options.databaseUrl ? 'postgres' : (options.store ?? TEST_STORE);
  const env = options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : await storeEnv(dataDir, store);
  // An earlier checkout (benchmarks that compare) runs as its own `pnpm serve` did: no options.
  const nodeFlags = options.nodeFlags ?? (options.root && options.root !== REPO_ROOT ? [] : SERVER_NODE_FLAGS);
  const entry = options.entry === 'bundle' ? SERVER_BUNDLE : 'server/src/main.ts';
  const child = spawn(process.execPath, [...nodeFlags, entry, ...(options.args ?? ['--demo'])], {
    cwd: options.root ?? REPO_ROOT,
    env: {
      ...inheritedEnv,
      DATA_DIR: dataDir,
      PORT: String(options.port ?? 0),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // 'close', not 'exit': it comes after the last output was read, so output() holds every line.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const listening = new Promise<number>((resolve, reject) => {
    const startTimeoutMs = options.startTimeoutMs ?? 20_000;
    const timer = setTimeout(() => {
      // Killed, not left running: nobody could stop it (nor drop its database) later.
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${startTimeoutMs / 1000} s:\n${output}`));
    }, startTimeoutMs);
    const onData = () => {
      for (const line of output.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === 'listening' && entry.port) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(entry.port);
          return;
        }
      }
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  let port: number;
  try {
    port = await listening;
  } catch (e: unknown) {
    await exited;
    if (!options.dataDir) await dropDatabaseFor(dataDir);
    throw e;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    store,
    databaseUrl: env.DATABASE_URL,
    pid: child.pid!,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      if (!options.dataDir) await dropDatabaseFor(dataDir);
      return code;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Runs a command-line entry (`server/src/cli.ts`) against the store of a data directory (its
 * PostgreSQL database in PostgreSQL mode, as for startServer).
 */
export async function runCli(
  dataDir: string,
  args: string[],
  options: { store?: 'sqlite' | 'postgres'; env?: Record<string, string>; root?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child: ChildProcess = spawn(process.execPath, ['server/src/cli.ts', ...args], {
    cwd: options.root ?? REPO_ROOT,
    env: { ...inheritedEnv, DATA_DIR: dataDir, ...(await storeEnv(dataDir, options.store ?? TEST_STORE)), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout: stdout.trim(), stderr: stderr.trim() };
}

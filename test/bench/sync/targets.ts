// The servers of the sync benchmarks behind one interface: start/stop/kill the server processes
// (one, or several instances of a cluster), put plans into their storage, and connect that server's
// own official client to a plan (spread over the instances).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import type { PlanData } from '@accord/plan-calc';
import { writePlanData } from '@accord/plan-model';
import { dropDatabaseFor, REPO_ROOT, runCli, SERVER_BUNDLE, startServer, type ServerProcess } from '../../support/server-process.ts';
import { connectPlan, demoEmail, signIn } from '../../support/clients.ts';

/** One connected client: its document and when it last completed a sync with the server. */
export interface BenchClient {
  doc: Y.Doc;
  /** performance.now() of the last completed sync, or -1. */
  lastSyncAt: number;
  /** Resolves at the next completed sync after `after` (performance.now()), or rejects after `timeoutMs`. */
  syncedAfter(after: number, timeoutMs: number): Promise<number>;
  /** performance.now() of every connection attempt the client's provider made (y-websocket clients only). */
  attempts: number[];
  /**
   * Publishes no presence from now on. A plain client publishes `{}` and renews it every 15 s; the
   * clients of one server join together, so their renewals come as one burst (50 clients: 2,500
   * messages through that server and this process) that lands in whatever window is running then.
   */
  hidePresence(): void;
  destroy(): void;
}

export type ClientRole = 'writer' | 'reader';

export interface Target {
  readonly name: string;
  /** What the server runs with, for the table. */
  readonly setup: string;
  /** How many instances serve it (1: a single server). */
  readonly instances: number;
  /** Starts the server's instances (the first time on free ports, later on the same ports). */
  start(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** SIGKILLs one instance (a crash); `startInstance` starts it again on its port. */
  killInstance(index: number): Promise<void>;
  startInstance(index: number): Promise<void>;
  /** The process id of the first instance (for VmRSS). */
  pid(): number;
  /** Puts plans into the server's storage under logical names; the server must be running. */
  seedPlans(plans: { name: string; data: PlanData }[]): Promise<void>;
  /** A client on instance `instance`, or on the next one round-robin when not given. */
  connect(plan: string, role: ClientRole, instance?: number): BenchClient;
  /** Removes temporary files (and a database of its own). */
  cleanup(): void | Promise<void>;
  /** SIGKILL without waiting (from a process 'exit' handler). */
  killNow(): void;
}

const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Wraps a provider's "completed a sync" signal into BenchClient. */
function trackSync(
  doc: Y.Doc,
  destroy: () => void,
  awareness: () => { setLocalState(state: null): void } | null | undefined,
): { client: BenchClient; onSynced: () => void } {
  const waiters = new Set<{ after: number; resolve: (at: number) => void }>();
  const client: BenchClient = {
    doc,
    lastSyncAt: -1,
    attempts: [],
    syncedAfter(after, timeoutMs) {
      if (client.lastSyncAt > after) return Promise.resolve(client.lastSyncAt);
      return new Promise((resolve, reject) => {
        const waiter = {
          after,
          resolve: (at: number) => {
            clearTimeout(timer);
            resolve(at);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`not synced within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    hidePresence: () => awareness()?.setLocalState(null),
    destroy: () => {
      destroy();
      doc.destroy();
    },
  };
  const onSynced = () => {
    const at = performance.now();
    client.lastSyncAt = at;
    for (const waiter of [...waiters]) {
      if (at > waiter.after) {
        waiters.delete(waiter);
        waiter.resolve(at);
      }
    }
  };
  return { client, onSynced };
}

/** Records when a y-websocket provider starts each connection attempt (its 'connecting' status). */
function countAttempts(provider: WebsocketProvider, client: BenchClient): void {
  provider.on('status', ({ status }: { status: string }) => {
    if (status === 'connecting') client.attempts.push(performance.now());
  });
}

/** Waits for a child process to print `READY <port>`. */
function waitReady(child: ChildProcess, what: string): Promise<number> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /READY (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** A reference server started from a launcher script in this directory: one process per instance. */
abstract class LauncherTarget implements Target {
  abstract readonly name: string;
  abstract readonly setup: string;
  readonly instances: number;
  protected ports: number[];
  protected children: (ChildProcess | undefined)[];
  #next = 0;
  /** The last 20 kB the instances printed. */
  output = '';
  protected readonly dir = tempDir('accord-syncbench-ref-');
  protected abstract command(port: number, index: number): { args: string[]; env: Record<string, string> };
  protected abstract connectTo(port: number, plan: string, role: ClientRole): BenchClient;

  constructor(instances = 1) {
    this.instances = instances;
    this.ports = Array<number>(instances).fill(0);
    this.children = Array<ChildProcess | undefined>(instances).fill(undefined);
  }

  async start(): Promise<void> {
    for (let i = 0; i < this.instances; i++) await this.startInstance(i);
  }

  async startInstance(index: number): Promise<void> {
    const { args, env } = this.command(this.ports[index]!, index);
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children[index] = child;
    this.ports[index] = await waitReady(child, this.name);
    // Keep draining output so the pipe never blocks the server; the tail is kept for diagnostics.
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }

  connect(plan: string, role: ClientRole, instance?: number): BenchClient {
    const index = instance ?? this.#next++ % this.instances;
    return this.connectTo(this.ports[index]!, plan, role);
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => signal(child, 'SIGTERM')));
  }

  async kill(): Promise<void> {
    await Promise.all(this.children.map((child) => signal(child, 'SIGKILL')));
  }

  async killInstance(index: number): Promise<void> {
    await signal(this.children[index], 'SIGKILL');
  }

  pid(): number {
    return this.children[0]!.pid!;
  }

  killNow(): void {
    for (const child of this.children) if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async seedPlans(plans: { name: string; data: PlanData }[]): Promise<void> {
    // The reference servers have no import: a client joins the empty document, writes the plan
    // (one transaction, as writePlanData does) and stays until a second client (on another
    // instance, if there are several) receives all of it.
    for (const { name, data } of plans) {
      const writer = this.connect(name, 'writer', 0);
      await writer.syncedAfter(-1, 30_000);
      writePlanData(writer.doc, data);
      const cells = Object.keys(data.cells.sales).length;
      const check = this.connect(name, 'reader', this.instances - 1);
      await check.syncedAfter(-1, 30_000);
      const deadline = performance.now() + 30_000;
      while (check.doc.getMap('sales').size < cells) {
        if (performance.now() > deadline) throw new Error(`${this.name}: seeding ${name} did not reach a second client`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      check.destroy();
      writer.destroy();
    }
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Sends `signal` to a child process and waits for it to exit (SIGKILL after 15 s). */
async function signal(child: ChildProcess | undefined, name: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(name);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** @y/websocket-server 0.1.1 with its LevelDB persistence (y-leveldb), driven by y-websocket. */
export class YwssTarget extends LauncherTarget {
  readonly name = 'y-websocket-server';
  readonly setup = '@y/websocket-server 0.1.1 utils + YPERSISTENCE (y-leveldb 0.1.2); no auth; client y-websocket 3';

  protected command(port: number) {
    return { args: ['test/bench/sync/ywss-server.ts', String(port)], env: { YPERSISTENCE: path.join(this.dir, 'leveldb') } };
  }

  protected connectTo(port: number, plan: string): BenchClient {
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`ws://127.0.0.1:${port}`, plan, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
    });
    const { client, onSynced } = trackSync(
      doc,
      () => provider.destroy(),
      () => provider.awareness,
    );
    provider.on('sync', (isSynced: boolean) => {
      if (isSynced) onSynced();
    });
    countAttempts(provider, client);
    return client;
  }
}

/**
 * @hocuspocus/server 4.7 with @hocuspocus/extension-sqlite, driven by @hocuspocus/provider. With
 * `instances` > 1, that many processes on one SQLite file with @hocuspocus/extension-redis 4.7 on
 * `redisUrl` between them, each with its own `identifier`, as Hocuspocus documents scaling out.
 */
export class HocuspocusTarget extends LauncherTarget {
  readonly name: string;
  readonly setup: string;
  readonly #redisUrl: string | undefined;

  constructor(options: { instances?: number; redisUrl?: string; name?: string } = {}) {
    super(options.instances ?? 1);
    if (this.instances > 1 && !options.redisUrl) throw new Error('several Hocuspocus instances need a Redis URL');
    this.#redisUrl = options.redisUrl;
    this.name = options.name ?? 'hocuspocus';
    this.setup =
      this.instances > 1
        ? `${this.instances} × @hocuspocus/server 4.7.0 + extension-redis 4.7.0 (ioredis, one identifier per process) + extension-sqlite on one shared file, default debounce 2 s / max 10 s; no auth; client @hocuspocus/provider 4.7.0`
        : '@hocuspocus/server 4.7.0 + extension-sqlite (file), default debounce 2 s / max 10 s; no auth; client @hocuspocus/provider 4.7.0';
  }

  protected command(port: number, index: number) {
    const redis = this.#redisUrl ? [this.#redisUrl, `bench-${process.pid}-${index}`] : [];
    return { args: ['test/bench/sync/hocuspocus-server.ts', String(port), path.join(this.dir, 'hocuspocus.sqlite'), ...redis], env: {} };
  }

  protected connectTo(port: number, plan: string): BenchClient {
    const doc = new Y.Doc();
    // One socket per client, as a browser tab has; `ws` as the WebSocket implementation like the other clients.
    const socket = new HocuspocusProviderWebsocket({ url: `ws://127.0.0.1:${port}`, WebSocketPolyfill: WebSocket });
    const { client, onSynced } = trackSync(
      doc,
      () => {
        provider.destroy();
        socket.destroy();
      },
      () => provider.awareness,
    );
    const provider = new HocuspocusProvider({
      websocketProvider: socket,
      name: plan,
      document: doc,
      onSynced: ({ state }) => {
        if (state) onSynced();
      },
    });
    provider.attach();
    return client;
  }
}

/** Bench users: viewers and extra sales writers in the demo workspace, each good for MAX_SOCKETS_PER_USER sockets. */
const MAX_SOCKETS_PER_USER = 20;
const BENCH_PASSWORD = 'bench-password-1';

/**
 * Accord as `pnpm serve` runs it (auth, role checks, SQLite WAL log + cell history), y-websocket
 * with session cookies. With `store: 'postgres'` on a new PostgreSQL database of its own, with
 * `redisUrl` the fan-out between instances, and with `instances` > 1 that many processes on that
 * database (the clients spread over them directly, round-robin).
 */
export class AccordTarget implements Target {
  readonly name: string;
  readonly setup: string;
  readonly instances: number;
  /** The checkout the server runs from (this one unless comparing with an earlier commit). */
  readonly #root: string;
  /** The bundle `pnpm serve` runs for this checkout; an earlier checkout runs its source, as it was served then. */
  readonly #entry: 'source' | 'bundle';
  readonly #dataDir = tempDir('accord-syncbench-');
  readonly #viewers: number;
  readonly #writers: number;
  readonly #store: 'sqlite' | 'postgres';
  readonly #env: Record<string, string>;
  readonly #servers: (ServerProcess | undefined)[];
  readonly #ports: number[];
  #databaseUrl: string | undefined;
  #next = 0;
  #workspaceId = '';
  readonly #planIds = new Map<string, string>();
  /** Sessions per user email and how many sockets each has open. */
  #sessions: { email: string; cookie: string; open: number; role: ClientRole }[] = [];

  /** `viewers` and `writers` (sales, besides the demo's own): how many users to create (20 sockets each). */
  constructor(
    viewers: number,
    writers = 0,
    options: { root?: string; name?: string; instances?: number; store?: 'sqlite' | 'postgres'; redisUrl?: string } = {},
  ) {
    this.#viewers = viewers;
    this.#writers = writers;
    this.#root = options.root ?? REPO_ROOT;
    this.#entry = this.#root === REPO_ROOT ? 'bundle' : 'source';
    if (this.#entry === 'bundle' && !fs.existsSync(path.join(REPO_ROOT, SERVER_BUNDLE)))
      throw new Error(`${SERVER_BUNDLE} is missing: run pnpm build first (the benchmark runs the server as pnpm serve does)`);
    this.name = options.name ?? 'accord';
    this.instances = options.instances ?? 1;
    this.#store = options.store ?? 'sqlite';
    if (this.instances > 1 && (this.#store !== 'postgres' || !options.redisUrl))
      throw new Error('several Accord instances need PostgreSQL and Redis');
    this.#env = options.redisUrl ? { REDIS_URL: options.redisUrl } : {};
    this.#servers = Array<ServerProcess | undefined>(this.instances).fill(undefined);
    this.#ports = Array<number>(this.instances).fill(0);
    STORES.set(this.#dataDir, this.#store);
    const where = options.root ? ` in ${options.root}` : '';
    const entry = this.#entry === 'bundle' ? SERVER_BUNDLE : 'server/src/main.ts';
    this.setup =
      this.#store === 'sqlite'
        ? `node ${entry}${where} (LOG_LEVEL=info), sessions + origin check, role guard, SQLite append with change record and cell_history per update`
        : `${this.instances} × node ${entry}${where} (LOG_LEVEL=info) on one PostgreSQL database${options.redisUrl ? ' + REDIS_URL fan-out' : ''}, sessions + origin check, role guard, append with cell_history committed before publish and send${this.instances > 1 ? '; clients spread over the instances directly, round-robin' : ''}`;
  }

  /** The first instance (the one that runs the CLI's database and answers the set-up requests). */
  get #server(): ServerProcess | undefined {
    return this.#servers[0];
  }

  async start(): Promise<void> {
    // The first instance creates the database (PostgreSQL) and seeds it; the others join it.
    await this.startInstance(0);
    await Promise.all(Array.from({ length: this.instances - 1 }, (_, i) => this.startInstance(i + 1)));
  }

  async startInstance(index: number): Promise<void> {
    const common = {
      port: this.#ports[index],
      args: ['--demo'],
      root: this.#root,
      entry: this.#entry,
      env: this.#env,
      startTimeoutMs: 60_000,
    };
    const server =
      index === 0
        ? await startServer({ ...common, dataDir: this.#dataDir, store: this.#store })
        : await startServer({ ...common, databaseUrl: this.#databaseUrl });
    if (index === 0) this.#databaseUrl = server.databaseUrl;
    this.#servers[index] = server;
    this.#ports[index] = server.port;
  }

  async stop(): Promise<void> {
    await Promise.all(this.#servers.map((server) => server?.stop() ?? Promise.resolve(null)));
  }

  async kill(): Promise<void> {
    await Promise.all(this.#servers.map((server) => server?.kill() ?? Promise.resolve()));
  }

  async killInstance(index: number): Promise<void> {
    await this.#servers[index]?.kill();
  }

  pid(): number {
    if (!this.#server) throw new Error(`${this.name} is not running`);
    return this.#server.pid;
  }

  killNow(): void {
    for (const server of this.#servers) {
      try {
        if (server) process.kill(server.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  #usersPrepared: Promise<void> | undefined;

  /** Users (CLI, a few at a time), then sessions over HTTP; once per data directory (again if it failed). */
  prepareUsers(): Promise<void> {
    this.#usersPrepared ??= this.#createUsers().catch((e: unknown) => {
      this.#usersPrepared = undefined;
      throw e;
    });
    return this.#usersPrepared;
  }

  async #createUsers(): Promise<void> {
    const url = this.#server!.url;
    const admin = await signIn(url, demoEmail('admin'));
    this.#workspaceId = admin.me.memberships[0]!.workspaceId;
    const users = [
      ...Array.from({ length: this.#viewers }, (_, i) => ({ email: `bench-viewer-${i}@bench.accord.test`, role: 'reader' as const })),
      ...Array.from({ length: this.#writers }, (_, i) => ({ email: `bench-writer-${i}@bench.accord.test`, role: 'writer' as const })),
    ];
    // Users and their membership through the CLI, as the server's operator adds people directly
    // (the web app invites them instead).
    await inBatches(users, 3, async ({ email, role }) => {
      await cli(this.#dataDir, this.#root, ['create-user', '--email', email, '--name', email.split('@')[0]!, '--password', BENCH_PASSWORD]);
      await cli(this.#dataDir, this.#root, [
        'set-role',
        '--workspace',
        this.#workspaceId,
        '--email',
        email,
        '--role',
        role === 'writer' ? 'sales' : 'viewer',
      ]);
    });
    const sales = await signIn(url, demoEmail('sales'));
    this.#sessions = [{ email: demoEmail('sales'), cookie: sales.cookie, open: 0, role: 'writer' }];
    for (const { email, role } of users) {
      const { cookie } = await signIn(url, email, BENCH_PASSWORD);
      this.#sessions.push({ email, cookie, open: 0, role });
    }
  }

  async seedPlans(plans: { name: string; data: PlanData }[]): Promise<void> {
    await inBatches(plans, 2, async ({ name, data }) => {
      const file = path.join(this.#dataDir, `${name}.json`);
      fs.writeFileSync(file, JSON.stringify(data));
      const out = await cli(this.#dataDir, this.#root, ['create-plan', '--workspace', this.#workspaceId, '--from', file]);
      this.#planIds.set(name, out.trim());
      fs.rmSync(file);
    });
  }

  connect(plan: string, role: ClientRole, instance?: number): BenchClient {
    const port = this.#ports[instance ?? this.#next++ % this.instances]!;
    const planId = this.#planIds.get(plan);
    if (!planId) throw new Error(`no plan ${plan}`);
    const session = this.#sessions.find((s) => s.role === role && s.open < MAX_SOCKETS_PER_USER);
    if (!session) throw new Error(`no ${role} user with a free socket (limit ${MAX_SOCKETS_PER_USER} per user)`);
    session.open++;
    const plan_ = connectPlan(`http://127.0.0.1:${port}`, planId, session.cookie);
    const { client, onSynced } = trackSync(
      plan_.doc,
      () => {
        session.open--;
        plan_.provider.destroy();
      },
      () => plan_.provider.awareness,
    );
    plan_.provider.on('sync', (isSynced: boolean) => {
      if (isSynced) onSynced();
    });
    countAttempts(plan_.provider, client);
    return client;
  }

  async cleanup(): Promise<void> {
    fs.rmSync(this.#dataDir, { recursive: true, force: true });
    if (this.#store === 'postgres') await dropDatabaseFor(this.#dataDir);
  }
}

/** The store of each Accord target's data directory, for the command line. */
const STORES = new Map<string, 'sqlite' | 'postgres'>();

async function cli(dataDir: string, root: string, args: string[]): Promise<string> {
  const result = await runCli(dataDir, args, { store: STORES.get(dataDir) ?? 'sqlite', root });
  if (result.code !== 0) throw new Error(`accord ${args[0]} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** Runs `work` over `items`, at most `parallel` at a time. */
export async function inBatches<T>(items: T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

/** Resident set size of a process in MiB (VmRSS of /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

// The three servers of the sync benchmark behind one interface: start/stop/kill the server process,
// put plans into its storage, and connect that server's own official client to a plan.
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
import { REPO_ROOT, runCli, startServer, type ServerProcess } from '../../support/server-process.ts';
import { connectPlan, demoEmail, signIn } from '../../support/clients.ts';

/** One connected client: its document and when it last completed a sync with the server. */
export interface BenchClient {
  doc: Y.Doc;
  /** performance.now() of the last completed sync, or -1. */
  lastSyncAt: number;
  /** Resolves at the next completed sync after `after` (performance.now()), or rejects after `timeoutMs`. */
  syncedAfter(after: number, timeoutMs: number): Promise<number>;
  destroy(): void;
}

export type ClientRole = 'writer' | 'reader';

export interface Target {
  readonly name: string;
  /** What the server runs with, for the table. */
  readonly setup: string;
  /** Starts the server (the first time on a free port, later on the same port). */
  start(): Promise<void>;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
  /** The server's process id (for VmRSS). */
  pid(): number;
  /** Puts plans into the server's storage under logical names; the server must be running. */
  seedPlans(plans: { name: string; data: PlanData }[]): Promise<void>;
  connect(plan: string, role: ClientRole): BenchClient;
  /** Removes temporary files. */
  cleanup(): void;
  /** SIGKILL without waiting (from a process 'exit' handler). */
  killNow(): void;
}

const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Wraps a provider's "completed a sync" signal into BenchClient. */
function trackSync(doc: Y.Doc, destroy: () => void): { client: BenchClient; onSynced: () => void } {
  const waiters = new Set<{ after: number; resolve: (at: number) => void }>();
  const client: BenchClient = {
    doc,
    lastSyncAt: -1,
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

/** A reference server started from a launcher script in this directory. */
abstract class LauncherTarget implements Target {
  abstract readonly name: string;
  abstract readonly setup: string;
  protected port = 0;
  protected child: ChildProcess | undefined;
  /** The last 20 kB the server printed. */
  output = '';
  protected readonly dir = tempDir('accord-syncbench-ref-');
  protected abstract command(port: number): { args: string[]; env: Record<string, string> };
  abstract connect(plan: string, role: ClientRole): BenchClient;

  async start(): Promise<void> {
    const { args, env } = this.command(this.port);
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.port = await waitReady(child, this.name);
    // Keep draining output so the pipe never blocks the server; the tail is kept for diagnostics.
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
  }

  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
  }

  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  pid(): number {
    return this.child!.pid!;
  }

  killNow(): void {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  async seedPlans(plans: { name: string; data: PlanData }[]): Promise<void> {
    // The reference servers have no import: a client joins the empty document, writes the plan
    // (one transaction, as writePlanData does) and stays until a second client receives all of it.
    for (const { name, data } of plans) {
      const writer = this.connect(name, 'writer');
      await writer.syncedAfter(-1, 30_000);
      writePlanData(writer.doc, data);
      const cells = Object.keys(data.cells.sales).length;
      const check = this.connect(name, 'reader');
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

/** @y/websocket-server 0.1.1 with its LevelDB persistence (y-leveldb), driven by y-websocket. */
export class YwssTarget extends LauncherTarget {
  readonly name = 'y-websocket-server';
  readonly setup = '@y/websocket-server 0.1.1 utils + YPERSISTENCE (y-leveldb 0.1.2); no auth; client y-websocket 3';

  protected command(port: number) {
    return { args: ['test/bench/sync/ywss-server.ts', String(port)], env: { YPERSISTENCE: path.join(this.dir, 'leveldb') } };
  }

  connect(plan: string): BenchClient {
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(`ws://127.0.0.1:${this.port}`, plan, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
    });
    const { client, onSynced } = trackSync(doc, () => provider.destroy());
    provider.on('sync', (isSynced: boolean) => {
      if (isSynced) onSynced();
    });
    return client;
  }
}

/** @hocuspocus/server 4.7 with @hocuspocus/extension-sqlite, driven by @hocuspocus/provider. */
export class HocuspocusTarget extends LauncherTarget {
  readonly name = 'hocuspocus';
  readonly setup =
    '@hocuspocus/server 4.7.0 + extension-sqlite (file), default debounce 2 s / max 10 s; no auth; client @hocuspocus/provider 4.7.0';

  protected command(port: number) {
    return { args: ['test/bench/sync/hocuspocus-server.ts', String(port), path.join(this.dir, 'hocuspocus.sqlite')], env: {} };
  }

  connect(plan: string): BenchClient {
    const doc = new Y.Doc();
    // One socket per client, as a browser tab has; `ws` as the WebSocket implementation like the other clients.
    const socket = new HocuspocusProviderWebsocket({ url: `ws://127.0.0.1:${this.port}`, WebSocketPolyfill: WebSocket });
    const { client, onSynced } = trackSync(doc, () => {
      provider.destroy();
      socket.destroy();
    });
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

/** Accord as `pnpm serve` runs it (auth, role checks, SQLite WAL log + cell history), y-websocket with session cookies. */
export class AccordTarget implements Target {
  readonly name: string;
  readonly setup: string;
  /** The checkout the server runs from (this one unless comparing with an earlier commit). */
  readonly #root: string;
  readonly #dataDir = tempDir('accord-syncbench-');
  readonly #viewers: number;
  readonly #writers: number;
  #server: ServerProcess | undefined;
  #port = 0;
  #workspaceId = '';
  readonly #planIds = new Map<string, string>();
  /** Sessions per user email and how many sockets each has open. */
  #sessions: { email: string; cookie: string; open: number; role: ClientRole }[] = [];

  /** `viewers` and `writers` (sales, besides the demo's own): how many users to create (20 sockets each). */
  constructor(viewers: number, writers = 0, options: { root?: string; name?: string } = {}) {
    this.#viewers = viewers;
    this.#writers = writers;
    this.#root = options.root ?? REPO_ROOT;
    this.name = options.name ?? 'accord';
    this.setup = `node server/src/main.ts${options.root ? ` in ${options.root}` : ''} (LOG_LEVEL=info), sessions + origin check, role guard, SQLite append with change record and cell_history per update`;
  }

  async start(): Promise<void> {
    this.#server = await startServer({ dataDir: this.#dataDir, port: this.#port, args: ['--demo'], root: this.#root, store: 'sqlite' });
    this.#port = this.#server.port;
  }

  async stop(): Promise<void> {
    await this.#server?.stop();
  }

  async kill(): Promise<void> {
    await this.#server?.kill();
  }

  pid(): number {
    if (!this.#server) throw new Error(`${this.name} is not running`);
    return this.#server.pid;
  }

  killNow(): void {
    try {
      process.kill(this.pid(), 'SIGKILL');
    } catch {
      // already gone
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
    // Users only through the CLI (a fraction of a second each); the role through the admin API.
    await inBatches(users, 3, async ({ email, role }) => {
      await cli(this.#dataDir, this.#root, ['create-user', '--email', email, '--name', email.split('@')[0]!, '--password', BENCH_PASSWORD]);
      const response = await fetch(`${url}/api/workspaces/${this.#workspaceId}/members`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', origin: url, cookie: admin.cookie },
        body: JSON.stringify({ email, role: role === 'writer' ? 'sales' : 'viewer' }),
      });
      if (response.status !== 204) throw new Error(`set role of ${email}: ${response.status} ${await response.text()}`);
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

  connect(plan: string, role: ClientRole): BenchClient {
    const planId = this.#planIds.get(plan);
    if (!planId) throw new Error(`no plan ${plan}`);
    const session = this.#sessions.find((s) => s.role === role && s.open < MAX_SOCKETS_PER_USER);
    if (!session) throw new Error(`no ${role} user with a free socket (limit ${MAX_SOCKETS_PER_USER} per user)`);
    session.open++;
    const plan_ = connectPlan(`http://127.0.0.1:${this.#port}`, planId, session.cookie);
    const { client, onSynced } = trackSync(plan_.doc, () => {
      session.open--;
      plan_.provider.destroy();
    });
    plan_.provider.on('sync', (isSynced: boolean) => {
      if (isSynced) onSynced();
    });
    return client;
  }

  cleanup(): void {
    fs.rmSync(this.#dataDir, { recursive: true, force: true });
  }
}

async function cli(dataDir: string, root: string, args: string[]): Promise<string> {
  const result = await runCli(dataDir, args, { store: 'sqlite', root });
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

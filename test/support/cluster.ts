import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { databaseFor, dropDatabaseFor, makeDataDir, REPO_ROOT, startServer, type ServerProcess } from './server-process.ts';

/**
 * Several Accord instances on one PostgreSQL database with Redis between them and nginx in front
 * (issue #19): the set-up of a deployment on one machine, for tests and benchmarks. Clients that
 * use `url` go through nginx, round-robin with no stickiness, so two sockets of one plan land on
 * different instances; `instances[i].url` reaches one instance directly.
 */
export interface Cluster {
  /** nginx's address, as a browser would use it. */
  url: string;
  /** The running instances (replaced in place by `restart`). */
  instances: ServerProcess[];
  /** The shared PostgreSQL database. */
  databaseUrl: string;
  /** A data directory whose store is that database: for `runCli` and `connectStore`. */
  dataDir: string;
  store: 'postgres';
  redisUrl: string;
  /** The private Redis of this cluster, when it was asked for (tests that restart Redis). */
  redis: PrivateRedis | undefined;
  nginx: Nginx;
  /** SIGKILLs an instance: a crash. nginx skips it until it is back. */
  kill(index: number): Promise<void>;
  /** Starts a killed or stopped instance again on its port (the one nginx knows). */
  restart(index: number): Promise<ServerProcess>;
  /** Everything every instance wrote so far (killed ones included). */
  output(): string;
  /** Stops nginx, the instances, the private Redis and drops the database. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** How many instances (default 3). */
  instances?: number;
  /** A Redis of its own on a free port instead of the machine's (for tests that restart it). */
  privateRedis?: boolean;
  /** Server arguments (default `--demo`). */
  args?: string[];
  /** More environment for every instance. */
  env?: Record<string, string>;
  /** The checkout to run (another commit's, in benchmarks that compare); this one by default. */
  root?: string;
}

/** The machine's Redis (this project's machines start one on 6379; ./run test starts one where it does not answer). */
export const MACHINE_REDIS_URL = process.env.ACCORD_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** A free TCP port on the loopback address (free now; taken by whoever binds it next). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port, or rejects after `timeoutMs`. */
async function waitForPort(port: number, timeoutMs: number, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    const reason = exited();
    if (reason !== undefined) throw new Error(reason);
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A Redis server of a test's own, on a free port, with nothing saved to disk. */
export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops it (SIGTERM: it closes every client's connection) and starts it again on the same port after `downMs`. */
  restart(downMs?: number): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open and look healthy, and nothing is delivered until `resume`. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

/** Starts `redis-server` on a free port (never the machine's 6379, which other test files use). */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-redis-'));
  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    output = '';
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    let exitCode: number | null | undefined;
    started.once('exit', (code) => (exitCode = code));
    started.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitForPort(port, 10_000, () => (exitCode !== undefined ? `redis-server exited with ${exitCode}:\n${output}` : undefined));
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    restart: async (downMs = 500) => {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    stop: async () => {
      child?.kill('SIGCONT');
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** nginx started by a test, with its configuration, pid and logs in a directory of its own. */
export interface Nginx {
  url: string;
  port: number;
  /** The directory holding nginx.conf, error.log and access.log. */
  dir: string;
  stop(): Promise<void>;
}

/** The nginx binary: on PATH, or Debian's /usr/sbin/nginx (not on a normal user's PATH). */
export function nginxBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim();
  if (found) return found;
  if (fs.existsSync('/usr/sbin/nginx')) return '/usr/sbin/nginx';
  throw new Error('nginx is not installed: ./run test installs Debian’s package (scripts/ensure-services.sh), or apt-get install nginx');
}

/** The configuration of scripts/nginx-cluster.conf.template for these upstream ports. */
export function nginxConfig(options: { dir: string; listen: string; upstreamPorts: number[] }): string {
  const template = fs.readFileSync(path.join(REPO_ROOT, 'scripts/nginx-cluster.conf.template'), 'utf8');
  const servers = options.upstreamPorts.map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=2s;`).join('\n');
  // Workers run as this user (as root nginx would otherwise switch them to nobody, who cannot
  // write the buffers in the directory).
  const user = process.getuid?.() === 0 ? `user ${os.userInfo().username};` : '# runs as the user who starts it';
  return template
    .replaceAll('@USER@', user)
    .replaceAll('@DIR@', options.dir)
    .replaceAll('@LISTEN@', options.listen)
    .replaceAll('@SERVERS@', servers);
}

/** Starts nginx in the foreground (a child of this process) on a free port, round-robin over the ports. */
export async function startNginx(upstreamPorts: number[]): Promise<Nginx> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-nginx-'));
  const port = await freePort();
  const config = path.join(dir, 'nginx.conf');
  fs.writeFileSync(config, nginxConfig({ dir, listen: `127.0.0.1:${port}`, upstreamPorts }));
  // -e: errors before the configuration is read go here too, not to /var/log/nginx.
  const child = spawn(nginxBinary(), ['-p', dir, '-c', config, '-e', path.join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exitCode = code;
      resolve();
    }),
  );
  const errorLog = () => (fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : '');
  await waitForPort(port, 10_000, () => (exitCode !== undefined ? `nginx exited with ${exitCode}:\n${output}${errorLog()}` : undefined));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    stop: async () => {
      if (exitCode === undefined) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `instances` Accord instances at once on one new PostgreSQL database (so they also race to
 * seed it), with Redis (the machine's, or a private one) and nginx in front of them.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const count = options.instances ?? 3;
  const dataDir = makeDataDir();
  const databaseUrl = await databaseFor(dataDir);
  const redis = options.privateRedis ? await startPrivateRedis() : undefined;
  const redisUrl = redis?.url ?? MACHINE_REDIS_URL;
  const outputs: string[] = [];
  const launch = (port?: number) =>
    startServer({
      databaseUrl,
      port,
      args: options.args,
      root: options.root,
      // Three instances starting (and racing to migrate and seed) on two shared cores.
      startTimeoutMs: 60_000,
      env: { REDIS_URL: redisUrl, ...options.env },
    });
  let instances: ServerProcess[] = [];
  let nginx: Nginx | undefined;
  try {
    instances = await Promise.all(Array.from({ length: count }, () => launch()));
    nginx = await startNginx(instances.map((instance) => instance.port));
  } catch (e: unknown) {
    await Promise.all(instances.map((instance) => instance.stop()));
    await redis?.stop();
    await dropDatabaseFor(dataDir);
    throw e;
  }
  const down = new Set<number>();
  const cluster: Cluster = {
    url: nginx.url,
    instances,
    databaseUrl,
    dataDir,
    store: 'postgres',
    redisUrl,
    redis,
    nginx,
    kill: async (index) => {
      const instance = instances[index]!;
      await instance.kill();
      outputs.push(instance.output());
      down.add(index);
    },
    restart: async (index) => {
      if (!down.has(index)) {
        const instance = instances[index]!;
        await instance.stop();
        outputs.push(instance.output());
      }
      const started = await launch(instances[index]!.port);
      instances[index] = started;
      down.delete(index);
      return started;
    },
    output: () => [...outputs, ...instances.map((instance, i) => (down.has(i) ? '' : instance.output()))].join('\n'),
    stop: async () => {
      await nginx.stop();
      await Promise.all(instances.map((instance, i) => (down.has(i) ? Promise.resolve(null) : instance.stop())));
      await redis?.stop();
      await dropDatabaseFor(dataDir);
    },
  };
  return cluster;
}

/**
 * A cluster seen as one server (the `cluster` vitest project runs test files written for one server
 * against three instances behind nginx): its url is nginx's, its data directory and database the
 * shared ones, its output every instance's. `kill` crashes every instance.
 */
export function clusterAsServer(cluster: Cluster): ServerProcess {
  return {
    url: cluster.url,
    port: cluster.nginx.port,
    dataDir: cluster.dataDir,
    store: 'postgres',
    databaseUrl: cluster.databaseUrl,
    pid: cluster.instances[0]!.pid,
    output: () => cluster.output(),
    stop: async () => {
      await cluster.stop();
      return 0;
    },
    kill: async () => {
      for (let i = 0; i < cluster.instances.length; i++) await cluster.kill(i);
    },
  };
}

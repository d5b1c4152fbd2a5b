import fs from 'node:fs';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { CloseCode } from '@accord/protocol';
import { ConfigError, redactUrl, type Config } from './config.ts';
import { dialectOf, ensureDataDir, findSqliteHandle, migrateToLatest, openStore, type Db } from './db/database.ts';
import { AdvisoryLock, withSessionLock } from './db/advisory-locks.ts';
import { WalCheckpointer } from './db/checkpointer.ts';
import { LogCompactor } from './sync/log-compactor.ts';
import type { RedisFanout } from './sync/redis-fanout.ts';
import { randomId } from './db/ids.ts';
import { createLogger } from './logger.ts';
import { lockDataDir } from './db/data-dir-lock.ts';
import { createApp } from './http/app.ts';
import { createServices, DEFAULT_WEB_ROOT, type Services } from './services.ts';
import { seedDemo } from './seed/demo.ts';
import { seedDemoGovernance } from './seed/demo-governance.ts';
import { SessionRepository } from './auth/session.repository.ts';

/** A running Accord server. */
export interface RunningServer {
  url: string;
  port: number;
  services: Services;
  /** Stops accepting, closes sockets, stores everything and closes the database. */
  stop(): Promise<void>;
}

/**
 * Opens the database (creating and migrating it), seeds the demo workspace on an empty one,
 * and listens. Problems a person can fix reject with ConfigError.
 */
export async function startServer(config: Config): Promise<RunningServer> {
  const log = createLogger(config.logLevel);
  ensureDataDir(config.dataDir);
  // One process per SQLite file; on PostgreSQL several instances share the database.
  const releaseDataDir = config.databaseUrl ? () => {} : lockDataDir(config.dataDir);
  let db: Db;
  try {
    db = await openStore(config, {
      onPoolError: (e) => log.warn({ err: e }, 'an idle PostgreSQL connection failed; the pool opens another when needed'),
    });
    await migrateToLatest(db);
  } catch (e: unknown) {
    releaseDataDir();
    throw e;
  }
  // The WAL checkpointer and the compaction worker read the SQLite file: SQLite only.
  const sqlite = findSqliteHandle(db);
  // Started once the server listens: its thread loading SQLite would take a core from the start.
  let checkpointer: WalCheckpointer | undefined;
  const compactor = sqlite ? new LogCompactor(config.databaseFile, log) : undefined;
  // Several instances (PostgreSQL and REDIS_URL): accepted updates, presence and access changes
  // travel between them over Redis.
  let fanout: RedisFanout | undefined;
  if (config.redisUrl) {
    try {
      // Loaded only here: a single server on SQLite does not pay for the Redis client at start-up.
      const { RedisFanout } = await import('./sync/redis-fanout.ts');
      fanout = await RedisFanout.connect(config.redisUrl, randomId(), log);
    } catch (e: unknown) {
      await db.destroy();
      releaseDataDir();
      throw new ConfigError(
        `Cannot connect to Redis at ${redactUrl(config.redisUrl)} (${e instanceof Error ? e.message : String(e)}); check REDIS_URL and that Redis is running.`,
      );
    }
  }
  const services = createServices(config, db, log, DEFAULT_WEB_ROOT, { compactor, fanout });
  await new SessionRepository(db).deleteExpired(new Date().toISOString());

  // Instances starting together on one empty PostgreSQL database seed it once: the first holds the
  // lock while it seeds, the others then find its users.
  const seedIfEmpty = async () => {
    if ((await services.users.countUsers()) > 0) return;
    const seeded = await seedDemo(services.admin, { fixedPassword: config.demo, now: new Date() });
    await seedDemoGovernance(services, seeded.planId, seeded.horizonStart, new Date());
    if (config.demo) {
      log.info({ users: seeded.credentials.map((c) => c.email), password: undefined }, 'demo workspace created');
      console.error(
        `\nDemo workspace created. Sign in as ${seeded.credentials.map((c) => c.email).join(', ')} with the password "demo".\n`,
      );
    } else {
      const file = path.join(config.dataDir, 'initial-credentials.txt');
      const lines = seeded.credentials.map((c) => `${c.role.padEnd(11)} ${c.email.padEnd(30)} ${c.password}`);
      fs.writeFileSync(file, `# Accord demo users: role, e-mail, password. Delete this file once noted.\n${lines.join('\n')}\n`, {
        mode: 0o600,
      });
      log.info({ credentialsFile: file }, 'demo workspace created');
      console.error(
        `\nDemo workspace created with one user per role. Their e-mails and one-time passwords are in\n  ${file}\n(readable only by you). Reset one with: pnpm accord reset-password <email>\n`,
      );
    }
  };
  if (config.seed) await withSessionLock(db, dialectOf(db), AdvisoryLock.seed, seedIfEmpty);

  const app = createApp(services);
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  services.sync.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE')
        reject(new ConfigError(`Port ${config.port} on ${config.host} is already in use; stop the other program or set PORT.`));
      else if (e.code === 'EACCES')
        reject(new ConfigError(`Not allowed to listen on port ${config.port}; choose a port above 1023 with PORT.`));
      else if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
        reject(new ConfigError(`HOST ${config.host} is not an address of this machine.`));
      else reject(e);
    });
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' || config.host === '127.0.0.1' ? 'localhost' : config.host;
  const url = `http://${shownHost}:${port}`;
  const store = config.databaseUrl ? `postgres ${redactUrl(config.databaseUrl)}` : `sqlite ${config.databaseFile}`;
  log.info({ port, host: config.host, url, dataDir: config.dataDir, store }, 'listening');
  if (sqlite) checkpointer = new WalCheckpointer(config.databaseFile, sqlite, log);
  // Baseline runs that the last stop (or a crash) cut short start again from the stored plan; with
  // several instances, so do runs of an instance that died, once its lease lapses.
  services.baseline.watch();

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Before the rooms and the database close: a baseline run cut short stays on record to rerun.
      await services.baseline.stop();
      services.sync.close();
      await services.documents.close(CloseCode.goingAway, 'server shutting down');
      server.closeAllConnections();
      await closed;
      await fanout?.close();
      await compactor?.stop();
      await checkpointer?.stop();
      await db.destroy();
      releaseDataDir();
      log.info('stopped');
    })());
  return { url, port, services, stop };
}

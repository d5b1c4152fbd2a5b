// Reference server for the sync benchmarks: @hocuspocus/server 4.7 with @hocuspocus/extension-sqlite
// on a database file (see SQLite13 below), default settings otherwise (onStoreDocument debounced 2 s, at most 10 s).
// No auth hook. Usage (the benchmarks start it):
//   node test/bench/sync/hocuspocus-server.ts <port> <sqlite file> [<redis url> <identifier>]
// With a Redis URL, one instance of several (bench:cluster): @hocuspocus/extension-redis 4.7 with
// the instance's own identifier (the extension drops messages carrying its own, so each process
// needs a unique one) and its defaults otherwise, as Hocuspocus documents scaling out; the
// instances share the SQLite file (the extension takes a Redis lock around each store).
// Prints `READY <port>` once listening on 127.0.0.1. SIGTERM stores pending documents and exits
// (Hocuspocus' own stopOnSignals handling).
import { Server } from '@hocuspocus/server';
import { SQLite } from '@hocuspocus/extension-sqlite';
import { Redis } from '@hocuspocus/extension-redis';
import BetterSqlite3 from 'better-sqlite3';

/**
 * The extension as published, except that it opens the database with better-sqlite3 13 (the
 * version Accord uses) instead of its own 12.x, whose addon aborts Node 24 when a prepared
 * statement is garbage-collected (`Assertion failed: (env) != nullptr` in Statement::~Statement).
 * Schema, queries, fetch and store are the extension's own.
 */
class SQLite13 extends SQLite {
  override async onConfigure(): Promise<void> {
    this.db = new BetterSqlite3(this.configuration.database) as unknown as SQLite['db'];
    this.db!.exec(this.configuration.schema);
  }
}

const port = Number(process.argv[2] ?? 0);
const database = process.argv[3];
const redisUrl = process.argv[4];
const identifier = process.argv[5];
if (!database || (redisUrl && !identifier)) throw new Error('usage: hocuspocus-server.ts <port> <sqlite file> [<redis url> <identifier>]');

const redis = redisUrl ? new URL(redisUrl) : undefined;
const server = new Server({
  port,
  address: '127.0.0.1',
  quiet: true,
  // The Redis extension first (its priority is 1000 anyway): its onStoreDocument lock runs before the store.
  extensions: [
    ...(redis
      ? [new Redis({ host: redis.hostname, port: Number(redis.port || 6379), identifier, prefix: `hocuspocus-bench-${process.ppid}` })]
      : []),
    new SQLite13({ database }),
  ],
});
await server.listen();
console.log(`READY ${server.address.port}`);

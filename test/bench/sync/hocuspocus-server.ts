// Reference server for the sync benchmark: @hocuspocus/server 4.7 with @hocuspocus/extension-sqlite
// on a database file (see SQLite13 below), default settings otherwise (onStoreDocument debounced 2 s, at most 10 s).
// No auth hook. Usage (the benchmark starts it):
//   node test/bench/sync/hocuspocus-server.ts <port> <sqlite file>
// Prints `READY <port>` once listening on 127.0.0.1. SIGTERM stores pending documents and exits
// (Hocuspocus' own stopOnSignals handling).
import { Server } from '@hocuspocus/server';
import { SQLite } from '@hocuspocus/extension-sqlite';
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
if (!database) throw new Error('usage: hocuspocus-server.ts <port> <sqlite file>');

const server = new Server({
  port,
  address: '127.0.0.1',
  quiet: true,
  extensions: [new SQLite13({ database })],
});
await server.listen();
console.log(`READY ${server.address.port}`);

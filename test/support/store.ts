import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { ServerProcess } from './server-process.ts';

/**
 * A direct connection to a test server's store, for tests that look at or tamper with what is
 * stored (as someone with database access would). `?` placeholders work on both databases.
 */
export interface StoreConnection {
  store: 'sqlite' | 'postgres';
  /** Runs one statement; the rows it returns (none for a statement that returns none). */
  query<T = Record<string, unknown>>(statement: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Opens a connection to the server's SQLite file or PostgreSQL database. */
export async function connectStore(server: Pick<ServerProcess, 'dataDir' | 'store' | 'databaseUrl'>): Promise<StoreConnection> {
  if (server.store === 'postgres') {
    const client = new pg.Client({ connectionString: server.databaseUrl, application_name: 'accord-tests' });
    await client.connect();
    return {
      store: 'postgres',
      query: async <T>(statement: string, params: unknown[] = []) => {
        let n = 0;
        const result = await client.query(
          statement.replace(/\?/g, () => `$${++n}`),
          params,
        );
        return result.rows as T[];
      },
      close: () => client.end(),
    };
  }
  const db = new Database(path.join(server.dataDir, 'accord.sqlite'));
  return {
    store: 'sqlite',
    query: async <T>(statement: string, params: unknown[] = []) => {
      const prepared = db.prepare(statement);
      if (prepared.reader) return prepared.all(...params) as T[];
      prepared.run(...params);
      return [];
    },
    close: async () => {
      db.close();
    },
  };
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findSqliteHandle, openDatabase, type Db } from './database.ts';
import { WalCheckpointer } from './checkpointer.ts';
import { createLogger } from '../logger.ts';

describe('WalCheckpointer', () => {
  let dir: string;
  let db: Db | undefined;
  afterEach(async () => {
    await db?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stops the connection checkpointing and folds the log into the database from a worker thread', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-wal-'));
    const file = path.join(dir, 'test.sqlite');
    db = openDatabase(file);
    const sqlite = findSqliteHandle(db)!;
    const checkpointer = new WalCheckpointer(file, sqlite, createLogger('silent'), 50);
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    sqlite.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB)');
    const insert = sqlite.prepare('INSERT INTO t (data) VALUES (?)');
    const databaseBytes = () => fs.statSync(file).size;
    const before = databaseBytes();
    // 4 MiB of rows: without a checkpoint they all stay in the log, not the database file.
    for (let i = 0; i < 1024; i++) insert.run(Buffer.alloc(4096, i % 256));
    await expect.poll(databaseBytes, { timeout: 5_000, interval: 50 }).toBeGreaterThan(before + 4 * 1024 * 1024);

    await checkpointer.stop();
    expect(sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(fs.statSync(`${file}-wal`).size).toBe(0); // TRUNCATE at stop
    expect((sqlite.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n).toBe(1024);
  });
});

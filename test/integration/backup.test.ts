import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cellKey } from '@accord/plan-calc';
import { findCell, setCell } from '@accord/plan-model';
import { makeDataDir, runCli, startServer, TEST_STORE } from '../support/server-process.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced } from '../support/clients.ts';

// The SQLite file's own features: run in the SQLite pass only. On PostgreSQL the same commands
// refuse and point to pg_dump / pg_restore (below), and several servers may share a database.
describe.skipIf(TEST_STORE === 'postgres')('backup, restore and one server per data directory', () => {
  it('backs up online, refuses a restore while running, and restores the backed-up plan after a stop', { timeout: 60_000 }, async () => {
    const dataDir = makeDataDir();
    const server = await startServer({ dataDir });
    const session = await signIn(server.url, demoEmail('sales'));
    const planId = await firstPlanId(server.url, session);
    const sales = connectPlan(server.url, planId, session.cookie);
    const watcher = connectPlan(server.url, planId, (await signIn(server.url, demoEmail('viewer'))).cookie);
    await Promise.all([synced(sales), synced(watcher)]);
    const key = cellKey('SPA-003', '2099-02');

    setCell(sales.doc, 'sales', key, 1);
    await vi.waitFor(() => expect(findCell(watcher.doc, 'sales', key)).toBe(1));
    const backupFile = path.join(makeDataDir(), 'nightly.sqlite');
    const backup = await runCli(dataDir, ['backup', backupFile]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(fs.statSync(backupFile).size).toBeGreaterThan(0);
    expect((await runCli(dataDir, ['backup', backupFile])).stderr).toMatch(/exists already/);

    setCell(sales.doc, 'sales', key, 2);
    await vi.waitFor(() => expect(findCell(watcher.doc, 'sales', key)).toBe(2));
    const refused = await runCli(dataDir, ['restore', backupFile]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is using this database; stop it before restoring/);

    await expect(startServer({ dataDir })).rejects.toThrow(/Another Accord server \(pid \d+\) is using/);

    sales.destroy();
    watcher.destroy();
    expect(await server.stop()).toBe(0);
    const restored = await runCli(dataDir, ['restore', backupFile]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toMatch(/previous database is kept as/);

    const again = await startServer({ dataDir });
    const reader = connectPlan(again.url, planId, (await signIn(again.url, demoEmail('viewer'))).cookie);
    await synced(reader);
    expect(findCell(reader.doc, 'sales', key)).toBe(1);
    reader.destroy();
    await again.stop();
  });

  it('refuses to restore a file that is not an Accord database', async () => {
    const dataDir = makeDataDir();
    const bogus = path.join(dataDir, 'bogus.sqlite');
    fs.writeFileSync(bogus, 'not a database');
    const result = await runCli(dataDir, ['restore', bogus]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^accord: /);
  });
});

describe.runIf(TEST_STORE === 'postgres')('backup and restore on PostgreSQL', () => {
  it('refuse with a sentence pointing to pg_dump and pg_restore, while verify-snapshots works', async () => {
    const server = await startServer();
    const backup = await runCli(server.dataDir, ['backup', path.join(makeDataDir(), 'nightly.sqlite')]);
    expect(backup.code).toBe(2);
    expect(backup.stderr).toMatch(
      /^accord: backup works on the SQLite file only; the store is PostgreSQL \(DATABASE_URL\): take backups with pg_dump/,
    );
    const restore = await runCli(server.dataDir, ['restore', 'nightly.dump']);
    expect(restore.code).toBe(2);
    expect(restore.stderr).toMatch(/restore works on the SQLite file only.*pg_restore/);
    const verified = await runCli(server.dataDir, ['verify-snapshots']);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/snapshots verified: the chain is intact/);
    expect(fs.existsSync(path.join(server.dataDir, 'accord.sqlite'))).toBe(false);
    await server.stop();
  });
});

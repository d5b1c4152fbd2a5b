import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cellKey } from '@accord/plan-calc';
import { findCell, readPlanData, setCell } from '@accord/plan-model';
import { makeDataDir, startServer } from '../support/server-process.ts';
import { connectStore } from '../support/store.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced } from '../support/clients.ts';

async function openPlan(url: string, role: string) {
  const session = await signIn(url, demoEmail(role));
  const planId = await firstPlanId(url, session);
  const client = connectPlan(url, planId, session.cookie);
  await synced(client);
  return client;
}

describe('server lifecycle and durability', () => {
  it('runs from the bundle pnpm serve starts (pnpm build): syncs, folds the update log (in a worker on SQLite) and stops cleanly', async () => {
    const server = await startServer({ entry: 'bundle' });
    try {
      const session = await signIn(server.url, demoEmail('sales'));
      const planId = await firstPlanId(server.url, session);
      const writer = connectPlan(server.url, planId, session.cookie);
      const reader = connectPlan(server.url, planId, (await signIn(server.url, demoEmail('viewer'))).cookie);
      await Promise.all([synced(writer), synced(reader)]);
      // Enough edits for the update log to be folded by the compaction worker (a file of its own in
      // the bundle), sent in rounds that stay under the 100 messages a second a socket may send.
      const key = cellKey('SPA-001', '2099-01');
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 90; i++) setCell(writer.doc, 'sales', key, round * 90 + i);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      await vi.waitFor(() => expect(findCell(reader.doc, 'sales', key)).toBe(539), { timeout: 20_000 });
      expect(writer.closes).toEqual([]);
      const store = await connectStore(server);
      try {
        await vi.waitFor(
          // PostgreSQL's count is a bigint, which node-postgres returns as a string.
          async () =>
            expect(Number((await store.query<{ n: number | string }>('select count(*) as n from document_updates'))[0]!.n)).toBeLessThan(
              100,
            ),
          { timeout: 20_000 },
        );
      } finally {
        await store.close();
      }
      writer.destroy();
      reader.destroy();
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.output()).not.toMatch(/compaction failed|worker failed|"level":50/);
  });

  it('keeps an edit across a clean stop (SIGTERM) and a restart', async () => {
    const dataDir = makeDataDir();
    const first = await startServer({ dataDir });
    const sales = await openPlan(first.url, 'sales');
    const key = cellKey('ENE-003', readPlanData(sales.doc).meta.horizonStart);
    setCell(sales.doc, 'sales', key, 31337);
    const watcher = await openPlan(first.url, 'viewer');
    await vi.waitFor(() => expect(findCell(watcher.doc, 'sales', key)).toBe(31337));
    sales.destroy();
    watcher.destroy();
    expect(await first.stop()).toBe(0);
    expect(first.output()).toContain('"msg":"stopped"');

    const second = await startServer({ dataDir });
    const reader = await openPlan(second.url, 'viewer');
    expect(findCell(reader.doc, 'sales', key)).toBe(31337);
    reader.destroy();
    await second.stop();
  });

  it('loses no update that another client has seen when the process is killed (SIGKILL)', async () => {
    const dataDir = makeDataDir();
    const first = await startServer({ dataDir });
    const operations = await openPlan(first.url, 'operations');
    const watcher = await openPlan(first.url, 'finance');
    const months = readPlanData(operations.doc).meta.horizonStart;
    const keys = Array.from({ length: 25 }, (_, i) => cellKey(`SPA-00${(i % 8) + 1}`, months) + `#${i}`).map((k) => k.split('#')[0]!);
    for (let i = 0; i < 25; i++) setCell(operations.doc, 'production', keys[i]!, 1000 + i);
    // Everything the watcher has received was broadcast, so it must have been committed first.
    await vi.waitFor(() => expect(findCell(watcher.doc, 'production', keys[24]!)).toBe(1024));
    const seen = readPlanData(watcher.doc).cells.production;
    operations.destroy();
    watcher.destroy();
    await first.kill();

    const second = await startServer({ dataDir });
    const reader = await openPlan(second.url, 'viewer');
    expect(readPlanData(reader.doc).cells.production).toEqual(seen);
    reader.destroy();
    await second.stop();
  });

  it('seeds without a fixed password unless asked: passwords go to a private file, never the logs', async () => {
    const server = await startServer({ args: [] });
    const file = path.join(server.dataDir, 'initial-credentials.txt');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const lines = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines).toHaveLength(7);
    const [, email, password] = lines.find((l) => l.startsWith('leader'))!.split(/\s+/);
    expect(password!.length).toBeGreaterThanOrEqual(12);
    for (const line of lines) expect(server.output()).not.toContain(line.split(/\s+/)[2]!);
    await expect(signIn(server.url, email!, 'demo')).rejects.toThrow(/401/);
    const session = await signIn(server.url, email!, password!);
    expect(session.me.memberships[0]!.role).toBe('leader');
    await server.stop();
  });

  it('stops with one clear sentence on a bad PORT, a busy port and an unwritable data directory', async () => {
    await expect(startServer({ env: { PORT: 'eighty' } })).rejects.toThrow(
      /exited with 2[\s\S]*accord: Invalid PORT: PORT must be a number\./,
    );

    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busyPort = (blocker.address() as net.AddressInfo).port;
    await expect(startServer({ port: busyPort })).rejects.toThrow(new RegExp(`accord: Port ${busyPort} on 127.0.0.1 is already in use`));
    blocker.close();

    const notADirectory = path.join(makeDataDir(), 'file');
    fs.writeFileSync(notADirectory, '');
    const error = await startServer({ dataDir: path.join(notADirectory, 'data') }).catch((e: Error) => e);
    expect(String(error)).toMatch(/accord: The data directory .* cannot be created or written/);
    expect(String(error)).not.toMatch(/\n\s+at /);
  });
});

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import * as encoding from 'lib0/encoding';
import {
  CHANGE_NOTE_MESSAGE,
  CloseCode,
  type CellChangesResponse,
  type ChangeDetailResponse,
  type ChangeListResponse,
} from '@accord/protocol';
import { cellKey } from '@accord/plan-calc';
import { findCell, setCell } from '@accord/plan-model';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { connectStore } from '../support/store.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced } from '../support/clients.ts';

describe('cell history, limits and storage failures', () => {
  let server: ServerProcess;
  let planId: string;
  let salesCookie: string;

  beforeAll(async () => {
    server = await startServer();
    const sales = await signIn(server.url, demoEmail('sales'));
    salesCookie = sales.cookie;
    planId = await firstPlanId(server.url, sales);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const rawSocket = (cookie: string) =>
    new WebSocket(`${server.url.replace('http', 'ws')}/sync/${planId}`, { headers: { cookie, origin: server.url } });
  const closeCode = (ws: WebSocket) => new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));

  it('keeps each edit as one change with how it was made (its change note) and every cell it touched', async () => {
    const sales = connectPlan(server.url, planId, salesCookie);
    await synced(sales);
    const keys = ['2099-07', '2099-08', '2099-09'].map((month) => cellKey('JUI-003', month));
    // One transaction, as a spread is: three cells in one update, then its note on the same socket.
    sales.doc.transact(() => keys.forEach((key, i) => setCell(sales.doc, 'sales', key, 1000 + i)));
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, CHANGE_NOTE_MESSAGE);
    encoding.writeVarString(encoder, JSON.stringify({ kind: 'spread', summary: 'Juices · Sales forecast · Q3 99: 3,003, spread equally' }));
    sales.provider.ws!.send(encoding.toUint8Array(encoder));
    const activity = async () =>
      (
        (await (
          await fetch(`${server.url}/api/plans/${planId}/activity?limit=5`, { headers: { cookie: salesCookie } })
        ).json()) as ChangeListResponse
      ).changes;
    await vi.waitFor(async () => expect((await activity())[0]).toMatchObject({ kind: 'spread', cells: 3, userName: 'Sofia Alvarez' }));
    const [latest] = await activity();
    expect(latest!.summary).toBe('Juices · Sales forecast · Q3 99: 3,003, spread equally');
    const detail = (await (
      await fetch(`${server.url}/api/plans/${planId}/changes/${latest!.seq}`, { headers: { cookie: salesCookie } })
    ).json()) as ChangeDetailResponse;
    expect(detail.cells.map((c) => [c.key, c.oldValue, c.newValue])).toEqual(keys.map((key, i) => [key, null, 1000 + i]));
    // The cell's own history names the change it was part of.
    const history = (await (
      await fetch(`${server.url}/api/plans/${planId}/history?root=sales&key=${encodeURIComponent(keys[0]!)}`, {
        headers: { cookie: salesCookie },
      })
    ).json()) as CellChangesResponse;
    expect(history.changes[0]).toMatchObject({ seq: latest!.seq, kind: 'spread' });
    expect((await fetch(`${server.url}/api/plans/${planId}/changes/999999`, { headers: { cookie: salesCookie } })).status).toBe(404);
    sales.destroy();
  });

  it('records who changed a cell from what to what, and what changed since a time', async () => {
    const since = new Date().toISOString();
    const sales = connectPlan(server.url, planId, salesCookie);
    await synced(sales);
    const key = cellKey('JUI-004', '2099-05');
    setCell(sales.doc, 'sales', key, 100);
    const watcher = connectPlan(server.url, planId, (await signIn(server.url, demoEmail('viewer'))).cookie);
    await vi.waitFor(() => expect(findCell(watcher.doc, 'sales', key)).toBe(100));
    setCell(sales.doc, 'sales', key, 150);
    await vi.waitFor(() => expect(findCell(watcher.doc, 'sales', key)).toBe(150));
    const history = await fetch(`${server.url}/api/plans/${planId}/history?root=sales&key=${encodeURIComponent(key)}`, {
      headers: { cookie: salesCookie },
    });
    const { changes } = (await history.json()) as CellChangesResponse;
    expect(changes.map((c) => [c.oldValue, c.newValue, c.userName])).toEqual([
      [100, 150, 'Sofia Alvarez'],
      [null, 100, 'Sofia Alvarez'],
    ]);
    const recent = await fetch(`${server.url}/api/plans/${planId}/changes?since=${since}`, { headers: { cookie: salesCookie } });
    expect(((await recent.json()) as CellChangesResponse).changes.filter((c) => c.key === key)).toHaveLength(2);
    const bad = await fetch(`${server.url}/api/plans/${planId}/history?root=nope&key=x`, { headers: { cookie: salesCookie } });
    expect(bad.status).toBe(400);
    sales.destroy();
    watcher.destroy();
  });

  it('closes a socket that floods messages with 4529 and one that sends an oversized frame with 4413', async () => {
    const flood = rawSocket(salesCookie);
    const floodClosed = closeCode(flood);
    flood.on('open', () => {
      // Awareness query frames: tiny and valid, so only the rate is at fault.
      for (let i = 0; i < 2000; i++) flood.send(new Uint8Array([3]));
    });
    expect(await floodClosed).toBe(CloseCode.rateLimited);

    const big = rawSocket(salesCookie);
    const bigClosed = closeCode(big);
    big.on('open', () => big.send(new Uint8Array(9 * 1024 * 1024)));
    expect(await bigClosed).toBe(CloseCode.messageTooLarge);
  });

  it('refuses more than 20 connections per user before upgrading', async () => {
    const { cookie } = await signIn(server.url, demoEmail('commenter'));
    const sockets = Array.from({ length: 20 }, () => rawSocket(cookie));
    await Promise.all(sockets.map((ws) => new Promise((resolve) => ws.on('open', resolve))));
    const status = await new Promise<number>((resolve) => {
      const extra = rawSocket(cookie);
      extra.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      extra.on('error', () => undefined);
    });
    expect(status).toBe(429);
    for (const ws of sockets) ws.close();
  });

  it(
    'refuses an update it cannot store (4503), keeps it from others, and takes it when the client resends',
    { timeout: 30_000 },
    async () => {
      const sales = connectPlan(server.url, planId, salesCookie);
      const watcher = connectPlan(server.url, planId, (await signIn(server.url, demoEmail('viewer'))).cookie);
      await Promise.all([synced(sales), synced(watcher)]);
      // Another process holds the write lock longer than the server's busy timeout (5 s; on
      // PostgreSQL a lock on the update log for longer than the server's lock_timeout, also 5 s).
      const db = await connectStore(server);
      await db.query(db.store === 'postgres' ? 'begin' : 'BEGIN IMMEDIATE');
      if (db.store === 'postgres') await db.query('lock table document_updates in exclusive mode');
      const key = cellKey('ENE-002', '2099-07');
      setCell(sales.doc, 'sales', key, 777);
      await vi.waitFor(() => expect(sales.closes.map((c) => c.code)).toContain(CloseCode.storageFailed), { timeout: 15_000 });
      expect(findCell(watcher.doc, 'sales', key)).toBeUndefined();
      await db.query('ROLLBACK');
      await db.close();
      // The provider reconnects by itself and its sync step sends the edit again.
      await vi.waitFor(() => expect(findCell(watcher.doc, 'sales', key)).toBe(777), { timeout: 15_000 });
      sales.destroy();
      watcher.destroy();
    },
  );
});

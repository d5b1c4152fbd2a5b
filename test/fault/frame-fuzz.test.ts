import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { cellKey } from '@accord/plan-calc';
import { findCell, setCell } from '@accord/plan-model';
import { runCli, startServer, type ServerProcess } from '../support/server-process.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

function seeded(seed: number) {
  return () => (seed = (seed * 16807) % 2147483647) / 2147483647;
}

/** A frame from one of the fuzzer's families: random, truncated, mutated, unknown type, bad awareness, text. */
function makeFrame(random: () => number, valid: Uint8Array[]): Uint8Array | string {
  const pick = random();
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
  if (pick < 0.2) return bytes(1 + Math.floor(random() * 64));
  if (pick < 0.4) {
    const source = valid[Math.floor(random() * valid.length)]!;
    return source.slice(0, Math.max(1, Math.floor(random() * source.length)));
  }
  if (pick < 0.65) {
    const copy = valid[Math.floor(random() * valid.length)]!.slice();
    for (let i = 0; i < 1 + random() * 4; i++) copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
    return copy;
  }
  if (pick < 0.75) {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 4 + Math.floor(random() * 100));
    encoding.writeVarUint8Array(encoder, bytes(8));
    return encoding.toUint8Array(encoder);
  }
  if (pick < 0.85) {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 1);
    const inner = encoding.createEncoder();
    encoding.writeVarUint(inner, 1);
    encoding.writeVarUint(inner, Math.floor(random() * 1e6));
    encoding.writeVarUint(inner, 1);
    encoding.writeVarString(inner, random() < 0.5 ? '{not json' : JSON.stringify({ user: { id: 'someone-else', role: 'admin' } }));
    encoding.writeVarUint8Array(encoder, encoding.toUint8Array(inner));
    return encoding.toUint8Array(encoder);
  }
  return 'text frame';
}

/** Valid y-websocket frames to mutate: sync step 1, an update, an awareness update. */
function validFrames(): Uint8Array[] {
  const doc = new Y.Doc();
  setCell(doc, 'sales', 'SPA-001|2099-01', 5);
  const sync = (type: number, payload: Uint8Array) => {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, 0);
    encoding.writeVarUint(encoder, type);
    encoding.writeVarUint8Array(encoder, payload);
    return encoding.toUint8Array(encoder);
  };
  return [sync(0, Y.encodeStateVector(doc)), sync(2, Y.encodeStateAsUpdate(doc)), sync(1, Y.encodeStateAsUpdate(doc))];
}

describe('fault: malformed frames', () => {
  let server: ServerProcess;
  let planA: string;
  let planB: string;
  let cookie: string;
  const healthy: PlanClient[] = [];

  beforeAll(async () => {
    server = await startServer();
    const sales = await signIn(server.url, demoEmail('sales'));
    cookie = sales.cookie;
    planA = await firstPlanId(server.url, sales);
    const created = await runCli(server.dataDir, ['create-demo-plan', '--workspace', sales.me.memberships[0]!.workspaceId]);
    planB = created.stdout;
    const viewerCookie = (await signIn(server.url, demoEmail('viewer'))).cookie;
    healthy.push(
      connectPlan(server.url, planB, (await signIn(server.url, demoEmail('operations'))).cookie),
      connectPlan(server.url, planB, viewerCookie),
    );
    await Promise.all(healthy.map((c) => synced(c)));
  });
  afterAll(async () => {
    for (const c of healthy) c.destroy();
    await server?.stop();
  });

  it('survives thousands of bad frames, closes offending sockets, and keeps other plans syncing', { timeout: 180_000 }, async () => {
    const random = seeded(4242);
    const valid = validFrames();
    const closeCodes = new Map<number, number>();
    let framesSent = 0;
    for (let socketIndex = 0; socketIndex < 150; socketIndex++) {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/sync/${planA}`, { headers: { cookie, origin: server.url } });
      const code = await new Promise<number>((resolve) => {
        ws.on('close', (c) => resolve(c));
        ws.on('error', () => undefined);
        ws.on('open', () => {
          // Every 25th socket starts with an oversized frame (9 MiB, above the 8 MiB limit).
          if (socketIndex % 25 === 0) ws.send(new Uint8Array(9 * 1024 * 1024));
          for (let i = 0; i < 40 && ws.readyState === ws.OPEN; i++) {
            ws.send(makeFrame(random, valid));
            framesSent++;
          }
          // Sockets whose frames happened to be acceptable are closed by us.
          setTimeout(() => ws.close(1000), 300);
        });
      });
      closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
      if (socketIndex % 30 === 29) {
        // Between waves: the server is up and another plan still syncs.
        expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
        const key = cellKey('SPA-001', '2099-09');
        setCell(healthy[0]!.doc, 'production', key, socketIndex);
        await vi.waitFor(() => expect(findCell(healthy[1]!.doc, 'production', key)).toBe(socketIndex));
      }
    }
    expect(framesSent).toBeGreaterThan(3000);
    // Every socket was closed by the server with a protocol code, except ones whose frames were all acceptable.
    const codes = [...closeCodes.keys()];
    for (const code of codes) expect([1000, 1009, 4400, 4403, 4413, 4529]).toContain(code);
    expect((closeCodes.get(4400) ?? 0) + (closeCodes.get(4413) ?? 0)).toBeGreaterThan(100);
    expect(server.output()).not.toMatch(/unhandled|uncaught/i);
  });

  it(
    'closes every socket that sends forged structs, foreign client ids, gaps, bad state vectors or stops reading',
    { timeout: 180_000 },
    async () => {
      const random = seeded(777);
      const url = `${server.url.replace('http', 'ws')}/sync/${planA}`;
      const viewer = (await signIn(server.url, demoEmail('viewer'))).cookie;
      const operations = (await signIn(server.url, demoEmail('operations'))).cookie;
      // An honest sales client whose id the forgers borrow (it is in everyone's presence).
      const owner = connectPlan(server.url, planA, cookie);
      await synced(owner);
      setCell(owner.doc, 'sales', cellKey('SPA-002', '2099-03'), 7);
      // Stored before the forgers borrow its clocks: with several instances, the one a forger
      // reaches must find the owner's edit (in the store at least), or the forged clocks would
      // follow a gap and wait for it (4400) instead of being someone else's (4403).
      const stored = connectPlan(server.url, planA, cookie);
      await synced(stored);
      await vi.waitFor(() => expect(findCell(stored.doc, 'sales', cellKey('SPA-002', '2099-03'))).toBe(7));
      stored.destroy();
      const sync = (type: number, payload: Uint8Array) => {
        const encoder = encoding.createEncoder();
        encoding.writeVarUint(encoder, 0);
        encoding.writeVarUint(encoder, type);
        encoding.writeVarUint8Array(encoder, payload);
        return encoding.toUint8Array(encoder);
      };
      const gc = (clients: { id: number; clock: number }[]) => {
        const encoder = encoding.createEncoder();
        encoding.writeVarUint(encoder, clients.length);
        for (const { id, clock } of clients) {
          encoding.writeVarUint(encoder, 1);
          encoding.writeVarUint(encoder, id);
          encoding.writeVarUint(encoder, clock);
          encoding.writeUint8(encoder, 0);
          encoding.writeVarUint(encoder, 1 + Math.floor(random() * 5));
        }
        encoding.writeVarUint(encoder, 0);
        return encoding.toUint8Array(encoder);
      };
      type Family = { name: string; cookie: string; expect: number[]; frames: () => Uint8Array[]; stopReading?: boolean };
      const families: Family[] = [
        {
          name: 'GC structs for made-up ids',
          cookie: viewer,
          expect: [4403],
          frames: () => [
            sync(2, gc(Array.from({ length: 1 + Math.floor(random() * 2000) }, (_, i) => ({ id: 700_000_000 + i, clock: 0 })))),
          ],
        },
        {
          name: 'GC over the next clocks of someone else',
          cookie: viewer,
          expect: [4403],
          frames: () => [sync(2, gc([{ id: owner.doc.clientID, clock: Y.getState(owner.doc.store, owner.doc.clientID) }]))],
        },
        {
          // A catalog edit operations may make, but under the sales planner's client id.
          name: 'edits under someone else’s client id',
          cookie: operations,
          expect: [4403],
          frames: () => {
            const copy = new Y.Doc();
            Y.applyUpdate(copy, Y.encodeStateAsUpdate(owner.doc));
            copy.clientID = owner.doc.clientID;
            const before = Y.encodeStateVector(copy);
            copy
              .getMap<Y.Map<unknown>>('products')
              .get('SPA-001')!
              .set('name', `Forged ${Math.floor(random() * 100)}`);
            return [sync(2, Y.encodeStateAsUpdate(copy, before))];
          },
        },
        {
          name: 'updates with a gap (skip structs) never filled',
          cookie,
          expect: [4400],
          frames: () => {
            const doc = new Y.Doc();
            const parts = [1, 2, 3].map((i) => {
              const before = Y.encodeStateVector(doc);
              setCell(doc, 'sales', cellKey('SPA-003', `2099-0${i}`), i);
              return Y.encodeStateAsUpdate(doc, before);
            });
            // The first and the third merged: the second is a skip the sender never fills.
            return [sync(2, Y.mergeUpdates([parts[0]!, parts[2]!]))];
          },
        },
        {
          name: 'sync step 1 with a state vector that does not decode',
          cookie: viewer,
          expect: [4400],
          frames: () => [
            sync(
              0,
              Uint8Array.from({ length: 1 + Math.floor(random() * 6) }, () => 0x80 | Math.floor(random() * 127)),
            ),
          ],
        },
        {
          name: 'a reader that stops reading',
          cookie: viewer,
          expect: [4508],
          stopReading: true,
          frames: () => Array.from({ length: 450 }, () => sync(0, new Uint8Array([0]))),
        },
      ];
      const seen: string[] = [];
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          families.map(async (family) => {
            const ws = new WebSocket(url, { headers: { cookie: family.cookie, origin: server.url } });
            const raw = ws as unknown as { _socket: { pause(): void; resume(): void } };
            const code = await new Promise<number>((resolve) => {
              // A socket the server never closes fails the test with its family's name.
              const timer = setTimeout(() => resolve(-1), 30_000);
              ws.on('close', (c) => {
                clearTimeout(timer);
                resolve(c);
              });
              ws.on('error', () => undefined);
              ws.on('open', () => {
                if (family.stopReading) raw._socket.pause();
                for (const frame of family.frames()) if (ws.readyState === ws.OPEN) ws.send(frame);
                if (family.stopReading) setTimeout(() => raw._socket.resume(), 1_500);
              });
            });
            if (code === -1) ws.terminate();
            seen.push(`${family.name}: ${code}`);
            expect(family.expect, `${family.name} closed with ${code}`).toContain(code);
          }),
        );
        // The honest owner's later edits still land, and the other plan still syncs.
        const key = cellKey('SPA-002', '2099-05');
        setCell(owner.doc, 'sales', key, round + 1);
        const watcher = connectPlan(server.url, planA, viewer);
        await synced(watcher);
        await vi.waitFor(() => expect(findCell(watcher.doc, 'sales', key)).toBe(round + 1));
        watcher.destroy();
        expect(owner.closes).toEqual([]);
      }
      expect(seen).toHaveLength(families.length * 3);
      expect(server.output()).not.toMatch(/unhandled|uncaught|sync task failed/i);
      owner.destroy();
    },
  );
});

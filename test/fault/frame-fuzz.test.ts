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
});

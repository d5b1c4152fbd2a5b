import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { CloseCode } from '@accord/protocol';
import { cellKey } from '@accord/plan-calc';
import { findCell, readPlanData, setCell } from '@accord/plan-model';
import { startServer, type ServerProcess } from '../support/server-process.ts';
import { connectPlan, demoEmail, firstPlanId, signIn, synced, type PlanClient } from '../support/clients.ts';

/**
 * The holes an independent review found in the sync endpoint and the API (issue #14), each
 * reproduced against a real server with the official y-websocket client or raw frames.
 */

/** A y-websocket sync message: update (2) or sync step 1 (0) with a payload. */
function syncFrame(syncType: 0 | 2, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  encoding.writeVarUint(encoder, syncType);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

/** An update holding only GC structs, one per client id, as a forger writes it by hand. */
function gcOnlyUpdate(clients: { id: number; clock: number; length: number }[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, clients.length);
  for (const { id, clock, length } of clients) {
    encoding.writeVarUint(encoder, 1);
    encoding.writeVarUint(encoder, id);
    encoding.writeVarUint(encoder, clock);
    encoding.writeUint8(encoder, 0);
    encoding.writeVarUint(encoder, length);
  }
  encoding.writeVarUint(encoder, 0);
  return encoding.toUint8Array(encoder);
}

interface RawSocket {
  ws: WebSocket;
  received: number;
  closed: Promise<{ code: number; reason: string }>;
}

function rawSocket(url: string, planId: string, cookie: string): Promise<RawSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/sync/${planId}`, { headers: { cookie, origin: url } });
  const socket: RawSocket = {
    ws,
    received: 0,
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
  };
  ws.on('message', (data: Buffer) => (socket.received += data.byteLength));
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve(socket));
    ws.on('error', reject);
  });
}

describe('sync endpoint and API hardening (issue #14)', () => {
  let server: ServerProcess;
  let planId: string;
  const sessions: Record<string, Awaited<ReturnType<typeof signIn>>> = {};
  const clients: PlanClient[] = [];
  const open = async (role: string) => {
    const client = connectPlan(server.url, planId, sessions[role]!.cookie);
    clients.push(client);
    await synced(client);
    return client;
  };

  beforeAll(async () => {
    server = await startServer();
    for (const role of ['viewer', 'sales', 'operations', 'finance', 'leader', 'commenter'])
      sessions[role] = await signIn(server.url, demoEmail(role));
    planId = await firstPlanId(server.url, sessions.viewer!);
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.stop();
  });

  it('refuses a viewer’s GC structs for made-up client ids (4403): nothing stored, the state vector unchanged', async () => {
    const witness = await open('viewer');
    const before = Y.encodeStateVector(witness.doc).byteLength;
    const socket = await rawSocket(server.url, planId, sessions.viewer!.cookie);
    const fakes = Array.from({ length: 10_000 }, (_, i) => ({ id: 500_000_000 + i, clock: 0, length: 1 }));
    socket.ws.send(syncFrame(2, gcOnlyUpdate(fakes)));
    expect((await socket.closed).code).toBe(CloseCode.permissionDenied);
    // A client joining now gets the same state vector as before.
    const late = await open('viewer');
    expect(Y.encodeStateVector(late.doc).byteLength).toBe(before);
    expect(Y.encodeStateVector(late.doc)).toEqual(Y.encodeStateVector(witness.doc));
  });

  it('keeps a sales planner’s offline edit when a viewer forges a GC struct over its next clocks', async () => {
    const sales = await open('sales');
    const witness = await open('operations');
    const data = readPlanData(sales.doc);
    const product = Object.keys(data.products)[2]!;
    const first = cellKey(product, data.meta.horizonStart);
    setCell(sales.doc, 'sales', first, 1111);
    await vi.waitFor(() => expect(findCell(witness.doc, 'sales', first)).toBe(1111));
    // The sales planner goes offline and changes the cell again.
    sales.provider.disconnect();
    setCell(sales.doc, 'sales', first, 2222);
    // The viewer claims that client's next clock range with a GC struct (id from presence, clock
    // from the state vector).
    const clock = Y.getState(witness.doc.store, sales.doc.clientID);
    const socket = await rawSocket(server.url, planId, sessions.viewer!.cookie);
    socket.ws.send(syncFrame(2, gcOnlyUpdate([{ id: sales.doc.clientID, clock, length: 5 }])));
    expect((await socket.closed).code).toBe(CloseCode.permissionDenied);
    // Back online: the offline edit arrives whole, and the cell is not left empty.
    sales.provider.connect();
    await vi.waitFor(() => expect(findCell(witness.doc, 'sales', first)).toBe(2222), { timeout: 10_000 });
    expect(sales.closes.filter((c) => c.code >= 4400)).toEqual([]);
  });

  it('refuses 99999999999999999999 in a sales cell with 4400 and shows it to nobody', async () => {
    const sales = await open('sales');
    const witness = await open('viewer');
    const data = readPlanData(sales.doc);
    const key = cellKey(Object.keys(data.products)[3]!, data.meta.horizonStart);
    const before = findCell(witness.doc, 'sales', key);
    setCell(sales.doc, 'sales', key, Number('99999999999999999999'));
    await vi.waitFor(() => expect(sales.closes.map((c) => c.code)).toContain(CloseCode.malformedMessage));
    expect(sales.closes.find((c) => c.code === CloseCode.malformedMessage)!.reason).toMatch(/at most 1,000,000,000/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(findCell(witness.doc, 'sales', key)).toBe(before);
  });

  it('keeps offline edits when a live edit made on reconnect races the sync step 2', async () => {
    const sales = await open('sales');
    const witness = await open('viewer');
    const data = readPlanData(sales.doc);
    const products = Object.keys(data.products);
    const offlineKey = cellKey(products[4]!, data.meta.horizonStart);
    const liveKey = cellKey(products[5]!, data.meta.horizonStart);
    sales.provider.disconnect();
    setCell(sales.doc, 'sales', offlineKey, 3131);
    const onStatus = ({ status }: { status: string }) => {
      if (status !== 'connected') return;
      sales.provider.off('status', onStatus);
      // Sent at once, before the sync step 2 that carries the offline edit it follows.
      setCell(sales.doc, 'sales', liveKey, 3232);
    };
    sales.provider.on('status', onStatus);
    sales.provider.connect();
    await vi.waitFor(
      () => {
        expect(findCell(witness.doc, 'sales', offlineKey)).toBe(3131);
        expect(findCell(witness.doc, 'sales', liveKey)).toBe(3232);
      },
      { timeout: 10_000 },
    );
    expect(sales.closes).toEqual([]);
  });

  it('closes a socket that stops reading while asking for the whole plan again and again (4508)', async () => {
    const socket = await rawSocket(server.url, planId, sessions.viewer!.cookie);
    // Stop reading: what the server sends piles up in its buffer for this socket.
    (socket.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    for (let i = 0; i < 450; i++) socket.ws.send(syncFrame(0, new Uint8Array([0])));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    (socket.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const closed = await socket.closed;
    expect(closed.code).toBe(CloseCode.slowReader);
    // It was sent far less than the 450 full states it asked for (~144 KB each).
    expect(socket.received).toBeLessThan(40 * 1024 * 1024);
  });

  it('refuses a sync step 1 whose state vector does not decode with 4400', async () => {
    const socket = await rawSocket(server.url, planId, sessions.viewer!.cookie);
    socket.ws.send(new Uint8Array([0x00, 0x00, 0x02, 0x01, 0x05]));
    expect((await socket.closed).code).toBe(CloseCode.malformedMessage);
    expect(server.output()).not.toMatch(/sync task failed/);
  });

  it('refuses list content under a value root (4400): nothing a map reader cannot see is stored', async () => {
    const witness = await open('viewer');
    const before = Y.encodeStateVector(witness.doc);
    const junk = new Y.Doc();
    junk.getArray<string>('sales').insert(0, ['x'.repeat(100_000)]);
    const socket = await rawSocket(server.url, planId, sessions.sales!.cookie);
    socket.ws.send(syncFrame(2, Y.encodeStateAsUpdate(junk)));
    expect((await socket.closed).code).toBe(CloseCode.malformedMessage);
    const late = await open('viewer');
    expect(Y.encodeStateVector(late.doc)).toEqual(before);
  });

  it('does not log the presence echoes of a meeting as impersonation', async () => {
    const roles = ['sales', 'operations', 'finance', 'leader', 'commenter'];
    const people = await Promise.all(roles.map((role) => open(role)));
    const warningsBefore = server.output().split('impersonates').length;
    people.forEach((person, i) => {
      const me = sessions[roles[i]!]!.me.user;
      person.provider.awareness.setLocalStateField('user', { id: me.id, name: me.name, role: roles[i] });
    });
    for (let move = 0; move < 10; move++) {
      people[0]!.provider.awareness.setLocalStateField('cell', `row-${move}`);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    // Everyone sees the cursor where it ended up...
    const id = people[0]!.doc.clientID;
    await vi.waitFor(() => {
      for (const person of people.slice(1)) expect(person.provider.awareness.getStates().get(id)).toMatchObject({ cell: 'row-9' });
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // ...and the server logged no impersonation (the official client sends others' presence back).
    expect(server.output().split('impersonates').length).toBe(warningsBefore);
  });

  it('answers a broken multipart import with 400 and a sentence, not 500', async () => {
    const response = await fetch(`${server.url}/api/plans/${planId}/imports?kind=actuals&mode=preview`, {
      method: 'POST',
      headers: { cookie: sessions.operations!.cookie, origin: server.url, 'content-type': 'multipart/form-data; boundary=xx' },
      body: '--xx\r\nContent-Disposition: form-data; name="file"\r\n\r\nabc',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('bad_request');
    expect(body.error.message).toMatch(/multipart/);
  });

  it('says that a body is not valid JSON', async () => {
    const response = await fetch(`${server.url}/api/auth/sign-in`, {
      method: 'POST',
      headers: { origin: server.url, 'content-type': 'application/json' },
      body: '{"email": "sales@demo.accord.test", "password": ',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      'The request body is not valid JSON; send a JSON object.',
    );
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RedisFanout } from './redis-fanout.ts';
import type { FanoutMessage } from './fanout.ts';
import { createLogger } from '../logger.ts';

interface PrivateRedis {
  url: string;
  /** Stops it (SIGTERM) and starts it again on the same port after `downMs`. */
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** A `redis-server` of the test's own on a free port, keeping nothing on disk (the machine's 6379 is left alone). */
async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = net.createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await vi.waitFor(
      () =>
        new Promise<void>((resolve, reject) => {
          const socket = net.connect(port, '127.0.0.1', () => (socket.end(), resolve())).once('error', reject);
        }),
      { timeout: 10_000, interval: 20 },
    );
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    restart: async (downMs) => {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    stop,
  };
}

/** A holder of a document on one instance: what it heard and how often it was told to catch up. */
function holder() {
  const heard: FanoutMessage[] = [];
  let listening = 0;
  return {
    heard,
    get listening() {
      return listening;
    },
    listener: { message: (m: FanoutMessage) => heard.push(m), listening: () => listening++ },
  };
}

/**
 * The Redis fan-out between two instances, against a Redis of the test's own that it stops and
 * starts: a document opened while Redis is down is subscribed once it is back (until then the
 * instance reports itself unhealthy, so its holders poll the store), and heads go across.
 */
describe('RedisFanout through a Redis outage', () => {
  let redis: PrivateRedis | undefined;
  const fanouts: RedisFanout[] = [];
  afterEach(async () => {
    await Promise.all(fanouts.splice(0).map((f) => f.close()));
    await redis?.stop();
  });

  it('subscribes a document opened while Redis was down once it is back, and tells its holder to catch up', async () => {
    redis = await startPrivateRedis();
    const log = createLogger('silent');
    const a = await RedisFanout.connect(redis.url, 'a', log);
    const b = await RedisFanout.connect(redis.url, 'b', log);
    fanouts.push(a, b);
    const onA = holder();
    a.subscribe('plan-1', onA.listener);
    await vi.waitFor(() => expect(onA.listening).toBe(1), { timeout: 5_000, interval: 10 });

    // Redis goes away; b opens the document meanwhile.
    const down = redis.restart(1_000);
    await vi.waitFor(() => expect(b.healthy).toBe(false), { timeout: 5_000, interval: 10 });
    const onB = holder();
    b.subscribe('plan-1', onB.listener);
    await down;

    // Back: b listens to the document (and is healthy only then), and both holders catch up.
    await vi.waitFor(() => expect(b.healthy && a.healthy).toBe(true), { timeout: 10_000, interval: 20 });
    expect(onB.listening).toBe(1);
    a.publish({ type: 'update', documentId: 'plan-1', seq: 7, update: new Uint8Array([1, 2, 3]) });
    a.publish({ type: 'head', documentId: 'plan-1', seq: 8 });
    await vi.waitFor(() => expect(onB.heard.filter((m) => m.type !== 'presenceQuery')).toHaveLength(2), { timeout: 5_000, interval: 10 });
    expect(onB.heard.filter((m) => m.type !== 'presenceQuery')).toEqual([
      { type: 'update', documentId: 'plan-1', seq: 7, update: new Uint8Array([1, 2, 3]) },
      { type: 'head', documentId: 'plan-1', seq: 8 },
    ]);
  });

  it('keeps hearing a document held again while its previous holder’s subscription was still being made', async () => {
    redis = await startPrivateRedis();
    const log = createLogger('silent');
    const a = await RedisFanout.connect(redis.url, 'a', log);
    const b = await RedisFanout.connect(redis.url, 'b', log);
    fanouts.push(a, b);
    // Held, let go before Redis answered, and held again.
    const first = holder();
    b.subscribe('plan-1', first.listener)();
    const second = holder();
    b.subscribe('plan-1', second.listener);
    await vi.waitFor(() => expect(second.listening).toBe(1), { timeout: 5_000, interval: 10 });
    // Let the first subscription's clean-up run before publishing.
    await new Promise((resolve) => setTimeout(resolve, 100));

    a.publish({ type: 'head', documentId: 'plan-1', seq: 3 });
    await vi.waitFor(() => expect(second.heard).toEqual([{ type: 'head', documentId: 'plan-1', seq: 3 }]), {
      timeout: 5_000,
      interval: 10,
    });
    expect(first.heard).toEqual([]);
    expect(first.listening).toBe(0);
  });
});

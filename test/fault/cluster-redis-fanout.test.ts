import { afterEach, describe, expect, it, vi } from 'vitest';
import { RedisFanout } from '../../server/src/sync/redis-fanout.ts';
import type { FanoutMessage } from '../../server/src/sync/fanout.ts';
import { createLogger } from '../../server/src/logger.ts';
import { startPrivateRedis, type PrivateRedis } from '../support/cluster.ts';

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

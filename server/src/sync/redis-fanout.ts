import { createClient, type RedisClientType } from '@redis/client';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import type { AccessEvent } from '../auth/access-events.ts';
import type { Logger } from '../logger.ts';
import type { Fanout, FanoutListener, FanoutMessage } from './fanout.ts';

// Channel names. One channel per document, so an instance hears only the documents it holds.
const DOCUMENT_CHANNEL = 'accord:doc:';
const ACCESS_CHANNEL = 'accord:access';
const MESSAGE_UPDATE = 0;
const MESSAGE_AWARENESS = 1;
const MESSAGE_PRESENCE_QUERY = 2;
const MESSAGE_HEAD = 3;
const CONNECT_TIMEOUT_MS = 10_000;
const RESUBSCRIBE_MS = 1_000;

interface DocumentSubscription {
  listeners: Set<FanoutListener>;
  /** Whether Redis sends the channel: not asked, being asked, sending; dropped once nobody holds the document. */
  state: 'idle' | 'subscribing' | 'listening' | 'dropped';
  /** What Redis calls with the channel's messages. */
  onRedis: (message: Buffer) => void;
}

/**
 * Fan-out between server instances over Redis pub/sub (DESIGN.md §8). Redis carries speed, not
 * truth: every update is committed to PostgreSQL before it is published, receivers apply updates
 * in sequence and fill a gap from the store, and after Redis comes back (or while it is down)
 * holders catch up from the store. Pub/sub is at-most-once, which is all this needs.
 *
 * Messages are binary: the sender's instance id, the kind, then the sequence number and update
 * bytes (or the awareness update). An instance drops its own messages, which Redis also delivers
 * to it.
 */
export class RedisFanout implements Fanout {
  readonly instanceId: string;
  readonly distributed = true;
  readonly #publisher: RedisClientType;
  readonly #subscriber: RedisClientType;
  readonly #log: Logger;
  readonly #documents = new Map<string, DocumentSubscription>();
  /** Documents held here whose channel Redis is not sending yet (subscribing, or a subscribe that failed). */
  #notListening = 0;
  readonly #access = new Set<(event: AccessEvent) => void>();
  readonly #resync = new Set<() => void>();
  #down = false;

  private constructor(url: string, instanceId: string, log: Logger) {
    this.instanceId = instanceId;
    this.#log = log;
    // No offline queue: a publish while Redis is down fails at once (the others catch up from the
    // store) instead of piling up in memory; reconnects back off up to two seconds.
    this.#publisher = createClient({
      url,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 2_000) },
    }) as RedisClientType;
    this.#subscriber = this.#publisher.duplicate() as RedisClientType;
    for (const [name, client] of [
      ['publisher', this.#publisher],
      ['subscriber', this.#subscriber],
    ] as const) {
      client.on('error', (e: unknown) => {
        if (!this.#down)
          this.#log.warn({ err: e, connection: name }, 'Redis unavailable; instances catch up from the store until it is back');
        this.#down = true;
      });
    }
    // Either connection back after a break: what the others published while the subscriber was
    // away, and what this instance published while the publisher was, did not arrive. Holders catch
    // up from the store and announce their heads (the publisher comes back on its own schedule,
    // perhaps after the others stopped polling the store: its heads tell them what they missed).
    for (const client of [this.#publisher, this.#subscriber]) {
      let wasReady = false;
      client.on('ready', () => {
        // Redis subscribes again to the channels it was sending; one whose subscribe failed (asked
        // for while the connection was down) is asked for again.
        if (client === this.#subscriber) for (const documentId of this.#documents.keys()) this.#listen(documentId);
        if (wasReady) {
          if (this.healthy) this.#log.info('Redis is back; catching up from the store');
          for (const listener of this.#resync) listener();
        }
        wasReady = true;
        if (this.#publisher.isReady && this.#subscriber.isReady) this.#down = false;
      });
    }
  }

  /** Connects both connections (publisher and subscriber) and listens for access changes. */
  static async connect(url: string, instanceId: string, log: Logger): Promise<RedisFanout> {
    const fanout = new RedisFanout(url, instanceId, log);
    // The client retries for ever; at start-up an unreachable Redis is a configuration problem.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
    });
    try {
      await Promise.race([
        (async () => {
          await fanout.#publisher.connect();
          await fanout.#subscriber.connect();
          await fanout.#subscriber.subscribe(ACCESS_CHANNEL, (message: Buffer) => fanout.#onAccess(message), true);
        })(),
        timeout,
      ]);
    } catch (e: unknown) {
      await fanout.close();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    return fanout;
  }

  /**
   * False while either connection is down or a held document's channel is not being sent yet: then
   * the registry polls the store for updates.
   */
  get healthy(): boolean {
    return this.#publisher.isReady && this.#subscriber.isReady && this.#notListening === 0;
  }

  publish(message: FanoutMessage): void {
    const encoder = encoding.createEncoder();
    encoding.writeVarString(encoder, this.instanceId);
    if (message.type === 'update') {
      encoding.writeVarUint(encoder, MESSAGE_UPDATE);
      encoding.writeVarUint(encoder, message.seq);
      encoding.writeVarUint8Array(encoder, message.update);
    } else if (message.type === 'awareness') {
      encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
      encoding.writeVarUint8Array(encoder, message.update);
    } else if (message.type === 'head') {
      encoding.writeVarUint(encoder, MESSAGE_HEAD);
      encoding.writeVarUint(encoder, message.seq);
    } else {
      encoding.writeVarUint(encoder, MESSAGE_PRESENCE_QUERY);
    }
    this.#send(DOCUMENT_CHANNEL + message.documentId, Buffer.from(encoding.toUint8Array(encoder)));
  }

  subscribe(documentId: string, listener: FanoutListener): () => void {
    let subscription = this.#documents.get(documentId);
    if (!subscription) {
      const onRedis = (message: Buffer) => this.#onDocument(documentId, message);
      this.#documents.set(documentId, (subscription = { listeners: new Set(), state: 'idle', onRedis }));
      this.#notListening++;
      this.#listen(documentId);
    }
    const listeners = subscription.listeners;
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0 || this.#documents.get(documentId) !== subscription) return;
      this.#documents.delete(documentId);
      if (subscription.state === 'listening') this.#unlisten(documentId, subscription);
      else this.#notListening--;
      subscription.state = 'dropped';
    };
  }

  /**
   * Subscribes to a held document's channel unless that is done or under way. Once Redis sends it,
   * the holders catch up from the store (what was published before they listened is not sent to
   * them) and the others are asked who is on the document (presence announced before).
   */
  #listen(documentId: string): void {
    const subscription = this.#documents.get(documentId);
    if (!subscription || subscription.state !== 'idle') return;
    if (!this.#subscriber.isReady) return; // asked for again when the connection is ready
    subscription.state = 'subscribing';
    this.#subscriber.subscribe(DOCUMENT_CHANNEL + documentId, subscription.onRedis, true).then(
      () => {
        if (subscription.state === 'dropped') {
          this.#unlisten(documentId, subscription); // nobody holds the document any more
          return;
        }
        subscription.state = 'listening';
        this.#notListening--;
        for (const listener of subscription.listeners) listener.listening();
        this.publish({ type: 'presenceQuery', documentId });
      },
      (e: unknown) => {
        if (subscription.state === 'dropped') return;
        subscription.state = 'idle';
        this.#log.warn({ err: e, documentId }, 'subscribing to a document failed; it catches up from the store until it is subscribed');
        // While the connection is up, try again in a second; otherwise when it is ready.
        setTimeout(() => this.#listen(documentId), RESUBSCRIBE_MS).unref();
      },
    );
  }

  publishAccess(event: AccessEvent): void {
    const encoder = encoding.createEncoder();
    encoding.writeVarString(encoder, this.instanceId);
    encoding.writeVarString(encoder, JSON.stringify(event));
    this.#send(ACCESS_CHANNEL, Buffer.from(encoding.toUint8Array(encoder)));
  }

  subscribeAccess(listener: (event: AccessEvent) => void): () => void {
    this.#access.add(listener);
    return () => this.#access.delete(listener);
  }

  onResync(listener: () => void): () => void {
    this.#resync.add(listener);
    return () => this.#resync.delete(listener);
  }

  async close(): Promise<void> {
    // destroy, not close: close waits for a reconnecting client to connect first.
    for (const client of [this.#subscriber, this.#publisher]) {
      if (client.isOpen) client.destroy();
    }
  }

  /** Stops this subscription's listener (only its own: the document may be held again, under a new subscription). */
  #unlisten(documentId: string, subscription: DocumentSubscription): void {
    this.#subscriber.unsubscribe(DOCUMENT_CHANNEL + documentId, subscription.onRedis, true).catch(() => undefined);
  }

  #send(channel: string, payload: Buffer): void {
    if (!this.#publisher.isReady) return; // the others catch up from the store
    this.#publisher.publish(channel, payload).catch((e: unknown) => {
      if (!this.#down) this.#log.warn({ err: e }, 'publishing to Redis failed; the others catch up from the store');
    });
  }

  #onDocument(documentId: string, raw: Buffer): void {
    let message: FanoutMessage;
    try {
      const decoder = decoding.createDecoder(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
      if (decoding.readVarString(decoder) === this.instanceId) return;
      const kind = decoding.readVarUint(decoder);
      if (kind === MESSAGE_UPDATE) {
        const seq = decoding.readVarUint(decoder);
        message = { type: 'update', documentId, seq, update: decoding.readVarUint8Array(decoder) };
      } else if (kind === MESSAGE_AWARENESS) {
        message = { type: 'awareness', documentId, update: decoding.readVarUint8Array(decoder) };
      } else if (kind === MESSAGE_PRESENCE_QUERY) {
        message = { type: 'presenceQuery', documentId };
      } else if (kind === MESSAGE_HEAD) {
        message = { type: 'head', documentId, seq: decoding.readVarUint(decoder) };
      } else return;
    } catch (e: unknown) {
      this.#log.warn({ err: e, documentId }, 'unreadable fan-out message ignored');
      return;
    }
    for (const listener of this.#documents.get(documentId)?.listeners ?? []) listener.message(message);
  }

  #onAccess(raw: Buffer): void {
    let event: AccessEvent;
    try {
      const decoder = decoding.createDecoder(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
      if (decoding.readVarString(decoder) === this.instanceId) return;
      event = JSON.parse(decoding.readVarString(decoder)) as AccessEvent;
    } catch (e: unknown) {
      this.#log.warn({ err: e }, 'unreadable access message ignored');
      return;
    }
    for (const listener of this.#access) listener(event);
  }
}

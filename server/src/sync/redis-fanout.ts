import { createClient, type RedisClientType } from '@redis/client';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import type { AccessEvent } from '../auth/access-events.ts';
import type { Logger } from '../logger.ts';
import type { Fanout, FanoutMessage } from './fanout.ts';

// Channel names. One channel per document, so an instance hears only the documents it holds.
const DOCUMENT_CHANNEL = 'accord:doc:';
const ACCESS_CHANNEL = 'accord:access';
const MESSAGE_UPDATE = 0;
const MESSAGE_AWARENESS = 1;
const MESSAGE_PRESENCE_QUERY = 2;
const CONNECT_TIMEOUT_MS = 10_000;

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
  readonly #documents = new Map<string, Set<(message: FanoutMessage) => void>>();
  readonly #access = new Set<(event: AccessEvent) => void>();
  readonly #resync = new Set<() => void>();
  #wasReady = false;
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
    this.#subscriber.on('ready', () => {
      // Back after a disconnect: messages sent meanwhile are lost, so holders catch up.
      if (this.#wasReady) {
        this.#log.info('Redis is back; catching up from the store');
        for (const listener of this.#resync) listener();
      }
      this.#wasReady = true;
      this.#down = false;
    });
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

  /** False while either connection is down: then the registry polls the store for updates. */
  get healthy(): boolean {
    return this.#publisher.isReady && this.#subscriber.isReady;
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
    } else {
      encoding.writeVarUint(encoder, MESSAGE_PRESENCE_QUERY);
    }
    this.#send(DOCUMENT_CHANNEL + message.documentId, Buffer.from(encoding.toUint8Array(encoder)));
  }

  subscribe(documentId: string, listener: (message: FanoutMessage) => void): () => void {
    let listeners = this.#documents.get(documentId);
    if (!listeners) {
      this.#documents.set(documentId, (listeners = new Set()));
      this.#subscriber
        .subscribe(DOCUMENT_CHANNEL + documentId, (message: Buffer) => this.#onDocument(documentId, message), true)
        // Listening now: ask the others who is on the document (announced before we listened).
        .then(() => this.publish({ type: 'presenceQuery', documentId }))
        .catch((e: unknown) => this.#log.warn({ err: e, documentId }, 'subscribing to a document failed; it catches up from the store'));
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0 || this.#documents.get(documentId) !== listeners) return;
      this.#documents.delete(documentId);
      this.#subscriber.unsubscribe(DOCUMENT_CHANNEL + documentId).catch(() => undefined);
    };
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
      } else return;
    } catch (e: unknown) {
      this.#log.warn({ err: e, documentId }, 'unreadable fan-out message ignored');
      return;
    }
    for (const listener of this.#documents.get(documentId) ?? []) listener(message);
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

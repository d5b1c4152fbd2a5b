import type { AccessEvent } from '../auth/access-events.ts';

/** What one instance tells the others that hold the same document. */
export type FanoutMessage =
  /** An accepted update, already committed with its per-document sequence number. */
  | { type: 'update'; documentId: string; seq: number; update: Uint8Array }
  /** A presence (awareness) update relayed from a socket of the sending instance. */
  | { type: 'awareness'; documentId: string; update: Uint8Array }
  /**
   * The sending instance has just begun to hear about the document and asks the others for the
   * presence of the people connected to them (what was announced before it listened).
   */
  | { type: 'presenceQuery'; documentId: string }
  /**
   * The last sequence number the sending instance knows for the document, sent after its fan-out
   * was interrupted: its update messages meanwhile may have been dropped, so a receiver behind this
   * number catches up from the store.
   */
  | { type: 'head'; documentId: string; seq: number };

/** A holder of a document, told what the other instances say about it. */
export interface FanoutListener {
  /** Another instance's message about the document. */
  message(message: FanoutMessage): void;
  /**
   * The fan-out has begun to hear the document's messages (first, and again after it had to
   * subscribe anew): what was published before is not delivered, so the holder catches up from the store.
   */
  listening(): void;
}

/**
 * Carries accepted updates and presence to the other server instances holding a document, and
 * access changes to every instance (DESIGN.md §8). It carries speed, not truth: every update is
 * committed before it is published, and a receiver that sees a sequence number skipped fills the
 * gap from the store. A single instance needs no peers: `LocalFanout` delivers nothing.
 */
export interface Fanout {
  /** This instance's id; messages come back with the id of the instance that sent them. */
  readonly instanceId: string;
  /** True when other instances may hold the same documents (then a gap is filled from the store before judging). */
  readonly distributed: boolean;
  /** False while messages cannot be carried (Redis down): holders then poll the store. */
  readonly healthy: boolean;
  /** Sends a document message to the other instances subscribed to that document. */
  publish(message: FanoutMessage): void;
  /**
   * Hears the other instances' messages about a document until the returned function is called.
   * The first subscription to a document asks the others for their presence on it (a
   * `presenceQuery`), once it is listening for their answers.
   */
  subscribe(documentId: string, listener: FanoutListener): () => void;
  /** Sends an access change to every other instance. */
  publishAccess(event: AccessEvent): void;
  /** Hears the other instances' access changes. */
  subscribeAccess(listener: (event: AccessEvent) => void): () => void;
  /**
   * Called when messages may have been lost (a connection is back after a break): holders catch up
   * from the store and announce their heads, since what they published meanwhile may not have gone out.
   */
  onResync(listener: () => void): () => void;
  close(): Promise<void>;
}

/**
 * Fan-out between instances that share one process: every `LocalFanout` made with the same hub
 * hears the others. The server runs one instance, so its hub has no one to tell; tests put two
 * document registries on one store and one hub to act as two instances.
 */
export class LocalFanoutHub {
  readonly #members = new Set<LocalFanout>();
  join(member: LocalFanout): () => void {
    this.#members.add(member);
    return () => this.#members.delete(member);
  }
  others(member: LocalFanout): LocalFanout[] {
    return [...this.#members].filter((m) => m !== member);
  }
}

export class LocalFanout implements Fanout {
  readonly instanceId: string;
  readonly #hub: LocalFanoutHub;
  readonly #leave: () => void;
  readonly #documents = new Map<string, Set<FanoutListener>>();
  readonly #access = new Set<(event: AccessEvent) => void>();

  readonly healthy = true;

  constructor(instanceId: string, hub: LocalFanoutHub = new LocalFanoutHub()) {
    this.instanceId = instanceId;
    this.#hub = hub;
    this.#leave = hub.join(this);
  }

  get distributed(): boolean {
    return this.#hub.others(this).length > 0;
  }

  publish(message: FanoutMessage): void {
    for (const other of this.#hub.others(this)) other.#deliver(message);
  }

  subscribe(documentId: string, listener: FanoutListener): () => void {
    let listeners = this.#documents.get(documentId);
    if (!listeners) {
      this.#documents.set(documentId, (listeners = new Set()));
      this.publish({ type: 'presenceQuery', documentId });
    }
    listeners.add(listener);
    // Another member may have published while the holder was loading (a lone server has no one).
    if (this.distributed) queueMicrotask(() => listener.listening());
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.#documents.delete(documentId);
    };
  }

  publishAccess(event: AccessEvent): void {
    for (const other of this.#hub.others(this)) for (const listener of other.#access) listener(event);
  }

  subscribeAccess(listener: (event: AccessEvent) => void): () => void {
    this.#access.add(listener);
    return () => this.#access.delete(listener);
  }

  onResync(_listener: () => void): () => void {
    // Nothing is lost in a process.
    return () => undefined;
  }

  async close(): Promise<void> {
    this.#leave();
  }

  #deliver(message: FanoutMessage): void {
    // Asynchronous like a network: the publisher's send to its own sockets comes first.
    queueMicrotask(() => {
      for (const listener of this.#documents.get(message.documentId) ?? []) listener.message(message);
    });
  }
}

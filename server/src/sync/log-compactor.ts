import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.ts';
import type { CompactionReply, CompactionRequest } from './compaction-worker.ts';
import { workerUrl } from '../worker-url.ts';

/** A document's state encoded from what is stored, and how many logged updates it includes. */
export interface Encoded {
  state: Uint8Array;
  updates: number;
}

/**
 * Rebuilds documents from their stored state and update log in a worker thread with its own
 * (read-only) connection to the database file, and encodes them there, while the event loop goes
 * on accepting and broadcasting edits. The caller writes the result (`DocumentRepository`).
 * Folding the log on the event loop encoded the live document there: a stall of a few hundred
 * milliseconds for a plan of 1,000 SKUs every 500 edits.
 *
 * Requests run one at a time, in order. If the worker fails, every open and later request rejects
 * and `available` turns false: rooms then compact on the event loop as before.
 */
export class LogCompactor {
  #worker: Worker | undefined;
  readonly #file: string;
  readonly #log: Logger;
  readonly #pending = new Map<number, { resolve: (encoded: Encoded | null) => void; reject: (e: Error) => void }>();
  readonly #inFlight = new Set<Promise<Encoded | null>>();
  #nextId = 1;
  #failed: Error | null = null;
  #stopped = false;

  constructor(file: string, log: Logger) {
    this.#file = file;
    this.#log = log;
  }

  /**
   * The worker, started on the first compaction: a plan needs 500 edits before its first, and a
   * thread loading SQLite at start-up would take a core from the start itself (a restart's sockets
   * wait for it).
   */
  #started(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(workerUrl('compaction-worker', import.meta.url), { workerData: { file: this.#file } });
    this.#worker = worker;
    worker.unref();
    worker.on('message', (reply: CompactionReply) => {
      const waiting = this.#pending.get(reply.requestId);
      this.#pending.delete(reply.requestId);
      if (this.#pending.size === 0) worker.unref();
      if (!waiting) return;
      if (reply.type === 'error') waiting.reject(new Error(reply.message));
      else waiting.resolve(reply.type === 'encoded' ? { state: reply.state, updates: reply.updates } : null);
    });
    worker.on('error', (e: Error) => this.#fail(e));
    worker.on('exit', (code) => {
      if (!this.#stopped) this.#fail(new Error(`compaction worker exited with code ${code}`));
    });
    return worker;
  }

  /** False once the worker failed (or was stopped): compact on the event loop instead. */
  get available(): boolean {
    return this.#failed === null && !this.#stopped;
  }

  /**
   * The stored state of `documentId` with its updates up to `throughSeq` folded in, encoded, and
   * how many updates that folded; null when there are none up to that sequence number.
   */
  encode(documentId: string, throughSeq: number): Promise<Encoded | null> {
    if (this.#failed) return Promise.reject(this.#failed);
    if (this.#stopped) return Promise.reject(new Error('compaction worker stopped'));
    const requestId = this.#nextId++;
    const request: CompactionRequest = { requestId, documentId, throughSeq };
    const worker = this.#started();
    const done = new Promise<Encoded | null>((resolve, reject) => {
      this.#pending.set(requestId, { resolve, reject });
      // Kept alive while it has work, so a shutdown waiting for it is not cut short.
      worker.ref();
      worker.postMessage(request);
    });
    this.#inFlight.add(done);
    const forget = () => void this.#inFlight.delete(done);
    done.then(forget, forget);
    return done;
  }

  /** Lets the requests already sent finish, then ends the worker. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await Promise.allSettled(this.#inFlight);
    const worker = this.#worker;
    if (this.#failed || !worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage('stop');
    await exited;
  }

  #fail(e: Error): void {
    if (this.#failed) return;
    this.#failed = e;
    this.#log.error({ err: e }, 'compaction worker failed; rooms compact on the event loop from now on');
    for (const { reject } of this.#pending.values()) reject(e);
    this.#pending.clear();
  }
}

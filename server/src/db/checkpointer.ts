import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';
import type { Logger } from '../logger.ts';
import { workerUrl } from '../worker-url.ts';

// SQLite's own default: a checkpoint once the log holds this many pages.
const AUTO_CHECKPOINT_PAGES = 1000;

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the commit that fills the log
 * checkpoints it on the spot, fsync included, which stalls every socket for several milliseconds
 * (the sync benchmark's p99). The server's connection stops checkpointing and a worker thread with
 * a connection of its own checkpoints every `intervalMs`; if that worker fails, the connection
 * goes back to checkpointing itself. `stop()` ends the worker and checkpoints what is left.
 */
export class WalCheckpointer {
  readonly #sqlite: SQLite.Database;
  readonly #worker: Worker;
  readonly #log: Logger;
  #stopped = false;

  constructor(file: string, sqlite: SQLite.Database, log: Logger, intervalMs = 1000) {
    this.#sqlite = sqlite;
    this.#log = log;
    sqlite.pragma('wal_autocheckpoint = 0');
    this.#worker = new Worker(workerUrl('checkpoint-worker', import.meta.url), { workerData: { file, intervalMs } });
    this.#worker.unref();
    this.#worker.on('message', (message: { type: string; message: string }) => {
      if (message.type === 'error') log.warn({ reason: message.message }, 'WAL checkpoint failed; retrying on the next round');
    });
    this.#worker.on('error', (e: unknown) => this.#fallBack(e));
    this.#worker.on('exit', (code) => {
      if (!this.#stopped) this.#fallBack(new Error(`checkpoint worker exited with code ${code}`));
    });
  }

  /** Stops the worker and folds the whole log into the database (one fsync, at shutdown). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    // Unreferenced while it runs (it must not keep the process alive), but waited for now: with
    // nothing else left to do, the process would otherwise end before the final checkpoint.
    this.#worker.ref();
    this.#worker.postMessage('stop');
    await exited;
    this.#sqlite.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    this.#sqlite.pragma('wal_checkpoint(TRUNCATE)');
  }

  #fallBack(e: unknown): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#log.error({ err: e }, 'WAL checkpoint worker failed; the server checkpoints on its own from now on');
    this.#sqlite.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
  }
}

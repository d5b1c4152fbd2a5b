import type { Credential } from './principal.ts';

/** A change that may end or narrow what open sockets are allowed to do. */
export type AccessEvent =
  /** One session signed out or one API token revoked: its sockets close with 4401. */
  | { type: 'credential-ended'; credential: Credential }
  /** Every session of a user ended (sign out everywhere, password reset): 4401 on all their sockets. */
  | { type: 'user-signed-out'; userId: string }
  /** A user's role changed or they left a workspace: their sockets are checked again (4410). */
  | { type: 'membership-changed'; userId: string };

/**
 * Where services announce access changes and the socket endpoint hears them, so services never
 * import socket code. Listeners run synchronously in the order they subscribed; one that throws
 * does not keep the others from hearing the event.
 */
export class AccessEvents {
  readonly #listeners = new Set<(event: AccessEvent, origin: 'local' | 'remote') => void>();

  /** Subscribes; returns the function that unsubscribes. */
  subscribe(listener: (event: AccessEvent, origin: 'local' | 'remote') => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Tells every listener; errors are collected and rethrown together after all were told.
   * `remote`: the event happened on another instance (it is not sent back out).
   */
  emit(event: AccessEvent, origin: 'local' | 'remote' = 'local'): void {
    const errors: unknown[] = [];
    for (const listener of this.#listeners) {
      try {
        listener(event, origin);
      } catch (e: unknown) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `access event ${event.type} listener failed`);
  }
}

/** The part of the fan-out that carries access changes between instances. */
interface AccessFanout {
  publishAccess(event: AccessEvent): void;
  subscribeAccess(listener: (event: AccessEvent) => void): () => void;
}

/** Sends this instance's access changes to the others, and theirs to this instance's listeners. */
export function bridgeAccessEvents(access: AccessEvents, fanout: AccessFanout): () => void {
  const stopLocal = access.subscribe((event, origin) => {
    if (origin === 'local') fanout.publishAccess(event);
  });
  const stopRemote = fanout.subscribeAccess((event) => access.emit(event, 'remote'));
  return () => {
    stopLocal();
    stopRemote();
  };
}

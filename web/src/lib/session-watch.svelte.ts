/**
 * Knows at once when this browser's session ended elsewhere: signed out in another tab (a
 * BroadcastChannel message), a socket closed with 4401 (signed out everywhere, the password reset)
 * or an API answer 401 while a page is open. The root layout shows a notice with a sign-in link that
 * comes back to the same page, instead of letting the next action fail silently.
 */
import { goto } from '$app/navigation';
import { resolve } from '$app/paths';

const CHANNEL = 'accord:session';

type SessionMessage = { type: 'signed-out' } | { type: 'signed-in' };

class SessionWatch {
  /** The session of this tab ended; the notice is up. */
  ended = $state(false);
  #channel: BroadcastChannel | null = null;

  /** Starts listening to other tabs (once, from the root layout); returns the stop. */
  start(): () => void {
    if (typeof BroadcastChannel === 'undefined') return () => undefined;
    this.#channel = new BroadcastChannel(CHANNEL);
    this.#channel.onmessage = (event: MessageEvent<SessionMessage>) => {
      if (event.data.type === 'signed-out') this.ended = true;
      // Signed in again in another tab: this one carries on with the new session.
      if (event.data.type === 'signed-in' && this.ended) location.reload();
    };
    return () => {
      this.#channel?.close();
      this.#channel = null;
    };
  }

  /** This tab learnt that the session ended (a 401 or a 4401 close). */
  report(): void {
    this.ended = true;
  }

  /** This tab signed out or in: tell the others. */
  announce(type: SessionMessage['type']): void {
    this.ended = false;
    this.#channel?.postMessage({ type } satisfies SessionMessage);
  }
}

export const sessionWatch = new SessionWatch();

/** A same-site path to come back to after signing in, or `/` (never another origin, never the sign-in page). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.startsWith('/sign-in')) return '/';
  return next;
}

/** The sign-in page's path, coming back to `next` (the current page by default). */
export function signInHref(next: string = location.pathname + location.search): string {
  const target = safeNext(next);
  return target === '/' ? resolve('/sign-in') : `${resolve('/sign-in')}?next=${encodeURIComponent(target)}`;
}

/** Goes to the sign-in page, which comes back here afterwards. */
export function goToSignIn(): Promise<void> {
  // eslint-disable-next-line svelte/no-navigation-without-resolve -- signInHref resolve()s the path and appends only a query
  return goto(signInHref(), { replaceState: true });
}

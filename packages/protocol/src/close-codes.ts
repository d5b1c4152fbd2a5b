/**
 * WebSocket close codes of the sync endpoint. 4000–4999 is the range RFC 6455 leaves to
 * applications. 44xx means "your local copy is no longer valid: discard it and reload the plan";
 * 45xx means "the server could not take it: keep your copy and reconnect later".
 */
export const CloseCode = {
  /** The server is shutting down or restarting (RFC 6455 "going away"); reconnect. */
  goingAway: 1001,
  /** A frame that is not a valid y-websocket message. */
  malformedMessage: 4400,
  /** The session ended (signed out, expired or revoked) while the socket was open. */
  sessionEnded: 4401,
  /** An update changed a section the sender's role may not write; it was not applied. */
  permissionDenied: 4403,
  /** The member's role changed or they were removed: reload to get the new permissions. */
  accessChanged: 4410,
  /** A frame larger than the server accepts (see server limits). */
  messageTooLarge: 4413,
  /** Storing an update failed; it was not applied or broadcast. Reconnect to resend it. */
  storageFailed: 4503,
  /** The socket did not read what the server sent (too much queued for it); reconnect when it can. */
  slowReader: 4508,
  /** Too many messages per second from one socket (mirrors HTTP 429); reconnect after a pause. */
  rateLimited: 4529,
} as const;
export type CloseCodeName = keyof typeof CloseCode;

/** Close codes after which the client must throw away its local document and reload. */
export function mustDiscardLocalCopy(code: number): boolean {
  return code >= 4400 && code < 4500;
}

import { ErrorCode } from '@accord/protocol';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** An expected failure with the HTTP status and code the client gets. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: ContentfulStatusCode;
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;

  constructor(status: ContentfulStatusCode, code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const unauthenticated = () => new HttpError(401, ErrorCode.unauthenticated, 'Sign in to continue.');
export const notFound = (what: string) => new HttpError(404, ErrorCode.notFound, `${what} not found.`);

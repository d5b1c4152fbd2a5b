import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The structured logger. Secrets never reach it: the fields below are redacted wherever they
 * appear, and code logs ids (request, user, plan), never tokens, cookies or document content.
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'cookie', '*.cookie', 'headers.cookie', 'authorization', '*.authorization'],
      censor: '[redacted]',
    },
  });
}

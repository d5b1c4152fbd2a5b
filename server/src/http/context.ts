import type { Logger } from '../logger.ts';
import type { SessionWithUser } from '../auth/session.service.ts';

/** Per-request values set by middleware. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    auth: SessionWithUser | undefined;
  };
}

import type { Role } from './roles.ts';

/** What each client publishes through y-websocket awareness. */
export interface PresenceState {
  user: { id: string; name: string; role: Role; color: string };
  /** The cell the user has selected: a document root and a cell key, or null. */
  cursor: { root: string; key: string } | null;
}

/** A stable colour per role, so a glance at an avatar tells the function. */
export const ROLE_COLORS: Readonly<Record<Role, string>> = {
  viewer: '#6b7280',
  commenter: '#0891b2',
  sales: '#2563eb',
  operations: '#16a34a',
  finance: '#ca8a04',
  leader: '#9333ea',
  admin: '#dc2626',
};

/** Roles a workspace member can hold, least to most privileged. One role per workspace. */
export const ROLES = ['viewer', 'commenter', 'sales', 'operations', 'finance', 'leader', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Sections of the plan document; each root type of the document belongs to exactly one. */
export const SECTIONS = ['plan', 'catalog', 'demand', 'supply', 'finance', 'consensus', 'comments', 'server'] as const;
export type Section = (typeof SECTIONS)[number];

/**
 * Which sections each role may write (DESIGN.md §3). `server` is written by the server alone and
 * appears in no role's list. Reading is allowed to every member.
 */
export const WRITABLE_SECTIONS: Readonly<Record<Role, readonly Section[]>> = {
  viewer: [],
  commenter: ['comments'],
  sales: ['demand', 'comments'],
  operations: ['catalog', 'supply', 'comments'],
  finance: ['finance', 'comments'],
  leader: ['plan', 'consensus', 'comments'],
  admin: ['plan', 'catalog', 'comments'],
};

/** Whether a member with `role` may change the document roots of `section`. */
export function canWrite(role: Role, section: Section): boolean {
  return WRITABLE_SECTIONS[role].includes(section);
}

/**
 * Whether a member with `role` may own a stage of the cycle: someone who changes plan figures or
 * runs the meeting, not a viewer or commenter (who could not act on what the stage asks for).
 */
export function mayOwnStage(role: Role): boolean {
  return WRITABLE_SECTIONS[role].some((section) => section !== 'comments');
}

/** Whether a member with `role` may change anything in the document (everyone but viewers). */
export function writesAnything(role: Role): boolean {
  return WRITABLE_SECTIONS[role].length > 0;
}

/** Type guard for a role name read from storage or the wire. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

import { describe, expect, it } from 'vitest';
import { canWrite, isRole, ROLES, SECTIONS } from './roles.ts';
import { mustDiscardLocalCopy, CloseCode } from './close-codes.ts';

describe('role → section matrix', () => {
  it('matches the design table: who writes what', () => {
    const writers = Object.fromEntries(SECTIONS.map((section) => [section, ROLES.filter((role) => canWrite(role, section))]));
    expect(writers).toEqual({
      plan: ['leader', 'admin'],
      catalog: ['operations', 'admin'],
      demand: ['sales'],
      supply: ['operations'],
      finance: ['finance'],
      consensus: ['leader'],
      comments: ['commenter', 'sales', 'operations', 'finance', 'leader', 'admin'],
      server: [],
    });
  });
  it('lets viewers write nothing', () => {
    for (const section of SECTIONS) expect(canWrite('viewer', section)).toBe(false);
  });
  it('recognises role names only', () => {
    expect(isRole('leader')).toBe(true);
    expect(isRole('owner')).toBe(false);
    expect(isRole(undefined)).toBe(false);
  });
});

describe('close codes', () => {
  it('tells the client to discard its copy only for 44xx codes', () => {
    expect(mustDiscardLocalCopy(CloseCode.permissionDenied)).toBe(true);
    expect(mustDiscardLocalCopy(CloseCode.malformedMessage)).toBe(true);
    expect(mustDiscardLocalCopy(CloseCode.storageFailed)).toBe(false);
    expect(mustDiscardLocalCopy(CloseCode.goingAway)).toBe(false);
  });
});

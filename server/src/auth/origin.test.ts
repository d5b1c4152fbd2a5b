import { describe, expect, it } from 'vitest';
import { isAllowedOrigin } from './origin.ts';

describe('same-origin check', () => {
  const host = 'plan.example.com';
  it('allows the same origin and configured origins', () => {
    expect(isAllowedOrigin({ origin: 'https://plan.example.com', host }, [])).toBe(true);
    expect(isAllowedOrigin({ origin: 'http://localhost:5173', host }, ['http://localhost:5173'])).toBe(true);
  });
  it('refuses other origins, including look-alikes and "null"', () => {
    expect(isAllowedOrigin({ origin: 'https://evil.example', host }, [])).toBe(false);
    expect(isAllowedOrigin({ origin: 'https://plan.example.com.evil.example', host }, [])).toBe(false);
    expect(isAllowedOrigin({ origin: 'null', host }, [])).toBe(false);
  });
  it('allows scripts that send neither Origin nor Sec-Fetch-Site, but not a cross-site fetch', () => {
    expect(isAllowedOrigin({ host }, [])).toBe(true);
    expect(isAllowedOrigin({ host, secFetchSite: 'cross-site' }, [])).toBe(false);
  });
});

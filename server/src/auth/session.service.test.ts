import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { testDatabase } from '../db/test-database.ts';
import { UserRepository } from '../users/user.repository.ts';
import { SessionRepository } from './session.repository.ts';
import { SESSION_LIFETIME_MS, SessionService } from './session.service.ts';
import { AccessEvents, type AccessEvent } from './access-events.ts';

describe('sessions (Lucia design)', () => {
  let db: Db;
  let now: Date;
  let service: SessionService;
  let events: AccessEvent[];
  beforeEach(async () => {
    db = await testDatabase();
    now = new Date('2026-11-01T00:00:00Z');
    events = [];
    const access = new AccessEvents();
    access.subscribe((event) => events.push(event));
    service = new SessionService(new SessionRepository(db), new UserRepository(db), access, () => now);
  });
  afterEach(() => db.destroy());

  it('issues id.secret tokens and stores only a SHA-256 of the secret', async () => {
    const { token, session } = await service.create('u1');
    const [id, secret] = token.split('.');
    expect(id).toBe(session.id);
    const row = await db.selectFrom('sessions').selectAll().where('id', '=', id!).executeTakeFirstOrThrow();
    expect(row.secret_hash).toHaveLength(32);
    expect(Buffer.from(row.secret_hash).toString('utf8')).not.toContain(secret!);
    expect((await service.validate(token))?.user.id).toBe('u1');
  });

  it('rejects a wrong secret, a malformed token and an unknown id', async () => {
    const { token } = await service.create('u1');
    const [id] = token.split('.');
    expect(await service.validate(`${id}.wrongsecretwrongsecretabc`)).toBeUndefined();
    expect(await service.validate(`${token}.extra`)).toBeUndefined();
    expect(await service.validate('nodot')).toBeUndefined();
    expect(await service.validate('unknown.secret')).toBeUndefined();
  });

  it('expires after its lifetime and slides when used in its second half', async () => {
    const { token } = await service.create('u1');
    now = new Date(now.getTime() + SESSION_LIFETIME_MS * 0.6);
    const used = await service.validate(token);
    expect(used?.renewed).toBe(true);
    expect(Date.parse(used!.session.expires_at)).toBe(now.getTime() + SESSION_LIFETIME_MS);
    now = new Date(now.getTime() + SESSION_LIFETIME_MS + 1);
    expect(await service.validate(token)).toBeUndefined();
  });

  it('signs out everywhere', async () => {
    const a = await service.create('u1');
    const b = await service.create('u1');
    expect(await service.invalidateAll('u1')).toBe(2);
    expect(await service.validate(a.token)).toBeUndefined();
    expect(await service.validate(b.token)).toBeUndefined();
    expect(events).toEqual([{ type: 'user-signed-out', userId: 'u1' }]);
  });

  it('announces a signed-out session so its open sockets close', async () => {
    const { session } = await service.create('u1');
    await service.invalidate(session.id);
    expect(await service.isActive(session.id)).toBe(false);
    expect(events).toEqual([{ type: 'credential-ended', credential: { type: 'session', id: session.id } }]);
  });
});

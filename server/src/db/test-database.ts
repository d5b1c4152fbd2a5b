import { UserRepository } from '../users/user.repository.ts';
import { migrateToLatest, openDatabase, type Db } from './database.ts';

/** For unit tests: a migrated in-memory database holding one user, `u1` (a@b.c). */
export async function testDatabase(): Promise<Db> {
  const db = openDatabase(':memory:');
  await migrateToLatest(db);
  await new UserRepository(db).insertUser({
    id: 'u1',
    email: 'a@b.c',
    name: 'A',
    password_hash: 'x',
    created_at: new Date().toISOString(),
  });
  return db;
}

import { UserRepository } from '../users/user.repository.ts';
import { migrateToLatest, openDatabase, type Db } from './database.ts';

/** For unit tests: a migrated database (in memory unless a file is given) holding one user, `u1` (a@b.c). */
export async function testDatabase(file = ':memory:'): Promise<Db> {
  const db = openDatabase(file);
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

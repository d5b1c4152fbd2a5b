import { ErrorCode } from '@accord/protocol';
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { HttpError } from '../errors.ts';
import { runningServerPid } from '../db/data-dir-lock.ts';

/**
 * Backup and restore of the SQLite file. On PostgreSQL the database's own tools do it, online and
 * consistently, for the whole database: the sentence says which.
 */
export function postgresBackupRefusal(command: 'backup' | 'restore'): HttpError {
  const how =
    command === 'backup'
      ? 'take backups with pg_dump (for example: pg_dump --format=custom --file=accord.dump "$DATABASE_URL"), which is consistent while the servers run'
      : 'restore a pg_dump backup with pg_restore (for example: pg_restore --clean --if-exists --dbname="$DATABASE_URL" accord.dump) after stopping every Accord server';
  return new HttpError(
    400,
    ErrorCode.badRequest,
    `${command} works on the SQLite file only; the store is PostgreSQL (DATABASE_URL): ${how}.`,
  );
}

/**
 * Copies the live database to `target` with SQLite's online backup API: consistent even while
 * the server writes, without stopping it. Refuses to overwrite an existing file.
 */
export async function backupDatabase(databaseFile: string, target: string): Promise<{ bytes: number }> {
  if (fs.existsSync(target)) throw new HttpError(400, ErrorCode.badRequest, `${target} exists already; choose a new file name.`);
  if (!fs.existsSync(databaseFile)) throw new HttpError(404, ErrorCode.notFound, `No database at ${databaseFile}; check DATA_DIR.`);
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const source = new SQLite(databaseFile, { readonly: true, fileMustExist: true });
  try {
    await source.backup(target);
  } finally {
    source.close();
  }
  return { bytes: fs.statSync(target).size };
}

/**
 * Replaces the database with a backup, after checking it. Refused while a server uses the data
 * directory (it would keep the old file open). The current database is kept beside it as `accord.sqlite.before-restore-<time>`.
 */
export function restoreDatabase(databaseFile: string, backupFile: string, now: Date = new Date()): { keptAs: string | undefined } {
  if (!fs.existsSync(backupFile)) throw new HttpError(404, ErrorCode.notFound, `No backup at ${backupFile}.`);
  let problem: string | undefined;
  try {
    const check = new SQLite(backupFile, { readonly: true, fileMustExist: true });
    try {
      const integrity = check.pragma('integrity_check', { simple: true });
      const isAccord = check.prepare("select name from sqlite_master where type = 'table' and name = 'document_updates'").all().length > 0;
      if (integrity !== 'ok') problem = `fails SQLite's integrity check (${String(integrity)})`;
      else if (!isAccord) problem = 'is not an Accord database';
    } finally {
      check.close();
    }
  } catch (e: unknown) {
    problem = `is not a readable SQLite database (${e instanceof Error ? e.message : String(e)})`;
  }
  if (problem) throw new HttpError(400, ErrorCode.badRequest, `${backupFile} ${problem}.`);
  const running = runningServerPid(path.dirname(databaseFile));
  if (running)
    throw new HttpError(409, ErrorCode.conflict, `An Accord server (pid ${running}) is using this database; stop it before restoring.`);
  let keptAs: string | undefined;
  if (fs.existsSync(databaseFile)) {
    keptAs = `${databaseFile}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
    // The WAL of a crashed server holds committed transactions: it moves with its database.
    for (const suffix of ['', '-wal', '-shm'])
      if (fs.existsSync(databaseFile + suffix)) fs.renameSync(databaseFile + suffix, keptAs + suffix);
  }
  fs.copyFileSync(backupFile, databaseFile);
  return { keptAs };
}

import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.ts';

const LOCK_FILE = 'accord.pid';

/** The pid of a live Accord server using this data directory, if any. */
export function runningServerPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, LOCK_FILE);
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (e: unknown) {
    // EPERM: the process exists but belongs to someone else, so it is alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/**
 * Claims the data directory for this process, so two servers never write one database (each
 * would keep its own copy of open plans in memory). A lock left by a crashed server is taken over.
 * Returns the release function.
 */
export function lockDataDir(dataDir: string): () => void {
  const other = runningServerPid(dataDir);
  if (other) throw new ConfigError(`Another Accord server (pid ${other}) is using ${dataDir}; stop it or choose another DATA_DIR.`);
  const file = path.join(dataDir, LOCK_FILE);
  fs.writeFileSync(file, `${process.pid}\n`);
  return () => {
    try {
      if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file);
    } catch {
      // Already gone: nothing to release.
    }
  };
}

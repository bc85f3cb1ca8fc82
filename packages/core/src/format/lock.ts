import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { LockedError } from "../errors.js";

export const LOCK_FILE = "LOCK";

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the directory's writer lock (a LOCK file created exclusively) and returns its
 * release function. A lock left by a process that no longer runs on this host is
 * stale and is taken over; a live holder raises LockedError.
 */
export function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const me: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder: LockInfo | undefined;
      try {
        holder = JSON.parse(readFileSync(path, "utf8")) as LockInfo;
      } catch {
        holder = undefined; // Empty or torn: its writer died between create and write.
      }
      const stale = !holder || (holder.host === me.host && !alive(holder.pid));
      if (!stale) {
        throw new LockedError(
          `${dir} is being written by process ${holder!.pid} on ${holder!.host} since ${holder!.since}. ` +
            `Only one writer may save to an index directory at a time; wait for it to finish. If that process is gone, delete ${path}.`,
        );
      }
      rmSync(path, { force: true });
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me));
    } finally {
      closeSync(fd);
    }
    return () => rmSync(path, { force: true });
  }
  throw new LockedError(`Could not take the writer lock ${path} after 3 attempts (another writer keeps taking it); retry later.`);
}

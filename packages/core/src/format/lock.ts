import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { LockedError } from "../errors.js";

export const LOCK_FILE = "LOCK";
/** A lock file that cannot be read is taken for a writer still starting up until it is this old. */
const UNREADABLE_GRACE_MS = 10_000;

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  token: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(path: string): { info?: LockInfo; raw?: string } {
  try {
    const raw = readFileSync(path, "utf8");
    try {
      const info = JSON.parse(raw) as LockInfo;
      return typeof info?.pid === "number" && typeof info.host === "string" ? { info, raw } : { raw };
    } catch {
      return { raw };
    }
  } catch {
    return {};
  }
}

/**
 * Takes the directory's writer lock and returns its release function.
 *
 * The LOCK file appears complete in one step (written under a temporary name, then
 * hard-linked: link fails if LOCK exists). A lock whose process no longer runs on this
 * host is stale: it is moved aside by rename (only one contender can win that), and the
 * winner checks it moved the stale lock and not a fresh one. Release removes LOCK only
 * if it still holds this writer's token. A live holder raises LockedError.
 */
export function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const me: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token: randomBytes(8).toString("hex") };
  const tmp = `${path}.${me.token}.tmp`;
  const fd = openSync(tmp, "wx");
  try {
    writeSync(fd, JSON.stringify(me));
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(tmp, path);
        return () => {
          if (readLock(path).info?.token === me.token) rmSync(path, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const { info, raw } = readLock(path);
      let stale: boolean;
      if (info) stale = info.host === me.host && !alive(info.pid);
      else {
        let age = 0;
        try {
          age = Date.now() - statSync(path).mtimeMs;
        } catch {
          continue; // Gone meanwhile: try again.
        }
        stale = age > UNREADABLE_GRACE_MS;
      }
      if (!stale) {
        const who = info ? `process ${info.pid} on ${info.host} since ${info.since}` : "another process";
        throw new LockedError(
          `${dir} is being written by ${who}. Only one writer may save to an index directory at a time; wait for it to finish. If that process is gone, delete ${path}.`,
        );
      }
      const aside = `${path}.stale-${me.token}-${attempt}`;
      try {
        renameSync(path, aside);
      } catch {
        continue; // Another contender moved it first.
      }
      const moved = readLock(aside);
      if (moved.raw !== raw) {
        // We moved a fresh lock someone took meanwhile: put it back (unless yet another exists).
        try {
          linkSync(aside, path);
        } catch {
          // A third contender's lock is in place already: the writer whose lock we moved
          // keeps writing unlocked. This needs three writers racing within microseconds.
        }
      }
      rmSync(aside, { force: true });
    }
    throw new LockedError(`Could not take the writer lock ${path} after 5 attempts (other writers keep taking it); retry later.`);
  } finally {
    rmSync(tmp, { force: true });
  }
}

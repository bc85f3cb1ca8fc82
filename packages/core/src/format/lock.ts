import { closeSync, linkSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { InvalidOptionsError, LeannError, LockedError, StorageError } from "../errors.js";
import { removeAtomicTemps } from "./atomic.js";

/** The index directory's writer lock. */
export const LOCK_FILE = "LOCK";
/** A lock file that cannot be read is taken for a holder still starting up until it is this old. */
const UNREADABLE_GRACE_MS = 10_000;
/** Lock-taking leftovers of lock `file`: `<file>.<pid>-<hex>.tmp` and `<file>.stale-<pid>-<hex>-<attempt>`. */
const lockTemp = (file: string) => new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(?:stale-)?(\\d+)-([0-9a-f]{16})(?:\\.tmp|-\\d+)$`);
/** Lock file names: one plain name in the directory (no path, not hidden). */
const LOCK_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  token: string;
  /** Boot id and start time of the process, where the platform tells them (Linux). */
  start?: string;
}

/**
 * Tokens of the locks this process holds or is taking, shared by every copy of this
 * library loaded in the process: a LOCK that names this process's pid but a token not
 * in here was left by an earlier process that had the same pid (PID 1 of a restarted
 * container), so it is stale although the pid is alive.
 */
const HELD: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for("leann.lock.tokens")] ??= new Set<string>()) as Set<string>;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

let bootId: string | null | undefined;
/**
 * "<boot id>:<start time in clock ticks>" of a process, or undefined off Linux: together
 * they tell a process apart from a later one that reuses its pid.
 */
export function processStart(pid: number): string | undefined {
  try {
    bootId ??= readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    bootId = null;
  }
  if (!bootId) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces and parentheses); starttime is field 22.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const start = fields[19];
    return start ? `${bootId}:${start}` : undefined;
  } catch {
    return undefined;
  }
}

/** True when the process that wrote `info` on this host has ended. */
function ownerGone(info: { pid: number; token?: string; start?: string }): boolean {
  if (info.pid === process.pid) return !info.token || !HELD.has(info.token);
  if (!alive(info.pid)) return true;
  if (!info.start) return false;
  const now = processStart(info.pid);
  return now !== undefined && now !== info.start;
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

function ageMs(path: string): number | undefined {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Deletes what lock-taking left behind: temporary lock files and stale locks moved aside
 * whose process has ended (their names carry the pid and token), or that are older than
 * any live contender keeps one (they exist for microseconds).
 */
function removeLockTemps(dir: string, file: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const temp = lockTemp(file);
  for (const name of names) {
    const m = temp.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    const pid = Number(m[1]), token = `${m[1]}-${m[2]}`;
    if (ownerGone({ pid, token }) || (ageMs(path) ?? 0) > UNREADABLE_GRACE_MS) rmSync(path, { force: true });
  }
}

function io<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (LeannError.isInstance(err)) throw err;
    throw new StorageError(path, "take the writer lock", err);
  }
}

/**
 * Takes the lock `file` of `dir` (by default LOCK, the directory's writer lock) and returns
 * its release function. Other lock files (e.g. the CLI's `watch.lock`, one watcher per
 * index) work the same way and independently of LOCK.
 *
 * The lock file appears complete in one step (written under a temporary name, then
 * hard-linked: link fails if it exists). A lock whose process no longer runs on this
 * host is stale (a process is told from a later one with the same pid by its start time,
 * and this process knows the tokens it holds, so a lock naming this very pid, as PID 1 of
 * a restarted container does, is recovered): it is moved aside by rename (only one
 * contender can win that), and the winner checks it moved the stale lock and not a fresh
 * one. Once held, leftovers of killed contenders are removed (and, for the writer lock,
 * the temporary data files of killed writers). Release removes the file only if it still
 * holds this holder's token.
 * @throws LockedError when a live process holds the lock (`holder` says which)
 * @throws StorageError when the lock file cannot be written (read-only, full, no permission)
 * @throws InvalidOptionsError when `file` is not a plain file name
 */
export function acquireLock(dir: string, file: string = LOCK_FILE): () => void {
  if (typeof file !== "string" || !LOCK_NAME.test(file)) {
    throw new InvalidOptionsError(`acquireLock: the lock file name must be a plain file name (letters, digits, ".", "_", "-"; at most 64), received ${JSON.stringify(file)}.`);
  }
  const path = join(dir, file);
  const token = `${process.pid}-${randomBytes(8).toString("hex")}`;
  const me: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), token };
  const start = processStart(process.pid);
  if (start) me.start = start;
  const tmp = `${path}.${token}.tmp`;
  HELD.add(token);
  let held = false;
  try {
    const body = Buffer.from(JSON.stringify(me));
    const fd = io(path, () => openSync(tmp, "wx", 0o644));
    try {
      let off = 0;
      while (off < body.length) off += io(path, () => writeSync(fd, body, off, body.length - off));
    } finally {
      closeSync(fd);
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(tmp, path);
        held = true;
        removeLockTemps(dir, file);
        // Only the writer lock's holder writes data files: another lock's holder must leave
        // the temporaries of a writer saving meanwhile alone.
        if (file === LOCK_FILE) removeAtomicTemps(dir);
        return () => {
          HELD.delete(token);
          if (readLock(path).info?.token === token) rmSync(path, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw new StorageError(path, "take the writer lock", err);
      }
      const { info, raw } = readLock(path);
      let stale: boolean;
      if (info) stale = info.host === me.host && ownerGone(info);
      else {
        const age = ageMs(path);
        if (age === undefined) continue; // Gone meanwhile: try again.
        stale = age > UNREADABLE_GRACE_MS;
      }
      if (!stale) {
        const who = info ? `process ${info.pid} on ${info.host} since ${info.since}` : "another process";
        const holder = info ? { pid: info.pid, host: info.host, since: info.since } : undefined;
        throw new LockedError(
          file === LOCK_FILE
            ? `${dir} is being written by ${who}. Only one writer may save to an index directory at a time; wait for it to finish. If that process is gone, delete ${path}.`
            : `${path} is held by ${who}; wait for it to end. If that process is gone, delete ${path}.`,
          holder,
        );
      }
      const aside = `${path}.stale-${token}-${attempt}`;
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
    throw new LockedError(`Could not take the lock ${path} after 5 attempts (other processes keep taking it); retry later.`);
  } finally {
    if (!held) HELD.delete(token);
    rmSync(tmp, { force: true });
  }
}

import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { StorageError } from "../errors.js";
import { acquireLock } from "../format/lock.js";

/** Writer locks this process holds, by absolute directory, with how many holders share each. */
const held = new Map<string, { holders: number; release: () => void }>();

/**
 * Takes the writer lock of `dir` (creating the directory) and returns its release
 * function, which is idempotent. Re-entrant within this process: a save inside
 * `withWriterLock` or by an index loaded with `{ lock: true }` shares the lock already
 * held instead of failing on it; the LOCK file goes when the last holder releases.
 * @throws LockedError when another process holds the lock
 * @throws StorageError when the directory cannot be created
 */
export function holdWriterLock(dir: string): () => void {
  const abs = resolve(dir);
  let entry = held.get(abs);
  if (entry) entry.holders++;
  else {
    try {
      mkdirSync(abs, { recursive: true });
    } catch (err) {
      throw new StorageError(abs, "create the index directory", err);
    }
    entry = { holders: 1, release: acquireLock(abs) };
    held.set(abs, entry);
  }
  const e = entry;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--e.holders === 0) {
      held.delete(abs);
      e.release();
    }
  };
}

/**
 * Holds the writer lock of the index directory `dir` while `fn` runs, so that a whole
 * command (load -> change -> save, or a build that replaces the index) is one writer's:
 * another process that tries to save to `dir` meanwhile gets LockedError instead of
 * overwriting or being overwritten. Saves to `dir` inside `fn` share this lock.
 * @throws LockedError when another process holds the lock (fn does not run)
 */
export async function withWriterLock<T>(dir: string, fn: () => Promise<T> | T): Promise<T> {
  const release = holdWriterLock(dir);
  try {
    return await fn();
  } finally {
    release();
  }
}

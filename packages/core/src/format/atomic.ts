import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { LeannError, StorageError } from "../errors.js";

/** fsyncs a directory so a rename inside it survives a power cut (no-op where unsupported). */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some platforms cannot open or fsync directories; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Names of writeFileAtomic's temporary files: `<target>.tmp-<pid>-<8 hex>`. */
export const ATOMIC_TEMP = /\.tmp-\d+-[0-9a-f]{8}$/;

/** Runs a file-system call; a failure becomes a StorageError naming the path and keeping the Node error. */
function io<T>(path: string, operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (LeannError.isInstance(err)) throw err;
    throw new StorageError(path, operation, err);
  }
}

/**
 * Writes `chunks` to `path` atomically: a temporary file in the same directory,
 * fsync, rename over the target, fsync the directory. Readers see the old file or
 * the new one, never a mix. Chunks may be produced lazily (a generator), so a large
 * file streams through a bounded buffer. On any failure the temporary file is removed
 * and the target is untouched; a kill leaves at most a temporary file, which
 * `removeAtomicTemps` (run when the writer lock is taken) deletes.
 *
 * The temporary name is random and created exclusively (O_EXCL), so a planted file or
 * symlink under that name is never followed or overwritten.
 * @throws StorageError when the file system refuses (ENOSPC, EROFS, EACCES, ...); errors
 *   thrown by the chunk producer pass through unchanged
 */
export function writeFileAtomic(path: string, chunks: Iterable<Uint8Array>): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const fd = io(path, "create a temporary file for", () => openSync(tmp, "wx", 0o644));
  let open = true;
  try {
    for (const c of chunks) {
      let off = 0;
      while (off < c.byteLength) off += io(path, "write", () => writeSync(fd, c, off, c.byteLength - off));
    }
    io(path, "flush", () => fsyncSync(fd));
    open = false;
    io(path, "close", () => closeSync(fd));
    io(path, "replace", () => renameSync(tmp, path));
  } catch (err) {
    if (open) {
      try {
        closeSync(fd);
      } catch {
        // The write error is the one to report.
      }
    }
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dirname(path));
}

/**
 * Deletes temporary files of atomic writes left in `dir` by a killed writer (or one whose
 * cleanup failed). Only the holder of the directory's writer lock writes there, so while
 * that lock is held every such file is garbage. Returns the names removed.
 */
export function removeAtomicTemps(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!ATOMIC_TEMP.test(name)) continue;
    try {
      rmSync(join(dir, basename(name)), { force: true });
      removed.push(name);
    } catch {
      // Best effort: the next lock tries again.
    }
  }
  return removed;
}

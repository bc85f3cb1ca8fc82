import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import { CorruptIndexError, LeannError, StorageError } from "../errors.js";

/**
 * Bounded reads of index files. Only regular files are read: a FIFO would block the process
 * forever and a device such as /dev/zero never ends, so the file is opened without blocking
 * and checked with fstat before the first read. Every read is bounded by the size fstat
 * reported, whatever the file does afterwards.
 */

/** Opening never blocks on a FIFO; on regular files the flag has no effect. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/** Largest file read whole into memory: the limit of a Node Buffer read by readFileSync. */
export const MAX_WHOLE_FILE = 2 ** 31 - 1;

function kind(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  return st.isDirectory() ? "a directory" : st.isFIFO() ? "a FIFO" : st.isCharacterDevice() ? "a character device" : st.isBlockDevice() ? "a block device" : st.isSocket() ? "a socket" : "not a regular file";
}

/**
 * Opens `path` for reading if it is a regular file and returns its descriptor and size.
 * @throws CorruptIndexError when the file is missing or not a regular file
 * @throws StorageError when it exists but cannot be opened (EACCES, EIO, ...)
 */
export function openRegularFile(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new CorruptIndexError(path, "is missing; the index is incomplete. Restore it or rebuild the index.", { cause: err });
    }
    throw new StorageError(path, "open", err);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new CorruptIndexError(path, `is ${kind(st)}; index files are regular files, and nothing else is read. Restore the file or rebuild the index.`);
    }
    return { fd, size: st.size };
  } catch (err) {
    closeSync(fd);
    if (LeannError.isInstance(err)) throw err;
    throw new StorageError(path, "inspect", err);
  }
}

/** Reads up to `length` bytes at `position`; shorter only when the file ended (was truncated). */
export function readAt(fd: number, length: number, position: number, path: string): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  try {
    while (got < length) {
      const r = readSync(fd, buf, got, length - got, position + got);
      if (r === 0) break;
      got += r;
    }
  } catch (err) {
    throw new StorageError(path, "read", err);
  }
  return got === length ? buf : buf.subarray(0, got);
}

/**
 * Reads a whole regular file of at most `maxBytes`.
 * @throws CorruptIndexError when it is missing, not a regular file, larger than `maxBytes`
 *   or shorter than fstat said (truncated while read)
 * @throws StorageError when the file system refuses the read
 */
export function readRegularFile(path: string, maxBytes = MAX_WHOLE_FILE): Buffer {
  const { fd, size } = openRegularFile(path);
  try {
    if (size > maxBytes) throw new CorruptIndexError(path, `is ${size} bytes, more than the ${maxBytes} this file may hold. Restore the file or rebuild the index.`);
    const buf = readAt(fd, size, 0, path);
    if (buf.length !== size) throw new CorruptIndexError(path, `ended after ${buf.length} of ${size} bytes while being read (truncated meanwhile).`);
    return buf;
  } finally {
    closeSync(fd);
  }
}

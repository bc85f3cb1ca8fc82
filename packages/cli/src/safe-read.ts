/**
 * Reading files the CLI did not write (sources to index, ignore files) without being
 * stalled, flooded or redirected by them: only regular files are read, a FIFO or a device
 * is refused instead of blocking or streaming forever, every read is bounded, and a file
 * swapped for another between the scan and the read is refused.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { open } from "node:fs/promises";
import { CliError, EXIT } from "./exit-codes.js";

/**
 * O_NONBLOCK: opening a FIFO for reading blocks until a writer appears, and nothing
 * would ever write; with it the open returns at once and fstat tells what it is.
 * It changes nothing for regular files. O_NOCTTY: a terminal device never becomes ours.
 */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** The identity of a file as scanned: the read must find the same file there. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/** What a non-regular file is, for messages. */
export function fileType(st: Stats): string {
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isDirectory()) return "a folder";
  if (st.isSymbolicLink()) return "a symbolic link";
  return st.isFile() ? "a regular file" : "of an unknown type";
}

function check(path: string, st: Stats, maxBytes: number, expect: FileIdentity | undefined): void {
  if (!st.isFile()) throw new CliError(EXIT.FAILED, "NOT_A_FILE", `${path} is ${fileType(st)}, not a regular file; only regular files are read.`);
  if (expect && (st.dev !== expect.dev || st.ino !== expect.ino)) {
    throw new CliError(EXIT.FAILED, "FILE_CHANGED", `${path} was replaced by another file after it was scanned; it is left out.`, "Run the command again once the folder is stable.");
  }
  if (st.size > maxBytes) throw new CliError(EXIT.FAILED, "FILE_TOO_LARGE", `${path} holds ${st.size} bytes, more than the ${maxBytes} read.`);
}

/**
 * Reads at most `maxBytes` (or only the first `limit` bytes) of a regular file.
 * @throws CliError NOT_A_FILE for FIFOs, sockets, devices and folders
 * @throws CliError FILE_CHANGED when `expect` is given and the path now names another file
 * @throws CliError FILE_TOO_LARGE when the file is larger than `maxBytes` (unless `limit` is given)
 * @throws NodeJS.ErrnoException when the file cannot be opened or read (EACCES, ENOENT, EIO)
 */
export async function readRegularFile(path: string, options: { maxBytes: number; limit?: number; expect?: FileIdentity | undefined }): Promise<Buffer> {
  const fh = await open(path, READ_FLAGS);
  try {
    const st = await fh.stat();
    check(path, st, options.limit === undefined ? options.maxBytes : Number.POSITIVE_INFINITY, options.expect);
    // The size fstat gave bounds the read: a file that grows meanwhile is read as it was.
    const buf = Buffer.alloc(options.limit === undefined ? st.size : Math.min(options.limit, st.size));
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

/**
 * Reads a regular file of at most `maxBytes` synchronously (ignore files, leann.json).
 * @throws as {@link readRegularFile}
 */
export function readRegularFileSync(path: string, maxBytes: number): Buffer {
  const fd = openSync(path, READ_FLAGS);
  try {
    const st = fstatSync(fd);
    check(path, st, maxBytes, undefined);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

import { existsSync } from "node:fs";
import { join } from "node:path";
import { CorruptIndexError } from "../errors.js";
import { writeFileAtomic } from "./atomic.js";
import { readRegularFile } from "./read.js";

/** The CURRENT file: which generation of the index is live. */
export interface CurrentFile {
  format: "leann";
  version: number;
  generation: number;
  index: string;
  passages: string;
}

export const CURRENT_FILE = "CURRENT";
/**
 * Highest generation number: one save a second for 136 years. Far below 2^53, so the next
 * generation is always an exact integer, and a CURRENT claiming more is damage.
 */
export const MAX_GENERATION = 2 ** 32 - 1;
/** CURRENT is a few dozen bytes; anything larger is not one. */
const MAX_CURRENT_BYTES = 4096;
const FILE_NAME = /^(index|passages)\.(\d{1,10})\.leann$/;

/**
 * Reads and validates CURRENT; null when the directory has none.
 * @throws CorruptIndexError when it is not a regular file, too large, not JSON, names
 *   files outside the directory, or holds a generation outside 1..MAX_GENERATION
 * @throws StorageError when the file system refuses the read
 */
export function readCurrent(dir: string): CurrentFile | null {
  const path = join(dir, CURRENT_FILE);
  if (!existsSync(path)) return null;
  const buf = readRegularFile(path, MAX_CURRENT_BYTES);
  let cur: CurrentFile;
  try {
    cur = JSON.parse(buf.toString("utf8")) as CurrentFile;
  } catch {
    throw new CorruptIndexError(path, "is not valid JSON. It names the index generation to open; restore it or rebuild the index.");
  }
  const named = (f: unknown) => {
    const m = typeof f === "string" ? FILE_NAME.exec(f) : null;
    return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= cur.generation;
  };
  if (typeof cur !== "object" || cur === null || cur.format !== "leann") {
    throw new CorruptIndexError(path, "does not name a valid index generation; restore it or rebuild the index.");
  }
  if (cur.version !== 1) throw new CorruptIndexError(path, `has version ${cur.version}; this library reads version 1. Upgrade @leann/core.`);
  if (!Number.isSafeInteger(cur.generation) || cur.generation < 1 || cur.generation > MAX_GENERATION) {
    throw new CorruptIndexError(path, `holds generation ${cur.generation}; generations run from 1 to ${MAX_GENERATION}. Restore it or rebuild the index.`);
  }
  if (!named(cur.index) || !named(cur.passages) || !cur.index.startsWith("index.") || !cur.passages.startsWith("passages.")) {
    throw new CorruptIndexError(path, "does not name valid index and passage files of its generation; restore it or rebuild the index.");
  }
  return cur;
}

/**
 * The generation a save after `prev` writes.
 * @throws CorruptIndexError when `prev` is already the last generation (only a damaged CURRENT can say so)
 */
export function nextGeneration(dir: string, prev: CurrentFile | null): number {
  const gen = (prev?.generation ?? 0) + 1;
  if (gen > MAX_GENERATION) throw new CorruptIndexError(join(dir, CURRENT_FILE), `holds generation ${prev?.generation}, the last one; restore it or rebuild the index.`);
  return gen;
}

/** Switches the live generation atomically. @throws StorageError when the file system refuses */
export function writeCurrent(dir: string, cur: CurrentFile): void {
  writeFileAtomic(join(dir, CURRENT_FILE), [Buffer.from(JSON.stringify(cur, null, 2) + "\n")]);
}

/**
 * Where indexes live and what the CLI records beside each one.
 *
 * Layout of `<home>/<name>/`:
 *   CURRENT, index.N.leann, passages.N.leann   the @leann/core index (see its format doc)
 *   leann.json                                 this file's IndexMeta: model, chunking, source files
 *   .partial/                                  an unfinished build's checkpoint (build.ts)
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { CliError, EXIT, usage } from "./exit-codes.js";
import { readRegularFileSync } from "./safe-read.js";

export const META_FILE = "leann.json";
export const PARTIAL_DIR = ".partial";
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** leann.json is read whole; a record of a million files stays far below this. */
const MAX_META_BYTES = 256 * 1024 * 1024;

/** The index home: --home, else $LEANN_HOME, else ~/.leann/indexes. */
export function indexHome(flag: string | undefined, env: Record<string, string | undefined>, cwd: string): string {
  if (flag) return resolve(cwd, flag);
  if (env.LEANN_HOME) return resolve(cwd, env.LEANN_HOME);
  return join(env.HOME || homedir(), ".leann", "indexes");
}

/** @throws CliError (usage) for names that are not safe folder names */
export function checkName(name: string | undefined, command: string): string {
  if (name === undefined) throw usage(`leann ${command}: the index NAME is missing.`, `Usage: leann ${command} NAME ...; see leann ${command} --help.`);
  if (!NAME.test(name) || name === "." || name === "..") {
    throw usage(`Index name ${JSON.stringify(name)} is not allowed: use 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit.`);
  }
  return name;
}

export interface FileEntry {
  mtimeMs: number;
  size: number;
  /** Chunks indexed from the file; their ids are `${path}#${i}`. */
  chunks: number;
  /** UTF-8 bytes of the text extracted from the file. */
  textBytes: number;
  /** Chunks `leann delete --id` removed while the rest of the file stays indexed. */
  dropped?: number[];
}

export interface IndexMeta {
  format: "leann-cli";
  version: 1;
  name: string;
  /** What --model named (a hub id or an absolute folder): used again by search, add and ask. */
  model: string;
  /** The identity the model reported and the index recorded. */
  modelId: string;
  dimensions: number;
  chunkTokens: number;
  overlapTokens: number;
  /** The input paths of the build (absolute): what `leann add NAME` rescans by default. */
  sources: string[];
  /** Indexed files by absolute path. */
  files: Record<string, FileEntry>;
  passages: number;
  /** The --budget the user gave, kept by a --force rebuild; absent when the default was used (it scales with the passages). */
  budget?: number | string;
  createdAt: string;
  updatedAt: string;
}

export const chunkId = (path: string, i: number) => `${path}#${i}`;

export function indexDir(home: string, name: string): string {
  return join(home, name);
}

export function hasIndex(dir: string): boolean {
  return existsSync(join(dir, "CURRENT"));
}

/**
 * Reads the CLI's record of an index.
 * @throws CliError NOT_FOUND when there is no index of that name
 * @throws CliError FAILED when leann.json is unreadable
 */
export function readMeta(home: string, name: string): IndexMeta {
  const dir = indexDir(home, name);
  if (!hasIndex(dir)) {
    const partial = existsSync(join(dir, PARTIAL_DIR));
    throw new CliError(
      EXIT.NOT_FOUND,
      "INDEX_NOT_FOUND",
      partial ? `Index "${name}" is not finished: its build was interrupted.` : `No index named "${name}" in ${home}.`,
      partial ? `Run the same \`leann build ${name} ...\` again to resume it.` : "See `leann list` for the indexes there, or build one with `leann build NAME PATHS...`.",
    );
  }
  const p = join(dir, META_FILE);
  let meta: IndexMeta;
  try {
    meta = JSON.parse(readRegularFileSync(p, MAX_META_BYTES).toString("utf8")) as IndexMeta;
  } catch (err) {
    throw new CliError(EXIT.FAILED, "CORRUPT_INDEX", `${p} cannot be read (${(err as Error).message}).`, `Rebuild the index with \`leann build ${name} --force PATHS...\`.`);
  }
  if (meta?.format !== "leann-cli" || meta.version !== 1 || typeof meta.model !== "string" || typeof meta.files !== "object") {
    throw new CliError(EXIT.FAILED, "CORRUPT_INDEX", `${p} is not a leann CLI record (format ${JSON.stringify(meta?.format)}, version ${JSON.stringify(meta?.version)}).`);
  }
  return meta;
}

/**
 * Opening flags of a temporary file: created here and now (O_EXCL fails on anything
 * already at the name, a planted symbolic link included, and O_NOFOLLOW refuses one
 * outright), so the write can never land elsewhere.
 */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a folder; the rename is atomic all the same.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes leann.json atomically and durably: a temporary file with an unpredictable name,
 * created exclusively, written and fsynced, then renamed over leann.json (a rename
 * replaces a link at the target instead of following it), then the folder fsynced.
 * @throws NodeJS.ErrnoException when the folder cannot be written (the old leann.json stays)
 */
export function writeMeta(dir: string, meta: IndexMeta): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${META_FILE}.tmp-${randomBytes(12).toString("hex")}`);
  const data = Buffer.from(JSON.stringify(meta, null, 2) + "\n");
  const fd = openSync(tmp, CREATE_NEW, 0o644);
  try {
    for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, join(dir, META_FILE));
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

/**
 * Bytes of every file under `path`, without following symbolic links (a link counts its
 * own size): a link loop or a link to a huge tree cannot stall or inflate the count.
 * Entries that vanish or cannot be read count nothing.
 */
export function bytesIn(path: string): number {
  let total = 0;
  const stack = [path];
  while (stack.length > 0) {
    const p = stack.pop()!;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (!st.isDirectory()) {
      total += st.size;
      continue;
    }
    try {
      for (const f of readdirSync(p)) stack.push(join(p, f));
    } catch {
      // an unreadable folder counts nothing
    }
  }
  return total;
}

export interface ListedIndex {
  name: string;
  state: "ready" | "partial";
  passages: number | null;
  files: number | null;
  model: string | null;
  bytes: number;
  updatedAt: string | null;
}

/**
 * The indexes under `home`, by name; folders that are not indexes are left out, and so
 * is any entry that cannot be examined (a link loop, a folder without permission),
 * reported through `warn` instead of failing the whole list.
 */
export function listIndexes(home: string, warn: (message: string) => void = () => {}): ListedIndex[] {
  if (!existsSync(home)) return [];
  const out: ListedIndex[] = [];
  for (const name of readdirSync(home).sort()) {
    const dir = join(home, name);
    if (!NAME.test(name)) continue;
    try {
      const listed = listOne(home, name, dir);
      if (listed) out.push(listed);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      warn(`leann: skipped ${dir}: ${e.code === "ELOOP" ? "a symbolic link loop" : (e.code ?? e.message ?? String(err))}.`);
    }
  }
  return out;
}

function listOne(home: string, name: string, dir: string): ListedIndex | undefined {
  if (!statSync(dir).isDirectory()) return undefined;
  if (hasIndex(dir)) {
    let meta: IndexMeta | undefined;
    try {
      meta = readMeta(home, name);
    } catch {
      meta = undefined;
    }
    return {
      name,
      state: "ready",
      passages: meta?.passages ?? null,
      files: meta ? Object.keys(meta.files).length : null,
      model: meta?.modelId ?? null,
      bytes: bytesIn(dir),
      updatedAt: meta?.updatedAt ?? null,
    };
  }
  if (existsSync(join(dir, PARTIAL_DIR))) return { name, state: "partial", passages: null, files: null, model: null, bytes: bytesIn(dir), updatedAt: null };
  return undefined;
}

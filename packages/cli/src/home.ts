/**
 * Where indexes live and what the CLI records beside each one.
 *
 * Layout of `<home>/<name>/`:
 *   CURRENT, index.N.leann, passages.N.leann   the @leann/core index (see its format doc)
 *   leann.json                                 this file's IndexMeta: model, chunking, source files
 *   .partial/                                  an unfinished build's checkpoint (build.ts)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { CliError, EXIT, usage } from "./exit-codes.js";

export const META_FILE = "leann.json";
export const PARTIAL_DIR = ".partial";
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

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
    meta = JSON.parse(readFileSync(p, "utf8")) as IndexMeta;
  } catch (err) {
    throw new CliError(EXIT.FAILED, "CORRUPT_INDEX", `${p} cannot be read (${(err as Error).message}).`, `Rebuild the index with \`leann build ${name} --force PATHS...\`.`);
  }
  if (meta?.format !== "leann-cli" || meta.version !== 1 || typeof meta.model !== "string" || typeof meta.files !== "object") {
    throw new CliError(EXIT.FAILED, "CORRUPT_INDEX", `${p} is not a leann CLI record (format ${JSON.stringify(meta?.format)}, version ${JSON.stringify(meta?.version)}).`);
  }
  return meta;
}

/** Writes leann.json atomically (temporary file, then rename). */
export function writeMeta(dir: string, meta: IndexMeta): void {
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `${META_FILE}.tmp-${process.pid}`);
  writeFileSync(tmp, JSON.stringify(meta, null, 2) + "\n");
  renameSync(tmp, join(dir, META_FILE));
}

/** Bytes of every file under `path`. */
export function bytesIn(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, f) => sum + bytesIn(join(path, f)), 0);
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

/** The indexes under `home`, by name; folders that are not indexes are left out. */
export function listIndexes(home: string): ListedIndex[] {
  if (!existsSync(home)) return [];
  const out: ListedIndex[] = [];
  for (const name of readdirSync(home).sort()) {
    const dir = join(home, name);
    if (!NAME.test(name) || !statSync(dir).isDirectory()) continue;
    if (hasIndex(dir)) {
      let meta: IndexMeta | undefined;
      try {
        meta = readMeta(home, name);
      } catch {
        meta = undefined;
      }
      out.push({
        name,
        state: "ready",
        passages: meta?.passages ?? null,
        files: meta ? Object.keys(meta.files).length : null,
        model: meta?.modelId ?? null,
        bytes: bytesIn(dir),
        updatedAt: meta?.updatedAt ?? null,
      });
    } else if (existsSync(join(dir, PARTIAL_DIR))) {
      out.push({ name, state: "partial", passages: null, files: null, model: null, bytes: bytesIn(dir), updatedAt: null });
    }
  }
  return out;
}

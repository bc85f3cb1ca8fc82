import { readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConcurrentWriteError } from "../errors.js";
import { writeFileAtomic } from "../format/atomic.js";
import { CURRENT_FILE, nextGeneration, readCurrent, writeCurrent, type CurrentFile } from "../format/current.js";
import type { IndexState } from "../state.js";
import { FilePassageStore, writePassageFile } from "../store/passages.js";
import { compact } from "../update/compact.js";
import { keywordBytes } from "../update/keywords.js";
import { encodeCore } from "./codec.js";
import { holdWriterLock } from "./writer-lock.js";

/** The pointer file naming the live generation. */
export const CURRENT = CURRENT_FILE;
export { readCurrent, type CurrentFile };

const GENERATION_FILE = /^(index|passages)\.\d+\.leann$/;

/**
 * Saves `state` to `dir` as a new generation, holding the directory's writer lock:
 * checks that no other writer replaced the generation this index came from, compacts,
 * recompresses the graph, writes the files, switches CURRENT, removes the old
 * generation. Runs under the index's write lock.
 * @throws LockedError when another process is writing to `dir`
 * @throws StorageError when the directory cannot be created or written
 * @throws ConcurrentWriteError when `dir` is where this index was loaded from (or last
 *   saved to) and another writer has saved a newer generation there since
 */
export function save(state: IndexState, dir: string): void {
  const abs = resolve(dir);
  // Creates the directory (StorageError when it cannot) unless this process already holds its lock.
  const release = holdWriterLock(abs);
  try {
    checkNotReplaced(state, abs);
    compact(state);
    state.core.graph.freeze();
    writeGeneration(state, abs);
  } finally {
    release();
  }
}

/**
 * Saving over a generation another writer made after this index read its own would drop
 * that writer's changes without a word: refuse instead. Saving to any other directory
 * (a copy, or a build replacing an index) writes as before.
 */
function checkNotReplaced(state: IndexState, abs: string): void {
  const base = state.base;
  if (!base || base.dir !== abs) return;
  const now = readCurrent(abs);
  if (now?.generation === base.generation) return;
  const what = now ? `another writer saved generation ${now.generation} there` : "the index there was removed";
  throw new ConcurrentWriteError(
    abs,
    `LeannIndex.save: this index was loaded from ${abs} at generation ${base.generation}, and since then ${what}. ` +
      `Saving would silently drop those changes, so nothing was written. Load the index again (LeannIndex.load), repeat this change and save; ` +
      `to keep other writers out for the whole load -> change -> save, use withWriterLock(dir, fn) or LeannIndex.load(dir, { lock: true }).`,
  );
}

/**
 * New files for a new generation, each written to a temporary name, fsynced and renamed;
 * then the CURRENT pointer is switched atomically; then the previous generation's files
 * are removed. A crash at any point leaves CURRENT naming a complete generation.
 */
function writeGeneration(state: IndexState, abs: string): void {
  const prev = readCurrent(abs);
  const gen = nextGeneration(abs, prev);
  const passages = state.passages;
  // The passage file is immutable once written: reuse it when saving again to the same place.
  let passagesFile: string;
  let rewritten = false;
  let identity = passages.identity;
  if (state.savedAt && state.savedAt.dir === abs && prev?.passages === state.savedAt.passagesFile && !passages.changed) passagesFile = state.savedAt.passagesFile;
  else {
    passagesFile = `passages.${gen}.leann`;
    identity = writePassageFile(join(abs, passagesFile), passages);
    rewritten = true;
  }
  const indexFile = `index.${gen}.leann`;
  writeFileAtomic(join(abs, indexFile), encodeCore(state.core, passages.count, state.core.graph.freeze(), identity, keywordBytes(state)));
  writeCurrent(abs, { format: "leann", version: 1, generation: gen, index: indexFile, passages: passagesFile });
  state.savedAt = { dir: abs, passagesFile };
  state.base = { dir: abs, generation: gen };
  // Read passages from the file just written: the old one may be deleted below.
  if (rewritten) passages.rebase(new FilePassageStore(join(abs, passagesFile)));
  // Old generations are garbage now; a crash before this point only leaves extra files.
  for (const f of readdirSync(abs)) {
    if (GENERATION_FILE.test(f) && f !== indexFile && f !== passagesFile) rmSync(join(abs, f), { force: true });
    else if (/\.tmp-\d+-[0-9a-f]+$/.test(f)) rmSync(join(abs, f), { force: true });
  }
}

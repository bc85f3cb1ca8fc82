import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { embedderIdentity, embedQueryChecked, loadModel, type Embedder } from "../embedder.js";
import { CorruptIndexError, IndexNotFoundError, LeannError, ModelMismatchError } from "../errors.js";
import { checkPassagePairing, indexHeader, readIndexFile } from "../format/index-file.js";
import type { ResolvedLoadOptions } from "../options.js";
import { codeSize } from "../quantize/pq.js";
import { IndexState } from "../state.js";
import { MutablePassages } from "../store/mutable-passages.js";
import { FilePassageStore } from "../store/passages.js";
import { decodeCore } from "./codec.js";
import { CURRENT, readCurrent, type CurrentFile } from "./generations.js";

/** An embedder's load() (which may download a model) may take this many times embedTimeoutMs. */
/** Times a load starts over when a writer switched generations under it. */
const OPEN_RETRIES = 2;

/**
 * Opens the generation CURRENT names in `dir`, checks that the embedder is the model the
 * index was built with, and probes its dimensions.
 * @throws IndexNotFoundError when `dir` holds no index
 * @throws CorruptIndexError when a file is missing, truncated or altered
 * @throws ModelMismatchError / DimensionMismatchError / EmbedderError when the embedder does not match
 */
export async function open(dir: string, embedder: Embedder, o: ResolvedLoadOptions): Promise<IndexState> {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new IndexNotFoundError(`No index at ${abs}: the directory does not exist. Build one and save it there first.`);
  for (let attempt = 0; ; attempt++) {
    const cur = readCurrent(abs);
    if (!cur) throw new IndexNotFoundError(`No index at ${abs}: it has no ${CURRENT} file. Is this the directory you passed to save()?`);
    try {
      return await openGeneration(abs, cur, embedder, o);
    } catch (err) {
      // A writer may have switched generations and removed the files we were opening.
      const moved = readCurrent(abs)?.generation !== cur.generation;
      if (attempt < OPEN_RETRIES && moved && (err as LeannError).code === "CORRUPT_INDEX") continue;
      throw err;
    }
  }
}

async function openGeneration(abs: string, cur: CurrentFile, embedder: Embedder, o: ResolvedLoadOptions): Promise<IndexState> {
  const indexPath = join(abs, cur.index);
  let buf: Buffer;
  try {
    buf = readIndexFile(indexPath);
  } catch (err) {
    if (LeannError.isInstance(err)) throw err;
    throw new CorruptIndexError(indexPath, `cannot be read (${(err as NodeJS.ErrnoException).code ?? err}); the index is incomplete. Restore it or rebuild.`, { cause: err });
  }
  const { core, keyword, keywordBytes } = decodeCore(indexPath, buf);
  const passagesPath = join(abs, cur.passages);
  let passages: FilePassageStore;
  try {
    passages = new FilePassageStore(passagesPath);
  } catch (err) {
    if (LeannError.isInstance(err)) throw err;
    throw new CorruptIndexError(passagesPath, `cannot be opened (${(err as NodeJS.ErrnoException).code ?? err}); restore it or rebuild the index.`, { cause: err });
  }
  const count = core.dims === 0 ? 0 : core.codes.length / codeSize(core.pq);
  try {
    checkPassagePairing(indexHeader(indexPath, buf), passagesPath, passages.identity);
  } catch (err) {
    passages.close();
    throw err;
  }
  if (passages.count !== count) {
    passages.close();
    throw new CorruptIndexError(passagesPath, `holds ${passages.count} passages but the index file has ${count}; the two files are from different saves. Restore or rebuild.`);
  }
  try {
    await checkModel(abs, core.model, embedder, o.allowModelMismatch, o.embedTimeoutMs);
  } catch (err) {
    passages.close();
    throw err;
  }
  const state = new IndexState(core, new MutablePassages(passages), {
    embedder,
    batchSize: o.embedBatchSize,
    timeoutMs: o.embedTimeoutMs,
    concurrency: o.embedConcurrency,
    cacheBytes: o.cacheBytes,
  });
  state.keyword = keyword;
  state.keywordBytes = keywordBytes;
  state.savedAt = { dir: abs, passagesFile: cur.passages };
  state.base = { dir: abs, generation: cur.generation };
  // An index that has not learnt its dimensions has nothing to check them against.
  if (o.probe && core.dims > 0) {
    try {
      await embedQueryChecked(embedder, "dimension probe", core.dims, { timeoutMs: o.embedTimeoutMs });
    } catch (err) {
      passages.close();
      throw err;
    }
  }
  return state;
}

/**
 * Loads the embedder's model (embedders that resolve a model lazily know their identity
 * only then) and compares its identity with the one the index recorded.
 */
async function checkModel(abs: string, recorded: string | null, embedder: Embedder, allowMismatch: boolean, timeoutMs: number): Promise<void> {
  await loadModel(embedder, timeoutMs);
  const id = embedderIdentity(embedder);
  if (recorded && id && id !== recorded && !allowMismatch) {
    throw new ModelMismatchError(
      `The index at ${abs} was built with model "${recorded}", but the embedder is "${id}". Search results would be meaningless. ` +
        `Use the same model, rebuild the index, or pass allowModelMismatch: true if the two names denote the same model.`,
    );
  }
}

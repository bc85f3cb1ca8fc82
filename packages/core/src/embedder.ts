import { DimensionMismatchError, EmbedderError, EmbedderTimeoutError, InvalidOptionsError, LeannError } from "./errors.js";
import { withTimeout } from "./util/timeout.js";

/**
 * What the index needs from an embedding model: the shape of LangChain's
 * `Embeddings`, so any LangChain embedding class plugs in unchanged.
 * `embedQuery` is optional; without it queries go through `embedDocuments`.
 */
export interface Embedder {
  embedDocuments(texts: string[]): Promise<number[][]>;
  embedQuery?(text: string): Promise<number[]>;
  /**
   * Resolves the model before first use (a download, a fallback model). The index calls it
   * on load, before it compares the model's identity with the one it recorded: an embedder
   * that picks its model lazily knows its identity only then. What it resolves to is
   * ignored (`unknown`, not `void`, so that `LocalEmbeddings.load(): Promise<LoadedModelInfo>`
   * still satisfies this interface).
   */
  load?(): Promise<unknown>;
}

/**
 * Where an embedder's model identity is read from, first match wins: our own embedders'
 * `modelId`, then the names LangChain (`model`, `modelName`) and LlamaIndex (`model`,
 * `model_name`) classes use. Adapters read identities through `embedderIdentity` so every
 * package agrees on what "the same model" means.
 */
export const MODEL_IDENTITY_FIELDS = ["modelId", "model", "modelName", "model_name", "modelType"] as const; // modelType: LlamaIndex's HuggingFaceEmbedding

/** Best-effort identity of an embedding model (see MODEL_IDENTITY_FIELDS), recorded in the index to catch model swaps. */
export function embedderIdentity(embedder: unknown): string | undefined {
  if (typeof embedder !== "object" || embedder === null) return undefined;
  const e = embedder as Record<string, unknown>;
  for (const key of MODEL_IDENTITY_FIELDS) {
    const v = e[key];
    if (typeof v === "string" && v.length > 0) return v;
  }
  return undefined;
}

/** How errors name an embedder: its class and model identity. */
export function embedderName(embedder: object): string {
  const ctor = (embedder as { constructor?: { name?: string } }).constructor?.name;
  const id = embedderIdentity(embedder);
  return `${ctor && ctor !== "Object" ? ctor : "embedder"}${id ? ` (${id})` : ""}`;
}

/**
 * Largest embedding component accepted: the largest half-precision value. PQ codebooks are
 * stored in half precision, so a larger component would become an infinite centroid; and a
 * value finite as a double (1e300) but not as a float32 would turn into NaN when normalised.
 * Embedding models produce components of order 1.
 */
export const MAX_COMPONENT = 65504;

/** Validates one returned vector and copies it into `out` at `offset`. */
function checkVector(v: unknown, dims: number, where: string, out: Float32Array, offset: number): void {
  if (!Array.isArray(v) && !ArrayBuffer.isView(v)) {
    throw new EmbedderError(`${where}: expected an array of ${dims} numbers, received ${typeof v}.`);
  }
  const arr = v as ArrayLike<number>;
  if (arr.length !== dims) throw new DimensionMismatchError(dims, arr.length, where);
  for (let i = 0; i < dims; i++) {
    const x = arr[i]!;
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new EmbedderError(`${where}: component ${i} is ${x}; embeddings must be finite numbers.`);
    }
    if (Math.abs(x) > MAX_COMPONENT) {
      throw new EmbedderError(
        `${where}: component ${i} is ${x}, beyond the supported magnitude ${MAX_COMPONENT}; embeddings are expected to be of order 1. Scale the model's output down (or normalise it).`,
      );
    }
    out[offset + i] = x;
  }
}

export interface EmbedCallOptions {
  /** Abort the call after this many milliseconds (0 = no limit). */
  timeoutMs?: number;
  /** Most embedDocuments calls in flight at once (default 1). */
  concurrency?: number;
  /** Called when rows [start, end) of the output are written and checked (calls finish in any order). */
  onRows?: (start: number, end: number) => void;
}

/** One embedder call under the time limit (0 = none): a hung call rejects with EmbedderTimeoutError naming it. */
export function timedCall<T>(p: Promise<T>, ms: number, call: string): Promise<T> {
  return withTimeout(p, ms, () => new EmbedderTimeoutError(call, ms));
}

/**
 * Embeds `texts` in batches of `batchSize`, keeping up to `opts.concurrency` calls in
 * flight (a remote model's latency overlaps instead of adding up), and returns one flat
 * Float32Array (row i = text i, whatever order the calls finish in). Every failure mode
 * of the embedder becomes a typed error that names it: a throw, a timeout, a wrong
 * count, wrong dimensions, non-finite values. The first failure rejects at once and no
 * further call starts. `dims` of 0 means "learn from the first vector" (the first batch
 * then runs alone).
 * @throws EmbedderError when the embedder throws, times out, or returns a wrong count, non-finite
 *   or oversized (beyond MAX_COMPONENT) values; DimensionMismatchError for vectors of the wrong length
 * @throws InvalidOptionsError when batchSize is not a positive integer
 */
export async function embedBatched(
  embedder: Embedder,
  texts: string[],
  dims: number,
  batchSize: number,
  opts: EmbedCallOptions = {},
  onProgress?: (done: number) => void,
  alloc: (length: number, dims: number) => Float32Array = (length) => new Float32Array(length),
): Promise<{ vectors: Float32Array; dims: number }> {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new InvalidOptionsError(`embed batch size must be a positive integer, received ${batchSize}.`);
  }
  const name = embedderName(embedder);
  let out = dims > 0 ? alloc(dims * texts.length, dims) : new Float32Array(0);
  let done = 0;
  const runBatch = async (start: number): Promise<void> => {
    const batch = texts.slice(start, start + batchSize);
    let result: unknown;
    try {
      result = await timedCall(Promise.resolve(embedder.embedDocuments(batch)), opts.timeoutMs ?? 0, `${name}.embedDocuments`);
    } catch (err) {
      // Typed errors of embedders built on this library (dimension checks, missing models) pass as they are.
      if (LeannError.isInstance(err)) throw err;
      throw new EmbedderError(`${name}.embedDocuments failed on a batch of ${batch.length} texts: ${(err as Error)?.message ?? err}`, {
        cause: err,
      });
    }
    if (!Array.isArray(result) || result.length !== batch.length) {
      throw new EmbedderError(
        `${name}.embedDocuments returned ${Array.isArray(result) ? result.length : typeof result} vectors for ${batch.length} texts; expected exactly one vector per text.`,
      );
    }
    if (dims === 0) {
      const first = result[0] as ArrayLike<number> | undefined;
      dims = first && typeof first.length === "number" ? first.length : 0;
      if (dims === 0) throw new EmbedderError(`${name}.embedDocuments returned an empty vector.`);
      out = alloc(dims * texts.length, dims);
    }
    for (let i = 0; i < batch.length; i++) {
      checkVector(result[i], dims, `${name}.embedDocuments`, out, (start + i) * dims);
    }
    opts.onRows?.(start, start + batch.length);
    done += batch.length;
    onProgress?.(done);
  };
  const starts: number[] = [];
  for (let start = 0; start < texts.length; start += batchSize) starts.push(start);
  let next = 0;
  if (dims === 0 && starts.length > 0) await runBatch(starts[next++]!);
  let failed = false;
  const lane = async (): Promise<void> => {
    while (!failed && next < starts.length) {
      try {
        await runBatch(starts[next++]!);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const lanes = Math.max(1, Math.min(opts.concurrency ?? 1, starts.length - next));
  await Promise.all(Array.from({ length: lanes }, lane));
  return { vectors: out, dims };
}

/**
 * Embeds one query, through `embedQuery` when the embedder has it.
 * @throws EmbedderError / DimensionMismatchError as embedBatched does
 */
export async function embedQueryChecked(embedder: Embedder, text: string, dims: number, opts: EmbedCallOptions = {}): Promise<Float32Array> {
  const name = embedderName(embedder);
  const out = new Float32Array(dims);
  let result: unknown;
  try {
    const p = embedder.embedQuery ? embedder.embedQuery(text) : embedder.embedDocuments([text]).then((r) => r?.[0]);
    result = await timedCall(Promise.resolve(p), opts.timeoutMs ?? 0, `${name}.embedQuery`);
  } catch (err) {
    // Typed errors of embedders built on this library (dimension checks, missing models) pass as they are.
    if (LeannError.isInstance(err)) throw err;
    throw new EmbedderError(`${name}.embedQuery failed: ${(err as Error)?.message ?? err}`, { cause: err });
  }
  checkVector(result, dims, `${name}.embedQuery`, out, 0);
  return out;
}

/** `load()` may download a model: it gets this many times the time limit of one call. */
export const LOAD_TIMEOUT_FACTOR = 10;

/**
 * Lets an embedder that resolves its model lazily load it now (it knows its identity only
 * then). Embedders without `load()` are left alone.
 * @throws EmbedderTimeoutError when load() does not answer within LOAD_TIMEOUT_FACTOR x timeoutMs
 * @throws EmbedderError when load() fails
 */
export async function loadModel(embedder: Embedder, timeoutMs: number): Promise<void> {
  if (typeof embedder.load !== "function") return;
  try {
    await timedCall(Promise.resolve(embedder.load()), timeoutMs * LOAD_TIMEOUT_FACTOR, `${embedderName(embedder)}.load`);
  } catch (err) {
    if (LeannError.isInstance(err)) throw err;
    throw new EmbedderError(`The embedder failed to load its model: ${(err as Error)?.message ?? err}`, { cause: err });
  }
}

import { existsSync } from "node:fs";
import type { Embedder } from "./embedder.js";
import { ClosedError, InvalidInputError, InvalidOptionsError } from "./errors.js";
import { checkSignal, Pacer } from "./build/pacer.js";
import { buildFromPassages, emptyCore, type BuildTimings } from "./build/pipeline.js";
import { embedderIdentity } from "./embedder.js";
import { buildOptionsSchema, loadOptionsSchema, parseOptions, type ResolvedBuildOptions } from "./options.js";
import { coreFileSize } from "./persist/codec.js";
import { save } from "./persist/generations.js";
import { open } from "./persist/open.js";
import type { KeywordIndex } from "./keyword/keyword-index.js";
import { holdWriterLock } from "./persist/writer-lock.js";
import { search } from "./search/searcher.js";
import { storedCodebookBytes } from "./quantize/codebook-int8.js";
import { storedRotationBytes } from "./quantize/rotation-int8.js";
import { IndexState, type IndexParams } from "./state.js";
import { MutablePassages } from "./store/mutable-passages.js";
import { MemoryPassageStore, type PassageRecord } from "./store/passages.js";
import { invertOrder } from "./store/order-codec.js";
import type { SearchFilter } from "./search/filter.js";
import type { AddOptions, AddResult, BuildOptions, CreateOptions, IndexSizes, LoadOptions, PassageInput, SearchOptions, SearchResult } from "./types.js";
import { add } from "./update/add.js";
import { compact } from "./update/compact.js";
import { deleteIds, deleteMatching, matchingNodes } from "./update/delete.js";
import { keywordByteLength, keywordIndexOf } from "./update/keywords.js";
import { ReadWriteLock } from "./util/rw-lock.js";
import type { Metric } from "./util/vector.js";
import { checkEmbedder, validatePassages } from "./validate.js";

/**
 * An index over passages that stores no embeddings: a pruned, compressed proximity
 * graph plus small PQ codes; search recomputes the few exact embeddings it needs
 * with the embedder.
 *
 * This class is the facade: it validates arguments, holds the lock (searches share
 * the index, mutations hold it alone, in call order) and delegates each verb to its
 * module: build/, search/, update/, persist/.
 */
export class LeannIndex {
  private readonly state: IndexState;
  private readonly lock = new ReadWriteLock();
  private closing: Promise<void> | null = null;
  /** Releases the directory's writer lock held since a load with `{ lock: true }`. */
  private releaseWriterLock: (() => void) | null = null;
  /** Milliseconds spent in each build phase (only for an index built in this process). */
  buildTimings: Readonly<BuildTimings> | null = null;

  private constructor(state: IndexState) {
    this.state = state;
  }

  /** Number of live passages. */
  get size(): number {
    return this.state.size;
  }
  get dimensions(): number {
    return this.state.core.dims;
  }
  get metric(): Metric {
    return this.state.core.metric;
  }
  /** The embedding model identity recorded in the index, if known. */
  get model(): string | null {
    return this.state.core.model;
  }
  /** True when the index has a keyword index (hybrid and keyword search); see BuildOptions.keywordIndex. */
  get hasKeywordIndex(): boolean {
    return this.state.keyword !== null;
  }
  /** Build parameters recorded in the index. */
  get params(): Readonly<IndexParams> {
    return this.state.core.params;
  }

  /**
   * Embeds the passages (unless `vectors` are given), builds the HNSW graph, prunes it,
   * trains PQ codes, and drops the vectors.
   * @throws InvalidInputError for empty or malformed passages and duplicate ids
   * @throws InvalidOptionsError for unknown or out-of-range options
   * @throws EmbedderError / DimensionMismatchError when the embedder misbehaves
   * @throws AbortedError when `signal` aborts (seen within about 50 ms in every phase)
   */
  static async build(passages: PassageInput[], options: BuildOptions): Promise<LeannIndex> {
    if (typeof options !== "object" || options === null) throw new InvalidOptionsError("LeannIndex.build(passages, options): options with an embedder are required.");
    const { embedder, vectors, onProgress, signal, ...rest } = options;
    checkEmbedder(embedder, "LeannIndex.build");
    const pacer = new Pacer(checkSignal(signal, "LeannIndex.build"));
    const o = parseOptions(buildOptionsSchema, rest, "LeannIndex.build");
    const records = validatePassages(passages);
    if (records.length === 0) throw new InvalidInputError("LeannIndex.build: no passages given; an index needs at least one passage.");
    const built = await buildFromPassages(records, embedder, vectors, o, onProgress, pacer);
    // The passage file keeps the input order (it compresses better than the node order).
    const index = new LeannIndex(LeannIndex.state(built.core, built.records, embedder, o, built.keyword, invertOrder(built.order)));
    index.buildTimings = built.timings;
    return index;
  }

  /**
   * An empty index: no passages, dimensions learnt on the first `add`, which builds it as
   * `build` would with these options. It can be searched (no hits), saved and loaded
   * while empty.
   * @throws InvalidOptionsError for a missing embedder, unknown or out-of-range options
   */
  static create(options: CreateOptions): LeannIndex {
    if (typeof options !== "object" || options === null) throw new InvalidOptionsError("LeannIndex.create(options): options with an embedder are required.");
    const { embedder, ...rest } = options;
    checkEmbedder(embedder, "LeannIndex.create");
    const o = parseOptions(buildOptionsSchema, rest, "LeannIndex.create");
    const state = LeannIndex.state(emptyCore(o, o.modelId ?? embedderIdentity(embedder) ?? null), [], embedder, o);
    state.learnsModel = o.modelId === undefined;
    return new LeannIndex(state);
  }

  private static state(core: IndexState["core"], records: PassageRecord[], embedder: Embedder, o: ResolvedBuildOptions, keyword?: KeywordIndex | null, stored?: Uint32Array): IndexState {
    const state = new IndexState(core, new MutablePassages(new MemoryPassageStore(records, stored)), {
      embedder,
      batchSize: o.embedBatchSize,
      timeoutMs: o.embedTimeoutMs,
      concurrency: o.embedConcurrency,
      cacheBytes: o.cacheBytes,
    });
    if (o.keywordIndex) state.keyword = keyword ?? keywordIndexOf(records);
    return state;
  }

  /**
   * Opens an index saved with `save`. Passage text stays on disk and is read on demand.
   * @throws IndexNotFoundError when `dir` holds no index
   * @throws CorruptIndexError when a file is missing, truncated or altered
   * @throws ModelMismatchError / DimensionMismatchError when the embedder does not match
   * @throws LockedError with `lock: true`, when another process holds the directory's writer lock
   * @throws EmbedderTimeoutError when the embedder's load() or probe does not answer in time
   */
  static async load(dir: string, options: LoadOptions): Promise<LeannIndex> {
    if (typeof options !== "object" || options === null) throw new InvalidOptionsError("LeannIndex.load(dir, options): options with an embedder are required.");
    const { embedder, ...rest } = options;
    checkEmbedder(embedder, "LeannIndex.load");
    const o = parseOptions(loadOptionsSchema, rest, "LeannIndex.load");
    if (typeof dir !== "string" || dir.length === 0) throw new InvalidInputError("LeannIndex.load(dir): dir must be a non-empty path.");
    // With `lock`, the lock comes first: nobody can switch generations between this read and our save.
    // (A missing directory is left to open() to report, not created by taking a lock in it.)
    const release = o.lock && existsSync(dir) ? holdWriterLock(dir) : null;
    try {
      const index = new LeannIndex(await open(dir, embedder, o));
      index.releaseWriterLock = release;
      return index;
    } catch (err) {
      release?.();
      throw err;
    }
  }

  /**
   * Searches by text (embedded with the embedder's embedQuery) or by a query vector. With a
   * keyword index (the default), a text query is searched both ways and the two fused
   * (`alpha`, see SearchOptions); `alpha: 1` is the dense search alone, `alpha: 0` BM25 alone.
   * A text query's embedding may be passed as `queryVector` (the embedder is then not called).
   * @throws InvalidOptionsError for bad options (k not a positive integer, alpha not in [0, 1],
   *   unknown keys, queryVector not an array or given with a vector query), and for alpha < 1 with
   *   a vector query or an index without a keyword index
   * @throws InvalidInputError for an empty query text or a query vector / queryVector with NaN or infinite values
   * @throws EmbedderError / DimensionMismatchError when the embedder misbehaves, or a query vector /
   *   queryVector has the wrong length
   */
  search(query: string | ArrayLike<number>, options: SearchOptions = {}): Promise<SearchResult> {
    if (this.closing) return Promise.reject(this.closedError());
    return this.lock.read(() => search(this.state, query, options));
  }

  /**
   * Inserts passages into the live index: each new passage is embedded (nothing else is:
   * an add of n passages embeds n texts), its neighbours are found by a search over the
   * vectors at hand and PQ codes, linked under the pruning rules (ordinary degree out,
   * back-links while the neighbour has room), and PQ-encoded with the existing codebooks.
   * An id that already exists is replaced (upsert). The change becomes visible (size,
   * getters, searches) at once when it resolves; on any failure the index is left
   * exactly as it was.
   * @throws DuplicateIdError when an id appears twice in `passages`
   * @throws EmbedderError / DimensionMismatchError when the embedder misbehaves
   * @throws EmbedderTimeoutError when an embedder call exceeds `embedTimeoutMs`
   */
  add(passages: PassageInput[], options: AddOptions = {}): Promise<AddResult> {
    return this.exclusive(async () => add(this.state, validatePassages(passages), options?.vectors));
  }

  /**
   * Deletes passages by id; unknown ids are ignored. Deleted passages never appear in
   * results from the moment this resolves; their neighbours are re-linked around them.
   * Space is reclaimed by compaction (automatic past a quarter of the nodes, on save, or compact()).
   * @throws InvalidInputError when `ids` is not an array of strings
   */
  delete(ids: string[]): Promise<{ deleted: number }> {
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === "string")) {
      return Promise.reject(new InvalidInputError(`LeannIndex.delete(ids): ids must be an array of strings, received ${JSON.stringify(ids)?.slice(0, 80)}.`));
    }
    return this.exclusive(async () => ({ deleted: deleteIds(this.state, ids) }));
  }

  /**
   * Deletes every passage whose metadata (and id) pass `filter`, as a search filter
   * would select them; returns the ids deleted. LlamaIndex's deleteRefDoc is one call:
   * `deleteWhere({ filters: [{ key: "ref_doc_id", operator: "==", value: refDocId }] })`.
   * @throws InvalidInputError when the filter is missing or has no conditions (it would delete everything)
   * @throws InvalidOptionsError when the filter is malformed
   * @throws ClosedError after close()
   */
  deleteWhere(filter: SearchFilter): Promise<string[]> {
    return this.exclusive(async () => deleteMatching(this.state, filter));
  }

  /**
   * The ids of the live passages whose metadata (and id) pass `filter`, in internal order;
   * `{ filters: [] }` passes every passage.
   * @throws InvalidInputError when no filter is given
   * @throws InvalidOptionsError when the filter is malformed
   * @throws ClosedError after close()
   */
  idsMatching(filter: SearchFilter): Promise<string[]> {
    if (this.closing) return Promise.reject(this.closedError());
    return this.lock.read(async () => matchingNodes(this.state, filter, "LeannIndex.idsMatching(filter)").map((i) => this.state.passages.id(i)));
  }

  /** Reclaims the space of deleted passages now (renumbers internal ids). */
  compact(): Promise<void> {
    return this.exclusive(async () => compact(this.state));
  }

  /** The ids of every passage in the index, in internal order. */
  listIds(): string[] {
    return [...this.state.ids.get().keys()];
  }

  /** True when a passage with this id is in the index. */
  has(id: string): boolean {
    return this.state.ids.get().has(id);
  }

  /** The passage with this id, or undefined. */
  get(id: string): PassageRecord | undefined {
    const i = this.state.ids.get().get(id);
    return i === undefined ? undefined : this.state.passages.get(i);
  }

  /**
   * Bytes of each part as a save would write it (deleted passages count until compaction).
   * Kept current as the index changes: a call after an update costs what the update changed.
   */
  sizes(): IndexSizes {
    // Read-only: an add in flight keeps working on its own copies of the adjacency lists.
    const { core: c, passages } = this.state;
    const graph = c.graph.savedBytes();
    const kw = this.state.keyword ? { byteLength: keywordByteLength(this.state) } : null;
    // Each part of the index file with an entry of its own; `other` is the rest (headers, seeds, degrees, alignment).
    const parts = {
      graph: graph.offsets + graph.data,
      pqCodes: c.codes.byteLength,
      pqCodebooks: storedCodebookBytes(c.pq) + c.pq.bounds.byteLength,
      // dims x dims bytes (half floats in older files): shared by all passages, so it weighs on small indexes.
      rotation: storedRotationBytes(c.pq),
      storedVectors: (c.storedVectors?.byteLength ?? 0) + c.hubVectors.byteLength + c.hubIds.byteLength,
      keyword: kw?.byteLength ?? 0,
    };
    const indexTotal = coreFileSize(c, passages.count, graph, kw);
    const counted = Object.values(parts).reduce((a, b) => a + b, 0);
    return { ...parts, other: indexTotal - counted, indexTotal, passages: passages.bytes };
  }

  /**
   * Writes the index to `dir` crash-safely: new files for a new generation, each
   * written to a temporary name, fsynced and renamed; then the CURRENT pointer is
   * switched atomically; then the previous generation's files are removed.
   * @throws InvalidInputError when `dir` is not a non-empty path
   * @throws LockedError when another process is saving to `dir`
   * @throws ConcurrentWriteError when this index was loaded from (or last saved to) `dir`
   *   and another writer saved there since: load again, repeat the change, save
   */
  save(dir: string): Promise<void> {
    if (typeof dir !== "string" || dir.length === 0) return Promise.reject(new InvalidInputError("LeannIndex.save(dir): dir must be a non-empty path."));
    return this.exclusive(async () => save(this.state, dir));
  }

  /**
   * Releases the open passage file once the searches and updates in flight are done;
   * resolves when it is released. Every call returns that same promise. Later calls on
   * this index reject with ClosedError.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = this.lock.write(async () => {
      this.state.passages.close();
      this.releaseWriterLock?.();
    });
    return this.closing;
  }

  /** Checks structural invariants; returns the number of live nodes reachable from the entry point. */
  reachableCount(): number {
    const { core, deleted, passages } = this.state;
    if (this.size === 0) return 0;
    const seen = new Uint8Array(passages.count);
    const stack = [core.entry];
    seen[core.entry] = 1;
    let widest = Math.max(1, core.graph.maxDegree);
    if (core.graph.mutable) for (const l of core.graph.lists()) widest = Math.max(widest, l.length);
    const scratch = new Uint32Array(widest);
    const nb = core.graph.neighbors();
    let count = deleted[core.entry] ? 0 : 1;
    while (stack.length) {
      const c = nb(stack.pop()!, scratch);
      for (let j = 0; j < c; j++) {
        const u = scratch[j]!;
        if (!seen[u]) {
          seen[u] = 1;
          if (!deleted[u]) count++;
          stack.push(u);
        }
      }
    }
    return count;
  }

  /** Runs mutations one after another, in call order. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(this.closedError());
    return this.lock.write(fn);
  }

  private closedError(): ClosedError {
    return new ClosedError("This LeannIndex was closed with close(); open it again with LeannIndex.load(dir, { embedder }).");
  }
}

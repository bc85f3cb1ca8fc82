import { statSync } from "node:fs";
import {
  compileFilter,
  EmbedderError,
  InvalidInputError,
  InvalidOptionsError,
  LeannError,
  LeannIndex,
  type BuildOptions,
  type Embedder,
  type LoadOptions,
  type Metadata,
  type SearchFilter,
  type SearchHit,
  type SearchOptions,
} from "@leann/core";
import {
  BaseVectorStore,
  DEFAULT_PERSIST_DIR,
  DEFAULT_SIMILARITY_TOP_K,
  getTopKMMREmbeddings,
  Settings,
  type BaseEmbedding,
  type BaseNode,
  type VectorStoreBaseParams,
  type VectorStoreQuery,
  type VectorStoreQueryResult,
} from "llamaindex";
import { checkEmbedModel, checkQueryModel, embedderFromLlamaIndex, sameQueryModel } from "./embedder.js";
import { guardKvStoreDelete } from "./kv-store-guard.js";
import { LeannEmbedding } from "./leann-embedding.js";
import { nodeToPassage, passageToNode, refDocIdOf } from "./node-codec.js";
import { checkAlpha, planQuery } from "./query-mode.js";

/** Build tuning of the store's index (metric, M, pqBits, ...), used when the first `add` builds it. */
export type LeannBuildOptions = Omit<BuildOptions, "embedder" | "vectors">;
/** Options for opening a saved index (allowModelMismatch, probe, cacheBytes, ...). */
export type LeannLoadOptions = Omit<LoadOptions, "embedder">;
/** Search tuning (ef, maxRecompute, batchSize, mode, ...); k, filters and the dense share come from the query. */
export type LeannSearchTuning = Omit<SearchOptions, "k" | "filter" | "includeVectors" | "alpha" | "queryVector">;

export interface LeannVectorStoreOptions extends VectorStoreBaseParams {
  /** Build tuning used when the first `add` builds the index. */
  build?: LeannBuildOptions;
  /** Search tuning applied to every query (a query's `customParams.search` overrides it). */
  search?: LeannSearchTuning;
  /**
   * Candidates fetched (and their exact embeddings recomputed) for `mmr` re-ranking.
   * Default: max(20, 4 × similarityTopK). More: more diversity to choose from, more recomputation.
   */
  mmrFetchK?: number;
  /**
   * Skip the model-name checks (default false): on queries, that the query vector's model
   * (`Settings.embedModel`, which VectorStoreIndex embeds queries with) is the store's; with
   * `fromPersistDir`, that the store's model is the one the index was built with. Only for two
   * names of one model.
   */
  allowModelMismatch?: boolean;
  /**
   * Dense share of `hybrid` queries that carry no `alpha` of their own, in [0, 1] (1 = dense only, 0 = keyword
   * only). Default: `@leann/core`'s default fusion (0.4). LlamaIndex's retrievers never pass `alpha`: this
   * option, or the retriever's `customParams: { alpha }`, is how to set it for them.
   */
  alpha?: number;
}

export interface LeannPersistDirOptions extends LeannVectorStoreOptions {
  /** Options for opening the saved index. */
  load?: LeannLoadOptions;
  /**
   * Save to the directory after every add and delete, as LlamaIndex's stores opened from a
   * persist dir do (default true). Keeps the index in step with a persisted docstore,
   * which otherwise would skip re-adding documents it believes are indexed.
   */
  autoPersist?: boolean;
}

/** `customParams` of a query. */
export interface LeannQueryParams {
  search?: LeannSearchTuning;
  mmrFetchK?: number;
  /** Dense share of a `hybrid` query (after `query.alpha`, before the store's `alpha`). */
  alpha?: number;
}

const empty = (): VectorStoreQueryResult => ({ nodes: [], similarities: [], ids: [] });
const MMR_MIN_FETCH = 20;
const MMR_FETCH_FACTOR = 4;

function settingsEmbedModel(): BaseEmbedding | undefined {
  try {
    return Settings.embedModel;
  } catch {
    // Settings.embedModel throws when none is set.
    return undefined;
  }
}

function positiveInt(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionsError(`${name} must be a positive integer, received ${JSON.stringify(value)}.`);
  }
  return value;
}

/**
 * A LlamaIndex vector store backed by a LEANN index: it keeps a pruned graph, small PQ
 * codes and the node text, never the embeddings; at query time `embedModel` recomputes
 * the exact embeddings of the few candidates a search needs.
 *
 * `storesText` is true: nodes (text, metadata, relationships, ids) live in the store and
 * come back from queries, so `VectorStoreIndex.fromVectorStore(store)` works.
 * Similarities are higher-is-better (cosine by default, like SimpleVectorStore).
 */
export class LeannVectorStore extends BaseVectorStore<LeannIndex, LeannQueryParams> {
  storesText = true;

  private index: LeannIndex;
  /** What recomputes embeddings: the embedder a LeannEmbedding wraps, else the embed model adapted. */
  private readonly embedder: Embedder;
  private readonly buildOptions: LeannBuildOptions;
  private readonly searchTuning: LeannSearchTuning;
  private readonly mmrFetchK: number | undefined;
  private readonly allowModelMismatch: boolean;
  private readonly alpha: number | undefined;
  private persistDir: string | undefined;
  private autoPersist = false;

  /**
   * An empty store (`LeannIndex.create`); the first `add` builds the index.
   * @throws InvalidOptionsError when neither `embedModel` nor `Settings.embedModel` is set, or it is not a
   * LlamaIndex embedding model (wrap a LangChain-shaped embedder in `LeannEmbedding`); for build options the index refuses
   */
  constructor(options: LeannVectorStoreOptions = {}) {
    const given = options.embedModel ?? options.embeddingModel;
    const embedModel = given ?? settingsEmbedModel();
    if (!embedModel) {
      throw new InvalidOptionsError(
        "LeannVectorStore needs an embedding model: it recomputes embeddings at search time instead of storing them. " +
          "Pass { embedModel } or set Settings.embedModel before creating the store.",
      );
    }
    checkEmbedModel(embedModel, given ? "LeannVectorStore: options.embedModel" : "LeannVectorStore: Settings.embedModel");
    super({ embedModel });
    // VectorStoreIndex.deleteRefDoc would otherwise throw inside the docstore after deleting here.
    guardKvStoreDelete();
    this.embedder = embedModel instanceof LeannEmbedding ? embedModel.embedder : embedderFromLlamaIndex(embedModel);
    this.buildOptions = { embedBatchSize: embedModel.embedBatchSize, ...options.build };
    this.searchTuning = { ...options.search };
    if (options.mmrFetchK !== undefined) this.mmrFetchK = positiveInt(options.mmrFetchK, "options.mmrFetchK");
    this.allowModelMismatch = options.allowModelMismatch === true;
    if (options.alpha !== undefined) this.alpha = checkAlpha(options.alpha, "LeannVectorStore: options.alpha");
    this.index = LeannIndex.create({ ...this.buildOptions, embedder: this.embedder });
  }

  /**
   * Opens the store saved in `persistDir` (by `persist` or by auto-persisting), or starts
   * an empty one there when the directory holds no index, as LlamaIndex's stores do.
   * Unless `autoPersist: false`, every later add and delete is saved back to it.
   * @throws InvalidOptionsError when `persistDir` is a file, not a directory
   * @throws CorruptIndexError when the saved files are damaged
   * @throws ModelMismatchError / DimensionMismatchError when `embedModel` is not the model the index was built with
   */
  static async fromPersistDir(persistDir: string = DEFAULT_PERSIST_DIR, options: LeannPersistDirOptions = {}): Promise<LeannVectorStore> {
    const { load, autoPersist, ...storeOptions } = options;
    if (statSync(persistDir, { throwIfNoEntry: false })?.isDirectory() === false) {
      throw new InvalidOptionsError(
        `LeannVectorStore.fromPersistDir(${JSON.stringify(persistDir)}): that path is a file, expected a directory (the store keeps several files there). ` +
          "Pass the directory that holds the index, or a new directory to start an empty store in.",
      );
    }
    // Either allowModelMismatch covers both checks: two names of one model fail both alike.
    const allowModelMismatch = storeOptions.allowModelMismatch ?? load?.allowModelMismatch;
    const store = new LeannVectorStore({ ...storeOptions, ...(allowModelMismatch !== undefined && { allowModelMismatch }) });
    try {
      store.index = await LeannIndex.load(persistDir, {
        embedBatchSize: store.buildOptions.embedBatchSize,
        ...load,
        ...(allowModelMismatch !== undefined && { allowModelMismatch }),
        embedder: store.embedder,
      });
    } catch (err) {
      if (!(LeannError.isInstance(err) && err.code === "INDEX_NOT_FOUND")) throw err;
    }
    store.persistDir = persistDir;
    store.autoPersist = autoPersist ?? true;
    return store;
  }

  /** The underlying LeannIndex (empty until the first add). */
  client(): LeannIndex {
    return this.index;
  }

  /** Number of nodes stored. */
  get size(): number {
    return this.index.size;
  }

  /**
   * Stores nodes (an existing id is replaced). Uses each node's `embedding` when present
   * and the embed model for the others; the embeddings guide the graph and are then dropped.
   * The index runs concurrent calls one after another.
   * @throws InvalidInputError for empty node text or metadata JSON cannot hold
   * @throws DuplicateIdError when two nodes share an id
   * @throws EmbedderError / DimensionMismatchError when embeddings are missing or do not fit
   */
  async add(nodes: BaseNode[]): Promise<string[]> {
    if (!Array.isArray(nodes)) throw new InvalidInputError(`LeannVectorStore.add(nodes): nodes must be an array of BaseNode, received ${typeof nodes}.`);
    if (nodes.length === 0) return [];
    const passages = nodes.map(nodeToPassage);
    const vectors = await this.vectorsOf(nodes, passages.map((p) => p.text));
    await this.index.add(passages, vectors ? { vectors } : {});
    await this.autoSave();
    return passages.map((p) => p.id);
  }

  /**
   * Deletes every node of the source document `refDocId` (its `ref_doc_id`); an unknown id deletes nothing.
   * The stored metadata says which document a node belongs to, so nodes persisted by any version of this
   * store are found; `refDocIdOf` tells the document named "None" from nodes without a source.
   * @throws InvalidInputError when `refDocId` is not a string
   */
  async delete(refDocId: string, _deleteOptions?: object): Promise<void> {
    if (typeof refDocId !== "string") throw new InvalidInputError(`LeannVectorStore.delete(refDocId): refDocId must be a string, received ${typeof refDocId}.`);
    const deleted = await this.index.deleteWhere((metadata) => refDocIdOf(metadata) === refDocId);
    if (deleted.length > 0) await this.autoSave();
  }

  /**
   * Top `similarityTopK` nodes for the query, by its `mode`:
   * - `default`: dense search of `queryEmbedding` (or, without one, `queryStr` embedded with the embed model);
   * - `mmr`: the same, re-ranked by maximal marginal relevance (`mmrThreshold`, default 0.5);
   * - `hybrid`: `queryStr` searched both ways (dense, by `queryEmbedding` when it comes from the store's model,
   *   else by `queryStr` embedded with the store's own model; and BM25 over the keyword index), fused with dense share `alpha` (`query.alpha`, else `customParams.alpha`, else the store's
   *   `alpha` option, else the core's default); similarities are then the fused scores, in [0, 1];
   * - `sparse` or `text_search`: BM25 over `queryStr` only, without calling the embed model; similarities are
   *   BM25 scores.
   * `filters` (SimpleVectorStore semantics) and `docIds` (source document ids; node ids also match) are applied
   * inside the search, so k nodes come back whenever k nodes match.
   * @throws UnsupportedError (code UNSUPPORTED) for other modes
   * @throws ModelMismatchError when a query embedding's model (`Settings.embedModel`) has another name than the store's
   * @throws InvalidInputError without a query embedding or text, or without `queryStr` in a hybrid or keyword mode
   * @throws InvalidOptionsError for a bad similarityTopK, alpha, filter or tuning option, or alpha < 1 on an
   *   index built with `keywordIndex: false`
   */
  async query(query: VectorStoreQuery<LeannQueryParams>, _options?: object): Promise<VectorStoreQueryResult> {
    const plan = planQuery(query, this.alpha);
    const k = positiveInt(query.similarityTopK ?? DEFAULT_SIMILARITY_TOP_K, "query.similarityTopK");
    // Hybrid and keyword queries search by the text; a hybrid one's dense side takes the query vector when there is one.
    const input = plan.kind === "text" ? plan.text : this.queryInput(query);
    if (typeof input !== "string") this.checkQueryModel();
    const precomputed = plan.kind === "text" && plan.alpha > 0 ? this.hybridQueryVector(query) : undefined;
    const filter = this.filterOf(query);
    const index = this.index;
    if (index.size === 0) return empty();
    const tuning = { ...this.searchTuning, ...query.customParams?.search };
    const withFilter = filter ? { filter } : {};

    if (plan.kind !== "mmr") {
      // alpha 1 for `default`: a text query would otherwise get the core's hybrid default.
      const alpha = plan.kind === "dense" ? 1 : plan.alpha;
      const withVector = precomputed ? { queryVector: precomputed } : {};
      const { hits } = await index.search(input, { ...tuning, ...withFilter, ...withVector, alpha, k: Math.min(k, index.size) });
      return this.result(hits, hits.map((h) => h.score));
    }

    // MMR: fetch more candidates with their exact (recomputed) embeddings, then re-rank with
    // LlamaIndex's own MMR so results match SimpleVectorStore's on the same candidates.
    const fetchK = Math.min(index.size, Math.max(k, query.customParams?.mmrFetchK ?? this.mmrFetchK ?? Math.max(MMR_MIN_FETCH, MMR_FETCH_FACTOR * k)));
    const queryVector = typeof input === "string" ? await this.embedQuery(input) : input;
    const { hits } = await index.search(queryVector, { ...tuning, ...withFilter, k: fetchK, includeVectors: true, alpha: 1 });
    if (hits.length === 0) return empty();
    const byId = new Map(hits.map((h) => [h.id, h]));
    const [similarities, ids] = getTopKMMREmbeddings(
      queryVector,
      hits.map((h) => h.vector!),
      null,
      k,
      hits.map((h) => h.id),
      null,
      query.mmrThreshold ?? null,
    );
    return this.result(ids.map((id: string) => byId.get(id)!), similarities);
  }

  /**
   * Saves the index to `persistDir` (default: the directory the store was opened from,
   * else LlamaIndex's `./storage`), crash-safely. An empty store is saved as an empty index.
   * @throws LockedError when another process is saving to `persistDir`
   */
  async persist(persistDir: string = this.persistDir ?? DEFAULT_PERSIST_DIR): Promise<void> {
    await this.index.save(persistDir);
  }

  /**
   * Releases the index's open files once the queries and writes in flight are done; every call
   * returns that same promise. Later calls reject with ClosedError.
   */
  close(): Promise<void> {
    return this.index.close();
  }

  // ---------------------------------------------------------------------------------


  private async autoSave(): Promise<void> {
    if (this.autoPersist && this.persistDir !== undefined) await this.index.save(this.persistDir);
  }

  /** The vectors to give the core: undefined when no node has one (the core embeds them all). */
  private async vectorsOf(nodes: BaseNode[], texts: string[]): Promise<number[][] | undefined> {
    const given = nodes.map((n) => (Array.isArray(n.embedding) && n.embedding.length > 0 ? n.embedding : undefined));
    const missing = given.flatMap((v, i) => (v ? [] : [i]));
    if (missing.length === nodes.length) return undefined;
    if (missing.length > 0) {
      let computed: number[][];
      try {
        computed = await this.embedder.embedDocuments(missing.map((i) => texts[i]!));
      } catch (err) {
        throw new EmbedderError(`${this.embedModel.constructor.name}.getTextEmbeddings failed on ${missing.length} nodes without embeddings: ${(err as Error)?.message ?? err}`, {
          cause: err,
        });
      }
      missing.forEach((i, j) => (given[i] = computed[j]));
    }
    return given as number[][];
  }

  /** A query vector is taken to come from Settings.embedModel: VectorStoreIndex's retrievers embed with it. */
  private checkQueryModel(): void {
    const queryModel = settingsEmbedModel();
    if (this.allowModelMismatch || !queryModel) return;
    checkQueryModel(queryModel, this.embedModel, this.index.model);
  }

  /**
   * The query vector a hybrid query's dense side can use instead of embedding `queryStr` again (VectorStoreIndex's
   * retrievers always send one): only when it comes from the store's model, as checkQueryModel decides; otherwise
   * (or without one) undefined, and the core embeds the text with the store's model, as before.
   */
  private hybridQueryVector(query: VectorStoreQuery<LeannQueryParams>): number[] | undefined {
    const e = query.queryEmbedding;
    if (!Array.isArray(e) || e.length === 0) return undefined;
    const queryModel = settingsEmbedModel();
    const same = this.allowModelMismatch || !queryModel || sameQueryModel(queryModel, this.embedModel, this.index.model);
    return same ? e : undefined;
  }

  private async embedQuery(text: string): Promise<number[]> {
    const embedder = this.embedder;
    try {
      return embedder.embedQuery ? await embedder.embedQuery(text) : (await embedder.embedDocuments([text]))[0]!;
    } catch (err) {
      if (LeannError.isInstance(err)) throw err;
      throw new EmbedderError(`${this.embedModel.constructor.name}.getQueryEmbedding failed: ${(err as Error)?.message ?? err}`, { cause: err });
    }
  }

  private queryInput(query: VectorStoreQuery<LeannQueryParams>): string | number[] {
    const e = query.queryEmbedding;
    if (Array.isArray(e) && e.length > 0) return e;
    if (typeof query.queryStr === "string" && query.queryStr.trim().length > 0) return query.queryStr;
    throw new InvalidInputError("LeannVectorStore.query: give queryEmbedding (a vector) or queryStr (text to embed with the embed model); the query has neither.");
  }

  /** LlamaIndex filters pass straight to the core; docIds add a predicate around them. */
  private filterOf(query: VectorStoreQuery<LeannQueryParams>): SearchFilter | undefined {
    const { filters, docIds } = query;
    if (docIds === undefined || docIds === null) return filters ?? undefined;
    if (!Array.isArray(docIds)) throw new InvalidOptionsError(`query.docIds must be an array of document ids, received ${typeof docIds}.`);
    const allowed = new Set(docIds);
    const inner = compileFilter(filters ?? undefined);
    return (metadata: Metadata, id: string) => {
      if (!allowed.has(id)) {
        const ref = refDocIdOf(metadata);
        if (ref === undefined || !allowed.has(ref)) return false;
      }
      return inner ? inner(metadata, id) : true;
    };
  }

  private result(hits: SearchHit[], similarities: number[]): VectorStoreQueryResult {
    return { nodes: hits.map(passageToNode), similarities, ids: hits.map((h) => h.id) };
  }
}

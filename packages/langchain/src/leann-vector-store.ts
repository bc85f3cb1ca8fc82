import { randomUUID } from "node:crypto";
import type { Callbacks } from "@langchain/core/callbacks/manager";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import type { EmbeddingsInterface } from "@langchain/core/embeddings";
import { maximalMarginalRelevance } from "@langchain/core/utils/math";
import { SaveableVectorStore, type MaxMarginalRelevanceSearchOptions, type VectorStoreRetriever, type VectorStoreRetrieverInput } from "@langchain/core/vectorstores";
import {
  ClosedError,
  DEFAULTS,
  EmbedderError,
  InvalidInputError,
  InvalidOptionsError,
  LeannError,
  LeannIndex,
  type BuildOptions,
  type LoadOptions,
  type MetadataFilters,
  type PassageInput,
  type SearchFilter,
  type SearchHit,
  type SearchOptions,
} from "@leann/core";
import { LeannHybridRetriever, type LeannHybridRetrieverFields } from "./hybrid-retriever.js";

/** A predicate on the stored document, as MemoryVectorStore takes. */
export type LeannDocumentFilter = (doc: Document) => boolean;

/**
 * A filter: a predicate on the document, or the core's declarative metadata filter
 * (`{ filters: [{ key, operator, value }], condition: "and" | "or" }`, LlamaIndex operators).
 * Either way it is applied inside the search, so `k` results come back when `k` match.
 */
export type LeannFilter = LeannDocumentFilter | MetadataFilters;

/** Options of `LeannVectorStore`; each group passes through to `@leann/core` unchanged. */
export interface LeannVectorStoreArgs {
  /** Tuning of the index (`LeannIndex.create`: metric, M, efConstruction, pqBits, ...); the first add builds with it. */
  buildOptions?: Omit<BuildOptions, "embedder" | "vectors">;
  /** Defaults of every search (ef, maxRecompute, mode, ...); `k`, `filter` and `alpha` come from each call. */
  searchOptions?: Omit<SearchOptions, "k" | "filter" | "includeVectors" | "alpha" | "queryVector">;
  /** Options of `LeannIndex.load`, used by `LeannVectorStore.load` (allowModelMismatch, cacheBytes, ...). */
  loadOptions?: Omit<LoadOptions, "embedder">;
}

/** Options of `hybridSearch` / `hybridSearchWithScore`. */
export interface LeannHybridSearchOptions {
  /** Dense share of the fused score, in [0, 1]: 1 = dense only, 0 = keyword (BM25) only. Default 0.4 (the core's). */
  alpha?: number;
  filter?: LeannFilter;
}

/** Options of `addDocuments` / `addVectors`: the shape LangChain's indexing API passes. */
export interface LeannAddOptions {
  /** One id per document, used when the document has no `id` of its own. */
  ids?: string[];
}

const ARG_KEYS = new Set(["buildOptions", "searchOptions", "loadOptions"]);
/** What LangChain's MemoryVectorStore fetches before MMR re-ranking. */
const DEFAULT_FETCH_K = 20;
/** maximalMarginalRelevance's own default: relevance and diversity weighed equally. */
const DEFAULT_LAMBDA = 0.5;

function checkArgs(args: unknown): LeannVectorStoreArgs {
  if (args === undefined || args === null) return {};
  if (typeof args !== "object" || Array.isArray(args)) {
    throw new InvalidOptionsError(`LeannVectorStore: options must be an object { buildOptions?, searchOptions?, loadOptions? }, received ${Array.isArray(args) ? "an array" : typeof args}.`);
  }
  const unknown = Object.keys(args).filter((k) => !ARG_KEYS.has(k));
  if (unknown.length > 0) {
    throw new InvalidOptionsError(
      `LeannVectorStore: unknown option ${unknown.map((k) => JSON.stringify(k)).join(", ")}. ` +
        `Options are { buildOptions, searchOptions, loadOptions }; put index tuning such as M or ef inside buildOptions or searchOptions.`,
    );
  }
  return args as LeannVectorStoreArgs;
}

/** Documents to passages; ids are `doc.id ?? ids[i] ?? a new UUID`. */
function toPassages(documents: DocumentInterface[], ids: unknown, where: string): Required<PassageInput>[] {
  if (!Array.isArray(documents)) throw new InvalidInputError(`${where}: documents must be an array of Documents, received ${typeof documents}.`);
  if (ids !== undefined && (!Array.isArray(ids) || ids.length !== documents.length)) {
    throw new InvalidInputError(
      `${where}: options.ids has ${Array.isArray(ids) ? `${ids.length} ids` : `type ${typeof ids}`} for ${documents.length} documents; give exactly one id per document, or none.`,
    );
  }
  return documents.map((doc, i) => {
    if (typeof doc !== "object" || doc === null) throw new InvalidInputError(`${where}: document ${i} must be a Document { pageContent, metadata }, received ${doc === null ? "null" : typeof doc}.`);
    return { id: doc.id ?? (ids as string[] | undefined)?.[i] ?? randomUUID(), text: doc.pageContent, metadata: doc.metadata ?? {} };
  });
}

function toDocument(hit: SearchHit): Document {
  return new Document({ pageContent: hit.text, metadata: hit.metadata, id: hit.id });
}

/**
 * A LangChain vector store on a LEANN index: a pruned graph and small PQ codes, no
 * stored embeddings. At search time the store's own `Embeddings` recompute the exact
 * embeddings of the few candidates the search needs, so it swaps in for
 * `MemoryVectorStore` or `HNSWLib` by changing the constructor only.
 *
 * Scores are similarities: higher is more similar (cosine similarity by default, the
 * same numbers MemoryVectorStore returns), unlike HNSWLib's distances.
 *
 * The store starts with an empty index (`LeannIndex.create`) that the first add builds
 * (LEANN builds from a batch); later adds insert into it. The index orders the calls:
 * writes one at a time, searches never overlapping a write.
 */
export class LeannVectorStore extends SaveableVectorStore {
  declare FilterType: LeannFilter;

  private index: LeannIndex;
  private readonly args: LeannVectorStoreArgs;
  /** Set by close(): later calls reject with a ClosedError that says how to reopen the store. */
  private closed = false;

  /**
   * @throws InvalidOptionsError for options other than { buildOptions, searchOptions, loadOptions }, or
   * build options the index refuses
   */
  constructor(embeddings: EmbeddingsInterface, args: LeannVectorStoreArgs = {}) {
    const checked = checkArgs(args);
    super(embeddings, checked);
    this.args = checked;
    this.index = LeannIndex.create({ ...checked.buildOptions, embedder: embeddings });
  }

  override _vectorstoreType(): string {
    return "leann";
  }

  /** Number of documents the store holds. */
  get size(): number {
    return this.index.size;
  }

  /**
   * Embeds and indexes documents with the store's embeddings; returns their ids
   * (`doc.id ?? options.ids[i] ?? a new UUID`). An id already in the store is replaced.
   * @throws InvalidInputError for ids and documents of different lengths, empty texts, or metadata JSON cannot hold
   * @throws DuplicateIdError when one call holds the same id twice
   * @throws EmbedderError / DimensionMismatchError when the embeddings misbehave
   */
  override async addDocuments(documents: DocumentInterface[], options?: LeannAddOptions): Promise<string[]> {
    return this.write(toPassages(documents, options?.ids, "LeannVectorStore.addDocuments"), undefined);
  }

  /**
   * Indexes documents with vectors you already have: they place the documents in the
   * graph and are then dropped (searches recompute embeddings with the store's embeddings,
   * so the vectors must come from the same model).
   * @throws InvalidInputError for vectors, ids and documents of different lengths
   * @throws DimensionMismatchError for vectors of another length than the index's
   */
  override async addVectors(vectors: number[][], documents: DocumentInterface[], options?: LeannAddOptions): Promise<string[]> {
    const passages = toPassages(documents, options?.ids, "LeannVectorStore.addVectors");
    if (!Array.isArray(vectors) || vectors.length !== passages.length) {
      throw new InvalidInputError(
        `LeannVectorStore.addVectors: ${Array.isArray(vectors) ? vectors.length : typeof vectors} vectors for ${passages.length} documents; give exactly one vector per document.`,
      );
    }
    return this.write(passages, vectors);
  }

  private async write(passages: Required<PassageInput>[], vectors: number[][] | undefined): Promise<string[]> {
    this.checkOpen();
    if (passages.length === 0) return [];
    // Only embeddings with load() wait here; the others reach the index's queue at once, in call order.
    await this.index.add(passages, vectors ? { vectors } : {});
    return passages.map((p) => p.id);
  }


  /**
   * Deletes documents by id; unknown ids are ignored.
   * @throws InvalidInputError when `ids` is not an array of strings
   */
  override async delete(params?: { ids?: string[] }): Promise<void> {
    const ids = params?.ids;
    if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
      throw new InvalidInputError(`LeannVectorStore.delete({ ids }): ids must be an array of strings, received ${JSON.stringify(ids) ?? typeof ids}.`);
    }
    this.checkOpen();
    if (ids.length === 0) return;
    await this.index.delete(ids);
  }

  /**
   * The `k` documents most similar to a query text, best first.
   * @throws EmbedderError when the embeddings fail to embed the query
   * @throws InvalidOptionsError for a `k` that is not a positive integer, or a malformed declarative filter
   */
  override async similaritySearch(query: string, k = 4, filter?: this["FilterType"], _callbacks?: Callbacks): Promise<Document[]> {
    return (await this.similaritySearchWithScore(query, k, filter)).map(([doc]) => doc);
  }

  /**
   * The `k` documents most similar to a query text, best first, with their similarity.
   * @throws EmbedderError when the embeddings fail to embed the query
   * @throws InvalidOptionsError for a `k` that is not a positive integer, or a malformed declarative filter
   */
  override async similaritySearchWithScore(query: string, k = 4, filter?: this["FilterType"], _callbacks?: Callbacks): Promise<[Document, number][]> {
    return this.similaritySearchVectorWithScore(await this.embedQuery(query), k, filter);
  }

  /**
   * The `k` documents most similar to a query vector, best first, with their
   * similarity (higher = more similar). The filter is applied inside the search.
   * @throws DimensionMismatchError for a query vector of another length than the index's
   * @throws InvalidOptionsError for a `k` that is not a positive integer, or a malformed declarative filter
   */
  override async similaritySearchVectorWithScore(query: number[], k: number, filter?: this["FilterType"]): Promise<[Document, number][]> {
    const hits = await this.search(query, k, filter, false);
    return hits.map((hit) => [toDocument(hit), hit.score]);
  }

  /**
   * Maximal marginal relevance: fetches `fetchK` candidates (default 20), then picks `k`
   * that are relevant and diverse, on the exact embeddings the search recomputed.
   * `lambda` (default 0.5): 1 = relevance only, 0 = diversity only.
   */
  override async maxMarginalRelevanceSearch(
    query: string,
    options: MaxMarginalRelevanceSearchOptions<this["FilterType"]>,
    _callbacks?: Callbacks,
  ): Promise<Document[]> {
    const { k, fetchK = DEFAULT_FETCH_K, lambda = DEFAULT_LAMBDA, filter } = options;
    const queryVector = await this.embedQuery(query);
    const hits = await this.search(queryVector, Math.max(fetchK, k), filter, true);
    if (hits.length === 0) return [];
    const vectors = hits.map((hit) => hit.vector ?? []);
    return maximalMarginalRelevance(queryVector, vectors, lambda, k).map((i) => toDocument(hits[i]!));
  }

  /**
   * The `k` documents best for a query text by hybrid search: dense (the query embedded, candidates recomputed)
   * and BM25 over the index's keyword index, each side's scores min-max normalised and mixed
   * `alpha * dense + (1 - alpha) * keyword`. Finds identifiers and exact words dense search misses.
   * `store.asRetriever({ searchType: "hybrid", searchKwargs: { alpha } })` is the retriever over it.
   * @throws InvalidOptionsError for `alpha` outside [0, 1], a bad `k` or filter, or `alpha` < 1 on an index built
   *   with `keywordIndex: false`
   * @throws InvalidInputError for an empty query
   * @throws EmbedderError when the embeddings fail (alpha > 0)
   */
  async hybridSearch(query: string, k = 4, options: LeannHybridSearchOptions = {}): Promise<Document[]> {
    return (await this.hybridSearchWithScore(query, k, options)).map(([doc]) => doc);
  }

  /**
   * `hybridSearch` with each document's fused score (in [0, 1]; with `alpha: 0`, the BM25 score; with `alpha: 1`,
   * the similarity), best first.
   * @throws as `hybridSearch`
   */
  async hybridSearchWithScore(query: string, k = 4, options: LeannHybridSearchOptions = {}): Promise<[Document, number][]> {
    if (typeof query !== "string") throw new InvalidInputError(`LeannVectorStore.hybridSearch: query must be a string (the words to match), received ${typeof query}.`);
    // An explicit alpha: an index without a keyword index refuses instead of quietly searching dense only.
    const hits = await this.search(query, k, options.filter, false, options.alpha ?? DEFAULTS.alpha);
    return hits.map((hit) => [toDocument(hit), hit.score]);
  }

  /**
   * LangChain's retriever, plus `searchType: "hybrid"` (`searchKwargs: { alpha }`): a retriever whose searches
   * are `hybridSearch`. "similarity" (the default) and "mmr" are LangChain's own, dense as ever.
   * @throws InvalidOptionsError for a hybrid `searchKwargs.alpha` outside [0, 1]
   */
  override asRetriever(fields: LeannHybridRetrieverFields): LeannHybridRetriever<this>;
  override asRetriever(
    kOrFields?: number | Partial<VectorStoreRetrieverInput<this>>,
    filter?: this["FilterType"],
    callbacks?: VectorStoreRetrieverInput<this>["callbacks"],
    tags?: string[],
    metadata?: Record<string, unknown>,
    verbose?: boolean,
  ): VectorStoreRetriever<this>;
  override asRetriever(
    kOrFields?: number | Partial<VectorStoreRetrieverInput<this>> | LeannHybridRetrieverFields,
    filter?: this["FilterType"],
    callbacks?: VectorStoreRetrieverInput<this>["callbacks"],
    tags?: string[],
    metadata?: Record<string, unknown>,
    verbose?: boolean,
  ): VectorStoreRetriever<this> {
    if (typeof kOrFields !== "object" || kOrFields === null || kOrFields.searchType !== "hybrid") {
      return super.asRetriever(kOrFields as number | Partial<VectorStoreRetrieverInput<this>> | undefined, filter, callbacks, tags, metadata, verbose);
    }
    const alpha = kOrFields.searchKwargs?.alpha;
    if (alpha !== undefined && !(typeof alpha === "number" && alpha >= 0 && alpha <= 1)) {
      throw new InvalidOptionsError(
        `LeannVectorStore.asRetriever: searchKwargs.alpha must be a number from 0 (keyword only) to 1 (dense only), received ${String(alpha)}. Omit it for the default hybrid fusion.`,
      );
    }
    return new LeannHybridRetriever<this>({ ...kOrFields, vectorStore: this, tags: [...(kOrFields.tags ?? []), this._vectorstoreType()] });
  }

  /** The base class calls `embedQuery` bare; a failing model then surfaces as the core's EmbedderError, as in adds. */
  private async embedQuery(text: string): Promise<number[]> {
    this.checkOpen();
    try {
      return await this.embeddings.embedQuery(text);
    } catch (err) {
      if (LeannError.isInstance(err)) throw err;
      throw new EmbedderError(`${this.embeddings.constructor.name}.embedQuery failed: ${(err as Error)?.message ?? err}`, { cause: err });
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError("This LeannVectorStore was closed with close(); open it again with LeannVectorStore.load(directory, embeddings).");
  }

  /** `alpha` 1 (dense only) unless a hybrid search gives its own. */
  private async search(query: number[] | string, k: number, filter: LeannFilter | undefined, includeVectors: boolean, alpha = 1): Promise<SearchHit[]> {
    this.checkOpen();
    const options: SearchOptions = { ...this.args.searchOptions, k, filter: toSearchFilter(this.index, filter), alpha };
    if (includeVectors) options.includeVectors = true;
    return (await this.index.search(query, options)).hits;
  }

  /**
   * Saves the index to `directory` (created if needed): the graph, the PQ codes and the
   * passages; no embeddings. An empty store saves as an empty index, which loads and grows.
   * @throws InvalidInputError when `directory` is not a non-empty path
   * @throws LockedError when another process is saving to `directory`
   */
  override async save(directory: string): Promise<void> {
    this.checkOpen();
    await this.index.save(directory);
  }

  /**
   * Opens a store saved with `save`. Nothing is re-embedded; one probe query checks
   * that `embeddings` has the index's dimensions.
   * @throws IndexNotFoundError when `directory` holds no index
   * @throws CorruptIndexError when a file of the index is missing, truncated or altered
   * @throws ModelMismatchError / DimensionMismatchError when `embeddings` is not the model the index was built with
   */
  static override async load(directory: string, embeddings: EmbeddingsInterface, args: LeannVectorStoreArgs = {}): Promise<LeannVectorStore> {
    const checked = checkArgs(args);
    const index = await LeannIndex.load(directory, { ...checked.loadOptions, embedder: embeddings });
    const store = new this(embeddings, checked);
    store.index = index;
    return store;
  }

  /** Builds a store from texts and their metadata (one object for all, or one per text). */
  static override async fromTexts(
    texts: string[],
    metadatas: object[] | object,
    embeddings: EmbeddingsInterface,
    args: LeannVectorStoreArgs = {},
  ): Promise<LeannVectorStore> {
    const docs = texts.map(
      (pageContent, i) => new Document({ pageContent, metadata: { ...(Array.isArray(metadatas) ? metadatas[i] : metadatas) } }),
    );
    return this.fromDocuments(docs, embeddings, args);
  }

  /** Builds a store from documents. */
  static override async fromDocuments(docs: DocumentInterface[], embeddings: EmbeddingsInterface, args: LeannVectorStoreArgs = {}): Promise<LeannVectorStore> {
    const store = new this(embeddings, args);
    await store.addDocuments(docs);
    return store;
  }

  /**
   * Releases the passage file a loaded store keeps open, once the searches and writes in
   * flight are done; every call returns that same promise. Later calls reject with ClosedError.
   */
  close(): Promise<void> {
    this.closed = true;
    return this.index.close();
  }
}

/**
 * A document predicate becomes the core's (metadata, id) predicate. The text is read
 * only if the predicate looks at `pageContent`: most filters test metadata, and a loaded
 * index keeps passage text on disk.
 */
function toSearchFilter(index: LeannIndex, filter: LeannFilter | undefined): SearchFilter | undefined {
  if (typeof filter !== "function") return filter ?? undefined;
  return (metadata, id) => {
    const doc = new Document({ pageContent: "", metadata, id });
    Object.defineProperty(doc, "pageContent", { get: () => index.get(id)?.text ?? "", enumerable: true, configurable: true });
    return filter(doc);
  };
}

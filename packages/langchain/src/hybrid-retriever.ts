import type { CallbackManagerForRetrieverRun } from "@langchain/core/callbacks/manager";
import type { DocumentInterface } from "@langchain/core/documents";
import { VectorStoreRetriever, type VectorStoreRetrieverInput } from "@langchain/core/vectorstores";
import type { LeannFilter, LeannVectorStore } from "./leann-vector-store.js";

/** `searchKwargs` of a hybrid retriever. */
export interface LeannHybridSearchKwargs {
  /**
   * Dense share of the fused score, in [0, 1], as in LlamaIndex: 1 = dense only, 0 = keyword (BM25) only.
   * Default: `@leann/core`'s default fusion (0.4).
   */
  alpha?: number;
}

/** `asRetriever` fields for hybrid retrieval: LangChain's own shape, with `searchType: "hybrid"`. */
export interface LeannHybridRetrieverFields {
  searchType: "hybrid";
  k?: number;
  filter?: LeannFilter;
  searchKwargs?: LeannHybridSearchKwargs;
  tags?: string[];
  metadata?: Record<string, unknown>;
  verbose?: boolean;
  callbacks?: VectorStoreRetrieverInput<LeannVectorStore>["callbacks"];
}

/**
 * The retriever `store.asRetriever({ searchType: "hybrid", ... })` returns: a VectorStoreRetriever (so chains,
 * `invoke`, callbacks and tags work as with any other) whose searches are the store's `hybridSearch`. LangChain's
 * own retriever knows only "similarity" and "mmr", and the store's `similaritySearch*` stay dense by contract.
 */
export class LeannHybridRetriever<V extends LeannVectorStore = LeannVectorStore> extends VectorStoreRetriever<V> {
  static override lc_name(): string {
    return "LeannHybridRetriever";
  }

  readonly alpha: number | undefined;

  constructor(fields: Omit<LeannHybridRetrieverFields, "filter"> & { vectorStore: V; filter?: LeannFilter | undefined }) {
    const { searchKwargs, searchType: _searchType, ...rest } = fields;
    super(rest as VectorStoreRetrieverInput<V>);
    this.searchType = "hybrid";
    this.alpha = searchKwargs?.alpha;
  }

  override async _getRelevantDocuments(query: string, _runManager?: CallbackManagerForRetrieverRun): Promise<DocumentInterface[]> {
    return this.vectorStore.hybridSearch(query, this.k, { ...(this.alpha !== undefined && { alpha: this.alpha }), ...(this.filter !== undefined && { filter: this.filter }) });
  }
}

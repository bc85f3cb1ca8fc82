import { InvalidOptionsError, MODEL_IDENTITY_FIELDS, ModelMismatchError, type Embedder } from "@leann/core";
import type { BaseEmbedding } from "llamaindex";
import { describeValue, isLangChainEmbedder } from "./leann-embedding.js";

/** The core's embedder seam, wrapping one LlamaIndex embedding model. */
export interface LlamaIndexEmbedder extends Embedder {
  /** The wrapped model. */
  readonly embedModel: BaseEmbedding;
  /**
   * The model's name when it exposes one; the core records it in the index and
   * refuses to open the index with a differently named model.
   */
  readonly model?: string;
  embedQuery(text: string): Promise<number[]>;
}

/**
 * The model name a LlamaIndex embedding exposes, if any, read from the fields core reads every
 * embedder's identity from (`MODEL_IDENTITY_FIELDS`: OpenAI and Ollama keep it in `model`,
 * HuggingFace in `modelType`), so the store and the index agree on what "the same model" means.
 */
export function embeddingModelName(embedModel: BaseEmbedding): string | undefined {
  // Not embedderIdentity(embedModel): that reads objects only, and a BaseEmbedding is callable.
  const fields = embedModel as unknown as Record<string, unknown>;
  for (const key of MODEL_IDENTITY_FIELDS) {
    const v = fields[key];
    if (typeof v === "string" && v.length > 0) return v;
  }
  return undefined;
}

/**
 * Checks that `value` is a LlamaIndex embedding model, with the methods LlamaIndex and this
 * package call (a `BaseEmbedding` is callable: VectorStoreIndex embeds nodes by calling it).
 * @throws InvalidOptionsError naming what was received; for a LangChain-shaped embedder, how to wrap it
 */
export function checkEmbedModel(value: unknown, where: string): asserts value is BaseEmbedding {
  const m = value as Record<string, unknown>;
  if (typeof value === "function" && typeof m.getTextEmbeddings === "function" && typeof m.getQueryEmbedding === "function") return;
  if (isLangChainEmbedder(value)) {
    throw new InvalidOptionsError(
      `${where} is a LangChain-style embedder (${value.constructor.name}: embedDocuments/embedQuery), not a LlamaIndex embedding model. ` +
        "Wrap it once: const embedModel = new LeannEmbedding(embedder) (from @leann/llamaindex), and use that for both Settings.embedModel and the store.",
    );
  }
  throw new InvalidOptionsError(
    `${where} must be a LlamaIndex embedding model (a BaseEmbedding such as OpenAIEmbedding, OllamaEmbedding or LeannEmbedding), ` +
      `received ${describeValue(value)}. A hand-made model must extend BaseEmbedding: LlamaIndex calls the model as a function to embed nodes.`,
  );
}

/**
 * Adapts a LlamaIndex `BaseEmbedding` to the core's LangChain-shaped embedder.
 * Batches go through `getTextEmbeddings` (the provider's batched call), at most
 * `embedModel.embedBatchSize` texts a call, as LlamaIndex's own pipeline sends them;
 * queries go through `getQueryEmbedding`, so models with query instructions apply them.
 * @throws InvalidOptionsError when `embedModel` is not a LlamaIndex embedding model
 */
export function embedderFromLlamaIndex(embedModel: BaseEmbedding): LlamaIndexEmbedder {
  checkEmbedModel(embedModel, "embedderFromLlamaIndex(embedModel): embedModel");
  const model = embeddingModelName(embedModel);
  const adapter: LlamaIndexEmbedder = {
    embedModel,
    async embedDocuments(texts: string[]): Promise<number[][]> {
      const batch = Math.max(1, Math.floor(embedModel.embedBatchSize) || 1);
      if (texts.length <= batch) return embedModel.getTextEmbeddings(texts);
      const out: number[][] = [];
      for (let start = 0; start < texts.length; start += batch) {
        out.push(...(await embedModel.getTextEmbeddings(texts.slice(start, start + batch))));
      }
      return out;
    },
    async embedQuery(text: string): Promise<number[]> {
      const v = await embedModel.getQueryEmbedding({ type: "text", text });
      if (!v) {
        throw new Error(
          `${embedModel.constructor.name}.getQueryEmbedding returned ${v === null ? "null" : typeof v} for a text query; expected a vector. ` +
            "Use an embedding model that embeds text queries.",
        );
      }
      return v;
    },
  };
  return model === undefined ? adapter : { ...adapter, model };
}

/**
 * False when `queryModel` and the store's model have different names (the check checkQueryModel makes); true when
 * they are one object or either name is unknown.
 */
export function sameQueryModel(queryModel: BaseEmbedding, storeModel: BaseEmbedding, recorded: string | null | undefined): boolean {
  if (queryModel === storeModel) return true;
  const used = embeddingModelName(queryModel);
  const own = embeddingModelName(storeModel) ?? recorded ?? undefined;
  return used === undefined || own === undefined || used === own;
}

/**
 * Checks that the model that embedded a query is the store's model, by name, as the core checks
 * the recomputing model when an index opens. VectorStoreIndex embeds queries with its own model
 * (`Settings.embedModel`), not the store's; two models of the same dimensions give vectors that
 * compare without error and rank the wrong passages. Unnamed models cannot be told apart and pass.
 * @throws ModelMismatchError naming both models
 */
export function checkQueryModel(queryModel: BaseEmbedding, storeModel: BaseEmbedding, recorded: string | null | undefined): void {
  if (sameQueryModel(queryModel, storeModel, recorded)) return;
  const used = embeddingModelName(queryModel);
  const own = embeddingModelName(storeModel) ?? recorded ?? undefined;
  throw new ModelMismatchError(
    `LeannVectorStore.query: the query vector comes from Settings.embedModel, model "${used}" (${queryModel.constructor.name}), ` +
      `but the store recomputes passages with model "${own}" (${storeModel.constructor.name}); similarities across two models are meaningless. ` +
      "Set Settings.embedModel to the store's model, or pass allowModelMismatch: true to the store if the two names denote the same model.",
  );
}

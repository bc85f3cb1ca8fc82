/**
 * One local model, three faces: the core's embedder, LangChain's `Embeddings` and
 * LlamaIndex's `BaseEmbedding`, each counting the texts it embeds so the demo can show
 * how many embeddings a search recomputed.
 */
import type { LocalEmbeddings } from "@leann/onnx";
import { BaseEmbedding } from "llamaindex";

export class Counter {
  texts = 0;
}

/** LangChain's `Embeddings` shape (and the core's embedder). `model` is the identity the index records. */
export function countingEmbeddings(local: LocalEmbeddings, counter: Counter) {
  return {
    model: local.modelId,
    async embedDocuments(texts: string[]): Promise<number[][]> {
      counter.texts += texts.length;
      return local.embedDocuments(texts);
    },
    async embedQuery(text: string): Promise<number[]> {
      return local.embedQuery(text);
    },
  };
}

/** LlamaIndex's `BaseEmbedding` over the same model. */
export class LocalLlamaEmbedding extends BaseEmbedding {
  readonly model: string;

  constructor(
    private readonly local: LocalEmbeddings,
    private readonly counter: Counter,
  ) {
    super();
    this.model = local.modelId;
    this.embedBatchSize = 32;
  }

  async getTextEmbedding(text: string): Promise<number[]> {
    return this.local.embedQuery(text);
  }

  // BaseEmbedding declares getTextEmbeddings as an arrow-function property: override it as a field.
  override getTextEmbeddings = async (texts: string[]): Promise<number[][]> => {
    this.counter.texts += texts.length;
    return this.local.embedDocuments(texts);
  };
}

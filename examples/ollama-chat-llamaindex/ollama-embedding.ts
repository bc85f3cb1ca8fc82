/**
 * `@leann/ollama`'s OllamaEmbeddings as a LlamaIndex `BaseEmbedding`, so LlamaIndex
 * (and `@leann/llamaindex`'s LeannVectorStore, which recomputes embeddings with it at
 * search time) gets batched, concurrent `/api/embed` requests with keep_alive and retries.
 *
 * LlamaIndex's own `OllamaEmbedding` (`@llamaindex/ollama`) sends one text per request to
 * the legacy `/api/embeddings`, one request after another; see the package's benchmark.
 */
import type { OllamaEmbeddings } from "@leann/ollama";
import { BaseEmbedding } from "llamaindex";

export class OllamaEmbeddingAdapter extends BaseEmbedding {
  /** The Ollama model: LeannVectorStore records it in the index as the model's identity. */
  readonly model: string;

  constructor(readonly embeddings: OllamaEmbeddings) {
    super();
    this.model = embeddings.model;
    // LlamaIndex (and the LEANN store's adapter) hand over at most embedBatchSize texts a
    // call (default 10). Give every call enough texts to fill all requests in flight.
    this.embedBatchSize = embeddings.options.batchSize * embeddings.options.maxConcurrency;
  }

  async getTextEmbedding(text: string): Promise<number[]> {
    return (await this.embeddings.embedDocuments([text]))[0]!;
  }

  // BaseEmbedding declares getTextEmbeddings as an arrow-function property: override it as a field.
  override getTextEmbeddings = async (texts: string[]): Promise<number[][]> => this.embeddings.embedDocuments(texts);
}

/**
 * The shipped potion-base-2M (`@leann/onnx`'s LocalEmbeddings) as a LlamaIndex
 * `BaseEmbedding`: a real model that runs offline with no download. It counts the texts
 * it embeds in batches (queries excluded) so the example can show how many embeddings a
 * LEANN search recomputes.
 */
import { LocalEmbeddings } from "@leann/onnx";
import { BaseEmbedding } from "llamaindex";

export class LocalEmbedding extends BaseEmbedding {
  /** The identity LEANN records in the index (and checks when it is opened again). */
  readonly model: string;
  texts = 0;

  constructor(private readonly local = new LocalEmbeddings()) {
    super();
    this.model = local.modelId;
    this.embedBatchSize = 64;
  }

  /** Single texts are queries: not counted, so `texts` counts what the stores embedded in batches. */
  async getTextEmbedding(text: string): Promise<number[]> {
    return this.local.embedQuery(text);
  }

  // BaseEmbedding declares getTextEmbeddings as an arrow-function property: override it as a field.
  override getTextEmbeddings = async (texts: string[]): Promise<number[][]> => {
    this.texts += texts.length;
    return this.local.embedDocuments(texts);
  };
}

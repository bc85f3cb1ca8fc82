/** The seam between `LocalEmbeddings` and the model kinds it runs. */
export interface EmbeddingBackend {
  readonly kind: "static" | "transformer";
  /** Length of every vector. */
  readonly dimensions: number;
  /** Tokens read per text (special tokens included for transformers). */
  readonly maxLength: number;
  /**
   * Embeds `texts` into `out`, row i = text i (`out.length === texts.length * dimensions`).
   * Texts are already checked non-blank strings.
   */
  embed(texts: readonly string[], out: Float32Array): Promise<void>;
  /** Releases native resources (sessions). */
  dispose(): Promise<void>;
}

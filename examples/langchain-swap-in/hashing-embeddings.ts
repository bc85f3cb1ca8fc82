import { Embeddings } from "@langchain/core/embeddings";

/** FNV-1a, 32 bits. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A deterministic, offline stand-in for a real embedding model: each word and word pair
 * adds its own pseudo-random dense direction (seeded by its hash), and the sum is
 * L2-normalised. Texts that share words come out similar, and the vectors are dense
 * floats like a real model's, so the bytes on disk compare fairly.
 * Swap in any LangChain `Embeddings` (OpenAIEmbeddings, OllamaEmbeddings, ...) unchanged.
 */
export class HashingEmbeddings extends Embeddings {
  readonly modelName: string;

  constructor(readonly dims = 384) {
    super({});
    this.modelName = `hashing-bow-${dims}`;
  }

  private embed(text: string): number[] {
    const v = new Array<number>(this.dims).fill(0);
    const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
    for (const f of [...words, ...words.slice(1).map((w, i) => `${words[i]} ${w}`)]) {
      // xorshift32 from the feature's hash: the same word always adds the same direction.
      let x = hash(f) || 1;
      for (let j = 0; j < this.dims; j++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        v[j]! += (x >>> 0) / 2147483648 - 1;
      }
    }
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    return texts.map((t) => this.embed(t));
  }

  async embedQuery(text: string): Promise<number[]> {
    return this.embed(text);
  }
}

/**
 * Offline stand-ins so the example runs anywhere, deterministically. In an app, use a
 * real model instead (OpenAIEmbedding, HuggingFaceEmbedding, OllamaEmbedding, ...):
 * LEANN calls it at search time to recompute the embeddings of a few candidates.
 */
import { BaseEmbedding, BaseLLM, type ChatResponse, type ChatResponseChunk, type LLMChatParamsNonStreaming, type LLMChatParamsStreaming, type LLMMetadata } from "llamaindex";

const words = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
const STOPWORDS = new Set("a an and are as at be by for from how in is it of on or so that the their then this to what which with".split(" "));

function fnv1a(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A small seeded PRNG (mulberry32): the same feature always gets the same dense direction. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A bag-of-words "model": each word and word pair adds a fixed pseudo-random direction,
 * so texts sharing words are similar. Its vectors are dense floats, like a real model's
 * (which matters when comparing what stores put on disk).
 */
export class HashingEmbedding extends BaseEmbedding {
  readonly model: string;
  calls = 0;
  texts = 0;

  constructor(readonly dims = 384) {
    super();
    this.model = `hashing-bow-${dims}`;
  }

  embed(text: string): number[] {
    const v = new Array<number>(this.dims).fill(0);
    const ws = words(text).filter((w) => !STOPWORDS.has(w));
    const features = [...ws, ...ws.slice(1).map((w, i) => `${ws[i]} ${w}`)];
    for (const f of features) {
      const rand = mulberry32(fnv1a(f));
      const weight = f.includes(" ") ? 0.5 : 1;
      for (let j = 0; j < this.dims; j++) v[j]! += weight * (rand() * 2 - 1);
    }
    v[0]! += 1e-3; // never the zero vector
    return v;
  }

  async getTextEmbedding(text: string): Promise<number[]> {
    return this.embed(text);
  }

  // BaseEmbedding declares getTextEmbeddings as an arrow-function property: override it as a field.
  override getTextEmbeddings = async (texts: string[]): Promise<number[][]> => {
    this.calls++;
    this.texts += texts.length;
    return texts.map((t) => this.embed(t));
  };
}

/** An "LLM" that answers with the context sentence sharing the most words with the query. */
export class ExtractiveLLM extends BaseLLM {
  metadata: LLMMetadata = { model: "extractive", temperature: 0, topP: 1, contextWindow: 8192, tokenizer: undefined, structuredOutput: false };

  private answer(prompt: string): string {
    const context = prompt.split("---------------------")[1] ?? "";
    const query = new Set(words(prompt.match(/Query: (.*)/)?.[1] ?? "").filter((w) => !STOPWORDS.has(w)));
    let best = "The context does not say.";
    let bestScore = 0;
    for (const sentence of context.split(/(?<=[.!?])\s+|\n+/).map((s) => s.trim()).filter(Boolean)) {
      const score = words(sentence).filter((w) => query.has(w)).length;
      if (score > bestScore) [best, bestScore] = [sentence, score];
    }
    return best;
  }

  chat(params: LLMChatParamsStreaming): Promise<AsyncIterable<ChatResponseChunk>>;
  chat(params: LLMChatParamsNonStreaming): Promise<ChatResponse>;
  async chat(params: LLMChatParamsStreaming | LLMChatParamsNonStreaming): Promise<AsyncIterable<ChatResponseChunk> | ChatResponse> {
    const last = params.messages.at(-1)?.content ?? "";
    const text = this.answer(typeof last === "string" ? last : last.map((c) => ("text" in c ? c.text : "")).join("\n"));
    if (params.stream) {
      return (async function* () {
        yield { delta: text, raw: null };
      })();
    }
    return { message: { role: "assistant", content: text }, raw: null };
  }
}

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BaseEmbedding,
  BaseLLM,
  Document,
  MetadataMode,
  NodeRelationship,
  Settings,
  TextNode,
  type ChatResponse,
  type ChatResponseChunk,
  type LLM,
  type LLMChatParamsNonStreaming,
  type LLMChatParamsStreaming,
  type LLMMetadata,
  type Metadata,
} from "llamaindex";

const tokens = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

function fnv(s: string, seed = 2166136261): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * A deterministic bag-of-words embedding: each word adds ±1 to a hashed dimension.
 * Texts that share words are similar, so retrieval behaves like a real model's on
 * keyword-heavy queries. Records every batch it embeds.
 */
export class HashEmbedding extends BaseEmbedding {
  model: string;
  readonly batches: string[][] = [];
  readonly queries: string[] = [];

  constructor(readonly dims = 64, model = `hash-bow-${dims}`) {
    super();
    this.model = model;
  }

  embed(text: string): number[] {
    const v = new Array<number>(this.dims).fill(0);
    v[0] = 0.05; // never the zero vector
    for (const t of tokens(text)) {
      const h = fnv(t);
      v[1 + (h % (this.dims - 1))]! += h & 0x80000000 ? -1 : 1;
    }
    return v;
  }

  async getTextEmbedding(text: string): Promise<number[]> {
    return this.embed(text);
  }

  override async getQueryEmbedding(query: Parameters<BaseEmbedding["getQueryEmbedding"]>[0]): Promise<number[] | null> {
    const text = typeof query === "object" && query.type === "text" ? query.text : "";
    this.queries.push(text);
    return this.embed(text);
  }

  // An arrow-function property in BaseEmbedding: override as a class field.
  override getTextEmbeddings = async (texts: string[]): Promise<number[][]> => {
    this.batches.push(texts);
    return texts.map((t) => this.embed(t));
  };

  get embeddedTexts(): number {
    return this.batches.reduce((s, b) => s + b.length, 0);
  }
}

/**
 * An offline LLM that answers from the context it is given: it returns the context
 * sentence sharing the most words with the query (ties: the first). Good enough to
 * check that a query engine answers from the retrieved nodes.
 */
export class ExtractiveLLM extends BaseLLM {
  metadata: LLMMetadata = {
    model: "extractive-fake",
    temperature: 0,
    topP: 1,
    contextWindow: 4096,
    tokenizer: undefined,
    structuredOutput: false,
  };
  readonly prompts: string[] = [];

  answer(prompt: string): string {
    this.prompts.push(prompt);
    const context = prompt.split("---------------------")[1] ?? "";
    const query = new Set(tokens(prompt.match(/Query: (.*)/)?.[1] ?? ""));
    let best = "I don't know.", bestScore = 0;
    for (const sentence of context.split(/(?<=[.!?])\s+|\n+/).map((s) => s.trim()).filter(Boolean)) {
      const score = tokens(sentence).filter((t) => query.has(t)).length;
      if (score > bestScore) [best, bestScore] = [sentence, score];
    }
    return best;
  }

  chat(params: LLMChatParamsStreaming): Promise<AsyncIterable<ChatResponseChunk>>;
  chat(params: LLMChatParamsNonStreaming): Promise<ChatResponse>;
  async chat(params: LLMChatParamsStreaming | LLMChatParamsNonStreaming): Promise<AsyncIterable<ChatResponseChunk> | ChatResponse> {
    const last = params.messages[params.messages.length - 1];
    const prompt = typeof last?.content === "string" ? last.content : (last?.content ?? []).map((c) => ("text" in c ? c.text : "")).join("\n");
    const text = this.answer(prompt);
    if (params.stream) {
      return (async function* () {
        yield { delta: text, raw: null };
      })();
    }
    return { message: { role: "assistant", content: text }, raw: null };
  }
}

/** Sets Settings.embedModel / Settings.llm for a test and returns a function restoring the previous ones. */
export function useSettings(models: { embedModel?: BaseEmbedding | null; llm?: LLM | null }): () => void {
  const read = <T>(get: () => T): T | null => {
    try {
      return get();
    } catch {
      return null; // unset: the getters throw
    }
  };
  const before = { embedModel: read(() => Settings.embedModel), llm: read(() => Settings.llm) };
  const settings = Settings as unknown as { embedModel: BaseEmbedding | null; llm: LLM | null };
  if (models.embedModel !== undefined) settings.embedModel = models.embedModel;
  if (models.llm !== undefined) settings.llm = models.llm;
  return () => {
    settings.embedModel = before.embedModel;
    settings.llm = before.llm;
  };
}

export function tempDir(prefix = "leann-llamaindex-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A text node belonging to source document `docId`; with `embed`, it carries the embedding
 * LlamaIndex would give it (of its content with metadata, MetadataMode.EMBED).
 */
export function nodeOf(id: string, text: string, docId: string, metadata: Metadata = {}, embed?: HashEmbedding): TextNode {
  const node = new TextNode({ id_: id, text, metadata, relationships: { [NodeRelationship.SOURCE]: { nodeId: docId, metadata: {} } } });
  if (embed) node.embedding = embed.embed(node.getContent(MetadataMode.EMBED));
  return node;
}

/** A small corpus: three documents about different topics, each a few sentences. */
export const CORPUS = [
  new Document({
    id_: "doc-birds",
    text:
      "Swallows migrate to Africa every autumn.\n\nOwls hunt at night and see well in the dark.\n\n" +
      "Penguins cannot fly but swim very fast in cold water.",
    metadata: { topic: "birds", year: 2021 },
  }),
  new Document({
    id_: "doc-cheese",
    text:
      "Cheddar cheese comes from the village of Cheddar in England.\n\nBrie is a soft cheese from France.\n\n" +
      "Parmesan cheese ages for at least twelve months.",
    metadata: { topic: "cheese", year: 2022 },
  }),
  new Document({
    id_: "doc-rockets",
    text:
      "Rockets carry their own oxygen to burn fuel in space.\n\nThe Saturn V rocket took astronauts to the Moon.\n\n" +
      "Reusable rockets land back on a pad after launch.",
    metadata: { topic: "rockets", year: 2023 },
  }),
];

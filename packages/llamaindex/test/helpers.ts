import { bagOfWordsVector, SMALL_CORPUS, words } from "@leann/testing";
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

export { tempDir } from "@leann/testing";

/**
 * The kit's bag-of-words vectors (`bagOfWordsVector`) as a LlamaIndex `BaseEmbedding`
 * subclass, the kind of model users hand the store: texts that share words are similar,
 * so retrieval behaves like a real model's on keyword-heavy queries. Records every batch
 * it embeds.
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
    return bagOfWordsVector(text, this.dims);
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
    const query = new Set(words(prompt.match(/Query: (.*)/)?.[1] ?? ""));
    let best = "I don't know.", bestScore = 0;
    for (const sentence of context.split(/(?<=[.!?])\s+|\n+/).map((s) => s.trim()).filter(Boolean)) {
      const score = words(sentence).filter((t) => query.has(t)).length;
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

/**
 * A text node belonging to source document `docId`; with `embed`, it carries the embedding
 * LlamaIndex would give it (of its content with metadata, MetadataMode.EMBED).
 */
export function nodeOf(id: string, text: string, docId: string, metadata: Metadata = {}, embed?: HashEmbedding): TextNode {
  const node = new TextNode({ id_: id, text, metadata, relationships: { [NodeRelationship.SOURCE]: { nodeId: docId, metadata: {} } } });
  if (embed) node.embedding = embed.embed(node.getContent(MetadataMode.EMBED));
  return node;
}

/** The kit's three short documents (birds, cheese, rockets) as LlamaIndex Documents. */
export const CORPUS = SMALL_CORPUS.map((d) => new Document({ id_: d.id, text: d.text, metadata: { ...d.metadata } }));

/**
 * An offline stand-in for the language model, so the example runs anywhere,
 * deterministically. In an app, use a real LLM instead (OpenAI, Ollama, ...).
 */
import { BaseLLM, type ChatResponse, type ChatResponseChunk, type LLMChatParamsNonStreaming, type LLMChatParamsStreaming, type LLMMetadata } from "llamaindex";

const words = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
const STOPWORDS = new Set("a an and are as at be by for from how in is it of on or so that the their then this to what which with".split(" "));

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

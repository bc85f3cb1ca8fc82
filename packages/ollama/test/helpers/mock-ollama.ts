/**
 * An Ollama server double for msw 2: `/api/embed` (batched), the legacy
 * `/api/embeddings` (one text), `/api/chat` (streamed NDJSON or one JSON),
 * `/api/tags` and `/api/show`, with the status codes and error bodies Ollama sends.
 *
 * Embeddings are a deterministic hashed bag of words, so texts that share words are
 * close and retrieval over them behaves like a (crude) real model. Every request is
 * logged; requests in flight are counted; a fixed latency per request and per text
 * can be set; faults can be queued per endpoint.
 */
import { delay, http, HttpResponse, type HttpHandler } from "msw";
import { setupServer } from "msw/node";
import { bagOfWordsVector, fnv1a } from "@leann/testing";

export type Fault =
  /** Answer with this status and Ollama's `{ error }` body. */
  | { status: number; error?: string }
  /** A network failure (the connection drops). */
  | { network: true }
  /** Wait this long, then answer normally (to trip timeouts). */
  | { hangMs: number }
  /** Answer 200 with this JSON body instead of the real one. */
  | { body: unknown }
  /** Answer 200 with this text (not JSON). */
  | { text: string }
  /** Answer normally (to let some requests through before a fault). */
  | { pass: true };

export interface MockChatRequest {
  model: string;
  messages: { role: string; content: string }[];
  stream: boolean;
  keep_alive?: string | number;
}

export interface MockOllamaOptions {
  baseUrl?: string;
  /** Installed embedding models and their embedding lengths. */
  embedModels?: Record<string, number>;
  /** Installed chat models. */
  chatModels?: string[];
  /** Latency of every request, ms. */
  perRequestMs?: number;
  /** Extra latency per text embedded, ms. */
  perTextMs?: number;
  /**
   * Embedding requests the server works on at once (Ollama's OLLAMA_NUM_PARALLEL); the
   * rest queue, as on a real server. Default: unlimited.
   */
  serverParallel?: number;
  /** The assistant's answer to a chat request (default: a fixed sentence). */
  reply?: (req: MockChatRequest) => string;
}

export interface LoggedRequest {
  path: string;
  body: Record<string, unknown>;
  /** `performance.now()` at arrival. */
  at: number;
}

const EMBED_PATHS = new Set(["/api/embed", "/api/embeddings"]);

/**
 * The mock's embedding: the kit's hashed, signed bag of lower-cased words of three
 * letters or more, L2-normalised (a text with none is the first axis).
 */
export function mockEmbedding(text: string, dims: number): number[] {
  return bagOfWordsVector(text, dims, { minWordLength: 3 });
}

const withLatest = (m: string) => (m.slice(m.lastIndexOf("/") + 1).includes(":") ? m : `${m}:latest`);

export class MockOllama {
  readonly baseUrl: string;
  readonly embedModels: Map<string, number>;
  readonly chatModels: Set<string>;
  perRequestMs: number;
  perTextMs: number;
  serverParallel: number;
  reply: (req: MockChatRequest) => string;
  /** Every request, in arrival order. */
  readonly requests: LoggedRequest[] = [];
  /** Embedding requests in flight now, and the most seen at once. */
  inFlight = 0;
  maxInFlight = 0;
  private readonly faults = new Map<string, Fault[]>();
  private working = 0;
  private readonly queue: (() => void)[] = [];

  /** Runs `work` when one of the server's `serverParallel` slots is free. */
  private async serve(work: () => Promise<void>): Promise<void> {
    if (this.working >= this.serverParallel) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.working++;
    try {
      await work();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.working--;
    }
  }

  constructor(o: MockOllamaOptions = {}) {
    this.baseUrl = (o.baseUrl ?? "http://127.0.0.1:11434").replace(/\/$/, "");
    this.embedModels = new Map(Object.entries(o.embedModels ?? { "nomic-embed-text": 64 }).map(([k, v]) => [withLatest(k), v]));
    this.chatModels = new Set((o.chatModels ?? ["llama3.2"]).map(withLatest));
    this.perRequestMs = o.perRequestMs ?? 0;
    this.perTextMs = o.perTextMs ?? 0;
    this.serverParallel = o.serverParallel ?? Number.POSITIVE_INFINITY;
    this.reply = o.reply ?? (() => "LEANN stores no embeddings; it recomputes them at search time.");
  }

  /** Queues faults for the next requests to `path` (one fault a request, in order). */
  failNext(path: string, ...faults: Fault[]): this {
    this.faults.set(path, [...(this.faults.get(path) ?? []), ...faults]);
    return this;
  }

  /** Requests to one path. */
  calls(path: string): LoggedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  reset(): void {
    this.requests.length = 0;
    this.faults.clear();
    this.inFlight = 0;
    this.maxInFlight = 0;
  }

  get handlers(): HttpHandler[] {
    const route = (method: "get" | "post", path: string, answer: (body: Record<string, unknown>) => Promise<Response> | Response) =>
      http[method](`${this.baseUrl}${path}`, async ({ request }) => {
        const body = method === "post" ? ((await request.json().catch(() => ({}))) as Record<string, unknown>) : {};
        this.requests.push({ path, body, at: performance.now() });
        const counted = EMBED_PATHS.has(path);
        if (counted) this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
        try {
          const texts = path === "/api/embed" ? (Array.isArray(body.input) ? body.input.length : 1) : path === "/api/embeddings" ? 1 : 0;
          const latency = this.perRequestMs + this.perTextMs * texts;
          if (latency > 0) {
            if (counted) await this.serve(() => delay(latency));
            else await delay(latency);
          }
          const fault = this.faults.get(path)?.shift();
          if (fault) {
            if ("pass" in fault) return await answer(body);
            if ("network" in fault) return HttpResponse.error();
            if ("status" in fault) return HttpResponse.json({ error: fault.error ?? `mock failure ${fault.status}` }, { status: fault.status });
            if ("body" in fault) return HttpResponse.json(fault.body as never);
            if ("text" in fault) return new HttpResponse(fault.text, { headers: { "Content-Type": "application/json" } });
            await delay(fault.hangMs);
          }
          return await answer(body);
        } finally {
          if (counted) this.inFlight--;
        }
      });
    return [
      route("post", "/api/embed", (b) => this.embed(b)),
      route("post", "/api/embeddings", (b) => this.legacyEmbed(b)),
      route("post", "/api/chat", (b) => this.chat(b as unknown as MockChatRequest)),
      route("get", "/api/tags", () => this.tags()),
      route("post", "/api/show", (b) => this.show(b)),
    ];
  }

  private notFound(model: unknown): Response {
    return HttpResponse.json({ error: `model "${String(model)}" not found, try pulling it first` }, { status: 404 });
  }

  private embed(b: Record<string, unknown>): Response {
    const dims = this.embedModels.get(withLatest(String(b.model)));
    if (dims === undefined) return this.notFound(b.model);
    const input = Array.isArray(b.input) ? (b.input as string[]) : [String(b.input)];
    return HttpResponse.json({
      model: b.model,
      embeddings: input.map((t) => mockEmbedding(t, dims)),
      total_duration: 1000,
      load_duration: 10,
      prompt_eval_count: input.length,
    });
  }

  private legacyEmbed(b: Record<string, unknown>): Response {
    const dims = this.embedModels.get(withLatest(String(b.model)));
    if (dims === undefined) return this.notFound(b.model);
    return HttpResponse.json({ embedding: mockEmbedding(String(b.prompt), dims) });
  }

  private chat(req: MockChatRequest): Response {
    if (!this.chatModels.has(withLatest(String(req.model)))) return this.notFound(req.model);
    const text = this.reply(req);
    const created_at = new Date(0).toISOString();
    const final = { model: req.model, created_at, message: { role: "assistant", content: "" }, done: true, done_reason: "stop", eval_count: 7 };
    if (req.stream === false) {
      return HttpResponse.json({ ...final, message: { role: "assistant", content: text } });
    }
    // One NDJSON line per word, as Ollama streams tokens, then the closing line.
    const pieces = text.match(/\s*\S+/g) ?? [];
    const lines = [...pieces.map((content) => ({ model: req.model, created_at, message: { role: "assistant", content }, done: false })), final];
    const enc = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (const line of lines) {
          controller.enqueue(enc.encode(`${JSON.stringify(line)}\n`));
          await delay(1);
        }
        controller.close();
      },
    });
    return new HttpResponse(stream, { headers: { "Content-Type": "application/x-ndjson" } });
  }

  private tags(): Response {
    const models = [...this.embedModels.keys(), ...this.chatModels].map((name) => ({
      name,
      model: name,
      modified_at: new Date(0).toISOString(),
      size: 1000,
      digest: fnv1a(name).toString(16),
      details: { format: "gguf", family: "mock", parameter_size: "1M", quantization_level: "F16" },
    }));
    return HttpResponse.json({ models });
  }

  private show(b: Record<string, unknown>): Response {
    const name = withLatest(String(b.model));
    const dims = this.embedModels.get(name);
    if (dims === undefined && !this.chatModels.has(name)) return this.notFound(b.model);
    const arch = dims === undefined ? "llama" : "nomic-bert";
    return HttpResponse.json({
      modelfile: "",
      parameters: "",
      template: "",
      details: { parent_model: "", format: "gguf", family: arch, families: [arch], parameter_size: "1M", quantization_level: "F16" },
      model_info: { "general.architecture": arch, [`${arch}.embedding_length`]: dims ?? 2048, [`${arch}.context_length`]: 2048 },
      capabilities: dims === undefined ? ["completion"] : ["embedding"],
    });
  }
}

/** Starts an msw server with the mock's handlers; unhandled requests fail the test (no real network). */
export function startMockOllama(o: MockOllamaOptions = {}): { mock: MockOllama; server: ReturnType<typeof setupServer> } {
  const mock = new MockOllama(o);
  const server = setupServer(...mock.handlers);
  server.listen({ onUnhandledRequest: "error" });
  return { mock, server };
}

/**
 * An OpenAI-compatible `/v1/embeddings` double for msw 2 on a loopback URL. Vectors are
 * a deterministic hashed bag of words (texts sharing words are close), so an index built
 * through it retrieves like a crude real model. Every request is logged; requests in
 * flight are counted; faults can be queued; a gate can hold answers back.
 */
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { fakeEmbedding } from "./fake-embedding.js";

export { fakeEmbedding };

export type Fault =
  /** Answer with this status, OpenAI's `{ error: { message } }` body and these headers. */
  | { status: number; message?: string; headers?: Record<string, string> }
  /** Answer 200 with this JSON body instead of the real one. */
  | { body: unknown }
  /** Answer 200 with vectors of this length instead of the model's. */
  | { dims: number };

export interface LoggedRequest {
  body: { model: string; input: string[]; dimensions?: number };
  authorization: string | null;
}

export class FakeOpenAI {
  readonly requests: LoggedRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private readonly faults: Fault[] = [];
  /** While set, every answer waits for it. */
  gate: Promise<void> | undefined;
  /** Called as each request arrives (after counting it in flight). */
  onArrival: (() => void) | undefined;

  constructor(
    readonly baseURL: string,
    /** Embedding length by model name; other models get 404 model_not_found. */
    readonly models: Record<string, number>,
  ) {}

  /** Faults for the next requests, one each, in order. */
  fail(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  reset(): void {
    this.requests.length = 0;
    this.faults.length = 0;
    this.inFlight = this.maxInFlight = 0;
    this.gate = undefined;
    this.onArrival = undefined;
  }

  handlers() {
    return [
      http.post(`${this.baseURL}/embeddings`, async ({ request }) => {
        const body = (await request.json()) as LoggedRequest["body"];
        this.requests.push({ body, authorization: request.headers.get("authorization") });
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          this.onArrival?.();
          if (this.gate) await this.gate;
          return this.answer(body);
        } finally {
          this.inFlight--;
        }
      }),
    ];
  }

  private answer(body: LoggedRequest["body"]) {
    const fault = this.faults.shift();
    if (fault && "status" in fault) {
      return HttpResponse.json({ error: { message: fault.message ?? "fault", type: "server_error" } }, { status: fault.status, headers: fault.headers ?? {} });
    }
    if (fault && "body" in fault) return HttpResponse.json(fault.body as Record<string, unknown>);
    const dims = fault && "dims" in fault ? fault.dims : (body.dimensions ?? this.models[body.model]);
    if (dims === undefined) {
      return HttpResponse.json({ error: { message: `The model \`${body.model}\` does not exist`, code: "model_not_found" } }, { status: 404 });
    }
    const data = body.input.map((text, index) => ({ object: "embedding", index, embedding: fakeEmbedding(text, dims) }));
    return HttpResponse.json({ object: "list", model: body.model, data, usage: { prompt_tokens: 0, total_tokens: 0 } });
  }
}

/** Starts msw with a fake at `baseURL` (msw must patch fetch before any client sends). */
export function startFakeOpenAI(baseURL: string, models: Record<string, number>) {
  const fake = new FakeOpenAI(baseURL, models);
  const server = setupServer(...fake.handlers());
  server.listen({ onUnhandledRequest: "error" });
  return { fake, server };
}

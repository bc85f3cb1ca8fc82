/** End-to-end tests of the `leann` command (helpers: helpers/cli-workspace.ts). `leann ask` against an msw mock of Ollama's HTTP API. */
import { createServer } from "node:net";
import { Readable } from "node:stream";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtWorkspace, leann, removeWorkspace, type Workspace } from "./helpers/cli-workspace.js";

let ws: Workspace;
beforeAll(async () => {
  ws = await builtWorkspace();
});
afterAll(() => removeWorkspace(ws));

// ---- ask (Ollama mocked with msw) ---------------------------------------------------------

describe("leann ask", () => {
  const HOST = "http://ollama.test:11434";
  const chats: { model: string; messages: { role: string; content: string }[] }[] = [];
  const server = setupServer(
    http.get(`${HOST}/api/version`, () => HttpResponse.json({ version: "0.12.0" })),
    http.post(`${HOST}/api/chat`, async ({ request }) => {
      const body = (await request.json()) as (typeof chats)[number] & { stream: boolean };
      chats.push(body);
      if (body.model !== "llama3.2") return HttpResponse.json({ error: `model "${body.model}" not found, try pulling it first` }, { status: 404 });
      const pieces = ["Rotate them ", "every ninety ", "days [1]."];
      const enc = new TextEncoder();
      const stream = new ReadableStream({
        start(controller) {
          for (const p of pieces) controller.enqueue(enc.encode(JSON.stringify({ model: body.model, created_at: new Date().toISOString(), message: { role: "assistant", content: p }, done: false }) + "\n"));
          controller.enqueue(enc.encode(JSON.stringify({ model: body.model, created_at: new Date().toISOString(), message: { role: "assistant", content: "" }, done: true, done_reason: "stop" }) + "\n"));
          controller.close();
        },
      });
      return new HttpResponse(stream, { headers: { "Content-Type": "application/x-ndjson" } });
    }),
  );
  beforeAll(() => server.listen({ onUnhandledRequest: "bypass" }));
  afterAll(() => server.close());

  it("streams the answer of the Ollama model and cites the passages it was given", async () => {
    chats.length = 0;
    const writes: string[] = [];
    const out = { write: (s: string) => (writes.push(s), true) };
    const r = await leann(ws, ["ask", "docs", "How often should we rotate API keys?", "--host", HOST], { stdout: out });
    expect(r.code).toBe(0);
    // Streamed: the answer arrives in the pieces the server sent.
    expect(writes.slice(0, 3)).toEqual(["Rotate them ", "every ninety ", "days [1]."]);
    const text = writes.join("");
    expect(text).toContain("Rotate them every ninety days [1].\nSources: [1] docs/guide.md:");
    expect(chats).toHaveLength(1);
    const prompt = chats[0]!.messages.at(-1)!.content;
    expect(chats[0]!.model).toBe("llama3.2");
    expect(chats[0]!.messages[0]!.role).toBe("system");
    expect(prompt).toContain("Rotate the API keys every ninety days");
    expect(prompt).toMatch(/Question: How often should we rotate API keys\?$/);
  });

  it("reads questions from standard input, keeps the conversation, and prints one JSON line a question with --json", async () => {
    chats.length = 0;
    const stdin = Readable.from(["How often should we rotate API keys?\n", "\n", "And what about retries?\n"]) as unknown as NodeJS.ReadableStream;
    const r = await leann(ws, ["ask", "docs", "--json"], { stdin, env: { LEANN_HOME: ws.home, HOME: ws.dir, HF_HUB_OFFLINE: "1", OLLAMA_HOST: HOST } });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.question)).toEqual(["How often should we rotate API keys?", "And what about retries?"]);
    expect(lines[0].answer).toBe("Rotate them every ninety days [1].");
    expect(lines[0].sources.length).toBe(4);
    expect(lines[0].stats.recomputed).toBeGreaterThan(0);
    // The second request carries the first exchange.
    expect(chats[1]!.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(chats[1]!.messages[1]!.content).toBe("How often should we rotate API keys?");
  });

  it("exits 5 with a one-line hint to start Ollama when no server answers", async () => {
    const closed = await new Promise<number>((res) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => res(port));
      });
    });
    const r = await leann(ws, ["ask", "docs", "anything", "--host", `http://127.0.0.1:${closed}`, "--json"]);
    expect(r.code).toBe(5);
    expect(r.json().error.code).toBe("OLLAMA_UNAVAILABLE");
    expect(r.stderr).toContain("Start it with `ollama serve`");
    expect(r.stderr.trim().split("\n")).toHaveLength(2); // the message and one hint line
  });

  it("reports a missing index (exit 2) before a missing server", async () => {
    const r = await leann(ws, ["ask", "nope", "anything", "--host", "http://127.0.0.1:9", "--json"]);
    expect(r.code).toBe(2);
    expect(r.json().error.code).toBe("INDEX_NOT_FOUND");
  });

  it("exits 5 with a pull hint when the model is not on the server", async () => {
    const r = await leann(ws, ["ask", "docs", "anything", "--host", HOST, "--llm", "no-such-llm"]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain("ollama pull no-such-llm");
  });
});

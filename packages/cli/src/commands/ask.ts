/**
 * `leann ask`: questions answered by a local LLM on Ollama from the passages a search
 * finds, streamed as they are generated. One question as an argument, or a chat: one
 * question a line on standard input (with a prompt on a terminal), follow-ups see the
 * conversation so far.
 */
import { createInterface } from "node:readline";
import type { SearchResult } from "@leann/core";
import { Ollama, type Message } from "ollama";
import type { Ctx } from "../context.js";
import { CliError, EXIT, usage } from "../exit-codes.js";
import { readMeta } from "../home.js";
import { checkAlpha } from "../hybrid.js";
import { hitLocation, openIndex, parseFilters } from "../open-index.js";
import { hitsJson, statsJson, type SearchKnobs } from "./search.js";

/** A small model most Ollama installs have or can pull quickly. */
export const DEFAULT_LLM = "llama3.2";
export const DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434";
/** How long the server has to answer its version probe before we say it is not running. */
const PROBE_TIMEOUT_MS = 1000;
/** Earlier turns kept in the conversation (question and answer each). */
const HISTORY_TURNS = 4;

const SYSTEM = [
  "You answer questions about the user's documents using only the numbered passages given with each question.",
  "Cite the passages you use as [1], [2], ... If the passages do not contain the answer, say that they do not.",
].join(" ");

export interface AskArgs {
  name: string;
  question: string | undefined;
  llm: string;
  host: string;
  k: number;
  filters: string[];
  model: string | undefined;
  baseUrl?: string | undefined;
  knobs: SearchKnobs;
}

function normalizeHost(host: string): string {
  const h = /^https?:\/\//.test(host) ? host : `http://${host}`;
  return h.replace(/\/+$/, "");
}

/** True when an Ollama server answers at `host` within the probe timeout. */
export async function ollamaAnswers(host: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  try {
    const res = await globalThis.fetch(`${normalizeHost(host)}/api/version`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.text(); // drain: the probe answer is a few bytes
    return res.ok;
  } catch {
    return false;
  }
}

function contextMessage(ctx: Ctx, question: string, r: SearchResult): string {
  const passages = r.hits.map((h, i) => `[${i + 1}] (${hitLocation(ctx, h)})\n${h.text.trim()}`).join("\n\n");
  return `Passages:\n\n${passages || "(none found)"}\n\nQuestion: ${question}`;
}

async function* questions(ctx: Ctx, name: string, first: string | undefined): AsyncGenerator<string> {
  if (first !== undefined) {
    yield first;
    return;
  }
  const stdin = ctx.io.stdin;
  if (!stdin) throw usage("leann ask: give a question, or questions on standard input.");
  const tty = stdin.isTTY === true;
  const rl = createInterface({ input: stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  try {
    if (tty) ctx.io.stderr.write(`Ask about "${name}"; an empty line or Ctrl-D ends.\n`);
    for (;;) {
      if (tty) ctx.io.stderr.write("\n> ");
      const next = await lines.next();
      if (next.done) return;
      const q = next.value.trim();
      if (!q) {
        if (tty) return;
        continue;
      }
      if (/^(exit|quit|:q)$/i.test(q)) return;
      yield q;
    }
  } finally {
    rl.close();
  }
}

export async function ask(ctx: Ctx, a: AskArgs): Promise<void> {
  const host = normalizeHost(a.host);
  const filter = parseFilters(a.filters);
  readMeta(ctx.home, a.name); // a missing index is reported before a missing server
  if (!(await ollamaAnswers(host))) {
    throw new CliError(
      EXIT.UNAVAILABLE,
      "OLLAMA_UNAVAILABLE",
      `No Ollama server answers at ${host}.`,
      `Start it with \`ollama serve\` (and \`ollama pull ${a.llm}\`), set OLLAMA_HOST or --host, or use \`leann search ${a.name} "..."\` for the passages alone.`,
    );
  }
  // The client captures fetch when constructed: go through globalThis.fetch at call time.
  const ollama = new Ollama({ host, fetch: (input, init) => globalThis.fetch(input, init) });
  const { index } = await openIndex(ctx, a.name, a);
  const history: Message[] = [];
  try {
    await checkAlpha(index, a.name, a.knobs.alpha);
    for await (const question of questions(ctx, a.name, a.question)) {
      const r = await index.search(question, { k: a.k, ...a.knobs, ...(filter ? { filter } : {}) });
      const messages: Message[] = [{ role: "system", content: SYSTEM }, ...history, { role: "user", content: contextMessage(ctx, question, r) }];
      const t0 = performance.now();
      let answer = "";
      try {
        const stream = await ollama.chat({ model: a.llm, messages, stream: true });
        for await (const part of stream) {
          const piece = part.message?.content ?? "";
          answer += piece;
          if (!ctx.json && piece) ctx.io.stdout.write(piece);
        }
      } catch (err) {
        const status = (err as { status_code?: number }).status_code;
        if (status === 404) {
          throw new CliError(EXIT.UNAVAILABLE, "LLM_NOT_FOUND", `Ollama at ${host} has no model "${a.llm}".`, `Pull it with \`ollama pull ${a.llm}\`, or pick another with --llm.`);
        }
        throw new CliError(EXIT.UNAVAILABLE, "OLLAMA_FAILED", `Ollama at ${host} failed: ${(err as Error).message ?? err}`);
      }
      const llmMs = performance.now() - t0;
      history.push({ role: "user", content: question }, { role: "assistant", content: answer });
      history.splice(0, Math.max(0, history.length - 2 * HISTORY_TURNS));
      if (ctx.json) {
        // One JSON document a question (NDJSON when several come from standard input).
        ctx.io.stdout.write(JSON.stringify({ index: a.name, question, answer, llm: a.llm, sources: hitsJson(r), stats: { ...statsJson(r), llmMs: Math.round(llmMs) } }) + "\n");
      } else {
        if (!answer.endsWith("\n")) ctx.io.stdout.write("\n");
        ctx.out(`Sources: ${r.hits.map((h, i) => `[${i + 1}] ${hitLocation(ctx, h)}`).join("  ")}`);
      }
    }
  } finally {
    index.close();
  }
}

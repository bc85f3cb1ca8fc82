/**
 * Recomputations per second through a mocked Ollama with a fixed per-request latency:
 * OllamaEmbeddings (batched /api/embed) against one text per request, including
 * LlamaIndex's own OllamaEmbedding (@llamaindex/ollama 0.1.23: POST /api/embeddings,
 * one text a request, one request after another), measured, not simulated.
 *
 *   pnpm --filter @leann/core build
 *   cd packages/ollama && npx tsx bench/recompute-bench.ts [--quick]
 *
 * The mock (msw, in process) answers after PER_REQUEST_MS + PER_TEXT_MS per text and, like
 * a default Ollama (OLLAMA_NUM_PARALLEL 1), works on one embedding request at a time.
 * Prints tables and writes bench/results/recompute-bench.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LeannIndex, type Embedder, type PassageInput } from "@leann/core";
import { OllamaEmbedding } from "@llamaindex/ollama";
import { OllamaEmbeddings } from "../src/index.js";
import { startMockOllama } from "../test/helpers/mock-ollama.js";

const QUICK = process.argv.includes("--quick");
const PER_REQUEST_MS = 20;
const PER_TEXT_MS = 0.5;
const DIMS = 768;
const MODEL = "nomic-embed-text";
/** A LEANN search recomputes candidates in batches of this many (the core's default batchSize). */
const SEARCH_BATCH = 32;
const PASSAGES = QUICK ? 500 : 2_000;
const MIN_MS = QUICK ? 500 : 2_000;

const { mock, server } = startMockOllama({ embedModels: { [MODEL]: DIMS }, serverParallel: 1, perRequestMs: PER_REQUEST_MS, perTextMs: PER_TEXT_MS });
const host = mock.baseUrl;

const WORDS = "router wifi firmware channel printer toner paper duplex laptop battery keyboard screen camera lens shutter exposure garden tomato soil compost bicycle chain brake tyre kettle tea leaf steep".split(" ");
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const r = rng(7);
const sentence = (n: number) => Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]).join(" ");
const passages: PassageInput[] = Array.from({ length: PASSAGES }, (_, i) => ({ id: `p${i}`, text: `${sentence(12)} note ${i}` }));
const queries = Array.from({ length: 4 }, () => sentence(5));
const BULK = Array.from({ length: 1_024 }, (_, i) => `${sentence(12)} bulk ${i}`);

/** LlamaIndex's OllamaEmbedding as the core's embedder: the same calls @leann/llamaindex's adapter makes. */
function llamaIndexEmbedder(): Embedder & { model: string } {
  const e = new OllamaEmbedding({ model: MODEL, config: { host } });
  return { model: MODEL, embedDocuments: (t) => e.getTextEmbeddings(t), embedQuery: (t) => e.getTextEmbedding(t) };
}

interface Client {
  name: string;
  pattern: string;
  make: () => Embedder;
}
const clients: Client[] = [
  { name: "@leann/ollama OllamaEmbeddings (defaults)", pattern: "/api/embed, 32 texts a request, 2 in flight", make: () => new OllamaEmbeddings({ model: MODEL, baseUrl: host }) },
  {
    name: "@leann/ollama, batchSize 1, 4 in flight",
    pattern: "/api/embed, 1 text a request, 4 in flight",
    make: () => new OllamaEmbeddings({ model: MODEL, baseUrl: host, batchSize: 1, maxConcurrency: 4 }),
  },
  {
    name: "@leann/ollama, batchSize 1, 1 in flight",
    pattern: "/api/embed, 1 text a request, sequential",
    make: () => new OllamaEmbeddings({ model: MODEL, baseUrl: host, batchSize: 1, maxConcurrency: 1 }),
  },
  { name: "LlamaIndex OllamaEmbedding (@llamaindex/ollama 0.1.23)", pattern: "/api/embeddings, 1 text a request, sequential", make: llamaIndexEmbedder },
];

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

// ---- 1. Raw recomputation: batches of 32 texts, one after another, as a search asks. ----
interface RawRow {
  client: string;
  pattern: string;
  batches: number;
  requestsPerBatch: number;
  msPerBatch: number;
  recomputationsPerSecond: number;
}
async function raw(c: Client): Promise<RawRow> {
  const e = c.make();
  await e.embedDocuments(["warm up"]);
  mock.reset();
  let batches = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < MIN_MS || batches < 3) {
    const start = (batches * SEARCH_BATCH) % (PASSAGES - SEARCH_BATCH);
    await e.embedDocuments(passages.slice(start, start + SEARCH_BATCH).map((p) => p.text));
    batches++;
  }
  const ms = performance.now() - t0;
  const requests = mock.requests.filter((q) => q.path === "/api/embed" || q.path === "/api/embeddings").length;
  return {
    client: c.name,
    pattern: c.pattern,
    batches,
    requestsPerBatch: requests / batches,
    msPerBatch: ms / batches,
    recomputationsPerSecond: (batches * SEARCH_BATCH * 1000) / ms,
  };
}

// ---- 2. End to end: LeannIndex.search on PASSAGES passages with each client. ----
interface SearchRow {
  client: string;
  searches: number;
  recomputedPerSearch: number;
  requestsPerSearch: number;
  msPerSearch: number;
  recomputationsPerSecond: number;
}
async function searches(c: Client, dir: string): Promise<SearchRow> {
  const index = await LeannIndex.load(dir, { embedder: c.make(), cacheBytes: 0 });
  await index.search(queries[0]!, { k: 10 }); // warm up
  mock.reset();
  let n = 0;
  let recomputed = 0;
  const t0 = performance.now();
  // Whole rounds of the same queries, so every client does the same searches.
  while (n === 0 || performance.now() - t0 < MIN_MS) {
    for (const q of queries) {
      const { stats } = await index.search(q, { k: 10 });
      recomputed += stats.recomputed;
      n++;
    }
  }
  const ms = performance.now() - t0;
  index.close();
  const requests = mock.requests.filter((q) => q.path === "/api/embed" || q.path === "/api/embeddings").length;
  return {
    client: c.name,
    searches: n,
    recomputedPerSearch: recomputed / n,
    requestsPerSearch: requests / n,
    msPerSearch: ms / n,
    recomputationsPerSecond: (recomputed * 1000) / ms,
  };
}

// ---- 3. Build-sized calls: 1,024 texts in one call, by requests in flight and server parallelism. ----
interface BulkRow {
  maxConcurrency: number;
  serverParallel: number;
  ms: number;
  textsPerSecond: number;
}
async function bulk(maxConcurrency: number, serverParallel: number): Promise<BulkRow> {
  mock.serverParallel = serverParallel;
  const e = new OllamaEmbeddings({ model: MODEL, baseUrl: host, maxConcurrency });
  await e.embedQuery("warm up");
  const texts = BULK;
  const { ms } = await timed(() => e.embedDocuments(texts));
  mock.serverParallel = 1;
  return { maxConcurrency, serverParallel, ms, textsPerSecond: (texts.length * 1000) / ms };
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
const f = (x: number, d = 1) => x.toFixed(d);

async function run(): Promise<void> {
  console.log(`Mocked Ollama: ${PER_REQUEST_MS} ms a request + ${PER_TEXT_MS} ms a text, one embedding request at a time; ${DIMS}-d vectors.\n`);

  console.log(`1. Recomputation in batches of ${SEARCH_BATCH} texts (a search's batches), one batch after another`);
  const rawRows: RawRow[] = [];
  for (const c of clients) rawRows.push(await raw(c));
  console.log(`${"client".padEnd(56)} ${pad("requests/batch", 14)} ${pad("ms/batch", 9)} ${pad("recomputations/s", 17)}`);
  for (const row of rawRows) console.log(`${row.client.padEnd(56)} ${pad(f(row.requestsPerBatch), 14)} ${pad(f(row.msPerBatch), 9)} ${pad(f(row.recomputationsPerSecond, 0), 17)}`);
  const base = rawRows.at(-1)!.recomputationsPerSecond;
  console.log(`Batched / LlamaIndex's one-per-request: ${f(rawRows[0]!.recomputationsPerSecond / base)}x\n`);

  // Build once, quickly (no latency), then search with each client.
  const dir = join(fileURLToPath(new URL(".", import.meta.url)), ".cache", `index-${PASSAGES}`);
  mkdirSync(dirname(dir), { recursive: true });
  mock.perRequestMs = 0;
  mock.perTextMs = 0;
  const built = await timed(() => LeannIndex.build(passages, { embedder: new OllamaEmbeddings({ model: MODEL, baseUrl: host }) }));
  await built.value.save(dir);
  built.value.close();
  console.log(`2. LeannIndex.search, k 10, over ${PASSAGES} passages (index built in ${f(built.ms / 1000)} s without latency)`);
  mock.perRequestMs = PER_REQUEST_MS;
  mock.perTextMs = PER_TEXT_MS;
  const searchRows: SearchRow[] = [];
  for (const c of clients) searchRows.push(await searches(c, dir));
  console.log(`${"client".padEnd(56)} ${pad("recomputed", 10)} ${pad("requests", 9)} ${pad("ms/search", 10)} ${pad("recomputations/s", 17)}`);
  for (const row of searchRows) {
    console.log(
      `${row.client.padEnd(56)} ${pad(f(row.recomputedPerSearch), 10)} ${pad(f(row.requestsPerSearch), 9)} ${pad(f(row.msPerSearch, 0), 10)} ${pad(f(row.recomputationsPerSecond, 0), 17)}`,
    );
  }
  console.log(`Batched / LlamaIndex's one-per-request, ms per search: ${f(searchRows.at(-1)!.msPerSearch / searchRows[0]!.msPerSearch)}x faster\n`);

  console.log("3. One call of 1,024 texts (building an index), by requests in flight and server parallelism");
  const bulkRows: BulkRow[] = [];
  for (const [c, s] of [
    [1, 1],
    [2, 1],
    [2, 2],
    [4, 4],
  ] as const) {
    bulkRows.push(await bulk(c, s));
  }
  console.log(`${pad("maxConcurrency", 14)} ${pad("OLLAMA_NUM_PARALLEL", 20)} ${pad("ms", 7)} ${pad("texts/s", 8)}`);
  for (const row of bulkRows) console.log(`${pad(row.maxConcurrency, 14)} ${pad(row.serverParallel, 20)} ${pad(f(row.ms, 0), 7)} ${pad(f(row.textsPerSecond, 0), 8)}`);

  const out = join(fileURLToPath(new URL(".", import.meta.url)), "results", "recompute-bench.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        mock: { perRequestMs: PER_REQUEST_MS, perTextMs: PER_TEXT_MS, dims: DIMS, serverParallel: 1 },
        passages: PASSAGES,
        raw: rawRows,
        search: searchRows,
        bulk: bulkRows,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${out}`);
}

try {
  await run();
} finally {
  server.close();
}

/**
 * How much embedding work one inference server must do for LEANN searches: a fake
 * OpenAI-compatible server (node:http on 127.0.0.1 only) answers every request after a
 * fixed latency; a small index is searched by 1, 4 and 16 concurrent clients through
 * OpenAICompatibleEmbeddings; the script prints, per concurrency, queries/s,
 * recomputations/query and the texts/s and requests/s the server had to sustain, and
 * writes them to bench/scaling.json.
 *
 *   pnpm -C packages/openai exec tsx --conditions=leann-source bench/scaling.ts \
 *     [--passages 3000] [--latency-ms 10] [--queries 64] [--max-concurrency 16] [--cache-bytes 0]
 */
import { writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { LeannIndex } from "@leann/core";
import { OpenAICompatibleEmbeddings } from "../src/index.js";
import { fakeEmbedding } from "../test/helpers/fake-embedding.js";

const { values } = parseArgs({
  options: {
    passages: { type: "string", default: "3000" },
    dims: { type: "string", default: "64" },
    "latency-ms": { type: "string", default: "10" },
    queries: { type: "string", default: "64" },
    "max-concurrency": { type: "string", default: "16" },
    // 0: every search recomputes what it needs, the load a server sees once an index is
    // far larger than the hub cache (here the whole small index would fit in the default 16 MiB).
    "cache-bytes": { type: "string", default: "0" },
  },
});
const N = Number(values.passages), DIMS = Number(values.dims), LATENCY = Number(values["latency-ms"]);
const QUERIES = Number(values.queries), MAX_CONCURRENCY = Number(values["max-concurrency"]), CACHE_BYTES = Number(values["cache-bytes"]);
const LEVELS = [1, 4, 16];

// ---- the fake server: fixed latency per request, unlimited parallelism ---------------
const server = { latencyMs: 0, requests: 0, texts: 0, inFlight: 0, maxInFlight: 0 };
const http = createServer((req, res) => {
  let raw = "";
  req.setEncoding("utf8");
  req.on("data", (c: string) => (raw += c));
  req.on("end", () => {
    const body = JSON.parse(raw) as { model: string; input: string[] };
    server.requests++;
    server.texts += body.input.length;
    server.maxInFlight = Math.max(server.maxInFlight, ++server.inFlight);
    const data = body.input.map((t, index) => ({ object: "embedding", index, embedding: fakeEmbedding(t, DIMS) }));
    setTimeout(() => {
      server.inFlight--;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", model: body.model, data }));
    }, server.latencyMs);
  });
});
await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
const baseURL = `http://127.0.0.1:${(http.address() as AddressInfo).port}/v1`;

// ---- a seeded synthetic corpus (Zipf-ish word choice) --------------------------------
let seed = 42;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const VOCAB = Array.from({ length: 4000 }, (_, i) => `w${i.toString(36)}`);
const word = () => VOCAB[Math.floor(VOCAB.length * rand() ** 2)]!;
const passages = Array.from({ length: N }, (_, i) => ({ id: `p${i}`, text: Array.from({ length: 40 }, word).join(" ") }));
// A query: a dozen words of one passage, so each has a known answer.
const queries = Array.from({ length: QUERIES * LEVELS.length }, () => {
  const target = Math.floor(rand() * N);
  const words = passages[target]!.text.split(" ");
  return { target: `p${target}`, text: Array.from({ length: 12 }, () => words[Math.floor(rand() * words.length)]!).join(" ") };
});

const embedder = new OpenAICompatibleEmbeddings({ model: "fake-embed", baseURL, apiKey: "", maxConcurrency: MAX_CONCURRENCY, timeoutMs: 30_000 });
const t0 = performance.now();
const index = await LeannIndex.build(passages, { embedder, cacheBytes: CACHE_BYTES });
const buildS = (performance.now() - t0) / 1000;
console.log(`index: ${N} passages, ${DIMS}-d, built in ${buildS.toFixed(1)} s; server latency ${LATENCY} ms a request; client maxConcurrency ${MAX_CONCURRENCY}; hub cache ${CACHE_BYTES} bytes`);

server.latencyMs = LATENCY;
const rows = [];
let next = 0;
for (const c of LEVELS) {
  const mine = queries.slice(next, next + QUERIES);
  next += QUERIES;
  Object.assign(server, { requests: 0, texts: 0, maxInFlight: 0 });
  let recomputed = 0, cacheHits = 0, found = 0, i = 0;
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      for (let q = i++; q < mine.length; q = i++) {
        const s = performance.now();
        const r = await index.search(mine[q]!.text, { k: 10 });
        latencies.push(performance.now() - s);
        recomputed += r.stats.recomputed;
        cacheHits += r.stats.cacheHits;
        if (r.hits.some((h) => h.id === mine[q]!.target)) found++;
      }
    }),
  );
  const wallS = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const qps = mine.length / wallS;
  const row = {
    concurrency: c,
    queries: mine.length,
    qps: +qps.toFixed(1),
    p50Ms: +latencies[Math.floor(latencies.length / 2)]!.toFixed(1),
    p95Ms: +latencies[Math.floor(latencies.length * 0.95)]!.toFixed(1),
    recomputedPerQuery: +(recomputed / mine.length).toFixed(1),
    cacheHitsPerQuery: +(cacheHits / mine.length).toFixed(1),
    requestsPerQuery: +(server.requests / mine.length).toFixed(2),
    serverTextsPerS: Math.round(server.texts / wallS),
    serverRequestsPerS: Math.round(server.requests / wallS),
    serverMaxInFlight: server.maxInFlight,
    targetFound: +(found / mine.length).toFixed(2),
  };
  rows.push(row);
  console.log(
    `c=${String(c).padStart(2)}  ${row.qps.toFixed(1).padStart(6)} q/s  p50 ${row.p50Ms} ms  p95 ${row.p95Ms} ms  ` +
      `${row.recomputedPerQuery} recomputed/q (+${row.cacheHitsPerQuery} cached)  ${row.requestsPerQuery} req/q  ` +
      `server: ${row.serverTextsPerS} texts/s, ${row.serverRequestsPerS} req/s, ${row.serverMaxInFlight} in flight max  found ${row.targetFound}`,
  );
}
await index.close();
http.close();
const out = new URL("./scaling.json", import.meta.url);
writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), passages: N, dims: DIMS, latencyMs: LATENCY, maxConcurrency: MAX_CONCURRENCY, cacheBytes: CACHE_BYTES, buildS: +buildS.toFixed(1), rows }, null, 2) + "\n");
console.log(`wrote ${out.pathname}`);

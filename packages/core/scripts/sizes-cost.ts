/**
 * What `sizes()` costs after a change (issue 14: it used to encode the whole index file).
 * Run: npx tsx packages/core/scripts/sizes-cost.ts [passages=20000] [dims=64]
 */
import { LeannIndex } from "../src/index.js";
import { createRng } from "../src/util/rng.js";

const n = Number(process.argv[2] ?? 20_000);
const dims = Number(process.argv[3] ?? 64);
const rng = createRng(7);
const vectors = Array.from({ length: n + 1 }, () => Array.from({ length: dims }, () => rng() * 2 - 1));
const embedder = { modelId: "random", embedDocuments: async (t: string[]) => t.map(() => vectors[n]!) };
const passages = Array.from({ length: n }, (_, i) => ({ id: `p${i}`, text: `passage ${i}` }));
const index = await LeannIndex.build(passages, { embedder, vectors: vectors.slice(0, n) });
await index.add([{ id: "new", text: "new" }], { vectors: [vectors[n]!] });
const heap0 = process.memoryUsage().arrayBuffers;
const t0 = performance.now();
const s = index.sizes();
const ms = performance.now() - t0;
console.log(`${n} passages x ${dims}-d: sizes() after an add took ${ms.toFixed(1)} ms; array buffers +${((process.memoryUsage().arrayBuffers - heap0) / 2 ** 20).toFixed(1)} MiB; indexTotal ${s.indexTotal} B`);
await index.close();

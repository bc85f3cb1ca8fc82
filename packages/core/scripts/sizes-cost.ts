/**
 * What `sizes()` costs after a change (issue 14: it used to encode the whole index file, then
 * to recompress the graph and re-measure every passage). The first call on an index built in
 * memory measures each passage record once; later calls measure only what changed.
 * Run: npx tsx packages/core/scripts/sizes-cost.ts [passages=20000] [dims=64]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LeannIndex } from "../src/index.js";
import { createRng } from "../src/util/rng.js";

const n = Number(process.argv[2] ?? 20_000);
const dims = Number(process.argv[3] ?? 64);
const rng = createRng(7);
const vectors = Array.from({ length: n + 3 }, () => Array.from({ length: dims }, () => rng() * 2 - 1));
const embedder = { modelId: "random", embedDocuments: async (t: string[]) => t.map(() => vectors[n]!) };
const passages = Array.from({ length: n }, (_, i) => ({ id: `p${i}`, text: `passage ${i}` }));

const timed = (what: string, index: LeannIndex) => {
  const heap0 = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  const s = index.sizes();
  const ms = performance.now() - t0;
  console.log(`  ${what}: ${ms.toFixed(1)} ms; array buffers +${((process.memoryUsage().arrayBuffers - heap0) / 2 ** 20).toFixed(1)} MiB; indexTotal ${s.indexTotal} B`);
};

console.log(`${n} passages x ${dims}-d, sizes():`);
const index = await LeannIndex.build(passages, { embedder, vectors: vectors.slice(0, n) });
timed("after build", index);
await index.add([{ id: "new", text: "new" }], { vectors: [vectors[n]!] });
timed("after an add (first call: every record measured once)", index);
await index.add([{ id: "new2", text: "new2" }], { vectors: [vectors[n + 1]!] });
timed("after another add", index);
await index.delete(["p17"]);
timed("after a delete", index);
const dir = mkdtempSync(join(tmpdir(), "leann-sizes-"));
await index.save(dir);
await index.close();
const loaded = await LeannIndex.load(dir, { embedder, probe: false });
timed("after load", loaded);
await loaded.add([{ id: "new3", text: "new3" }], { vectors: [vectors[n + 2]!] });
timed("after an add to the loaded index (first call)", loaded);
await loaded.add([{ id: "new4", text: "new4" }], { vectors: [vectors[n + 2]!] });
timed("after another add", loaded);
await loaded.close();
rmSync(dir, { recursive: true, force: true });

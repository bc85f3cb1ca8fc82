/**
 * Measures USE-lite embedding throughput on ~1000-character SOTU chunks at several batch sizes.
 * Usage: pnpm exec tsx use-throughput.ts [--texts 192] [--batches 16,32,64]
 */
import { sotuPlan } from "./lib/sotu.ts";
import { embedUse, loadUse } from "./lib/use.ts";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

const n = Number(arg("texts", "192"));
const batches = arg("batches", "16,32,64").split(",").map(Number);
const plan = sotuPlan();
const texts = plan.indexed.filter((c) => c.text.length >= 900).slice(0, n).map((c) => c.text);
const meanChars = texts.reduce((s, t) => s + t.length, 0) / texts.length;
let t0 = performance.now();
await loadUse();
console.log(`model load ${(performance.now() - t0).toFixed(0)} ms; ${texts.length} texts, mean ${meanChars.toFixed(0)} chars`);
await embedUse(texts.slice(0, 16), { batchSize: 16 }); // warm-up
const rows: { batch: number; textsPerS: number; msPerText: number }[] = [];
for (const b of batches) {
  t0 = performance.now();
  await embedUse(texts, { batchSize: b });
  const s = (performance.now() - t0) / 1000;
  rows.push({ batch: b, textsPerS: +(texts.length / s).toFixed(2), msPerText: +((s * 1000) / texts.length).toFixed(1) });
  console.log(`batch ${b}: ${(texts.length / s).toFixed(2)} texts/s (${((s * 1000) / texts.length).toFixed(1)} ms/text)`);
}
const best = rows.reduce((a, b) => (b.textsPerS > a.textsPerS ? b : a));
for (const target of [5000, 10000, 12420, 100000]) {
  console.log(`at batch ${best.batch}: ${target} texts ~ ${(target / best.textsPerS / 60).toFixed(1)} min`);
}
console.log(JSON.stringify({ meanChars, rows, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) }));

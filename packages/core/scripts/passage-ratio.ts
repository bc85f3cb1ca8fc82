/**
 * Passage file size against the raw text, before (version 2: each part compressed alone)
 * and after (version 3: blocks with a trained preset dictionary), with the time the
 * dictionary takes to train and the cost of reading a passage at random.
 * Run (from the repo root): npx tsx packages/core/scripts/passage-ratio.ts [jsonl files...]
 * METADATA=1: passages carry { source, section } from the JSONL as metadata (the labelled QA sets have them).
 * Defaults: bench/data/qa-faq-100k, bench/data/qa-python-faq, bench/.cache/datasets/sotu-potion-64.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { v2PassageFile } from "../test/hostile/craft.js";
import { FilePassageStore, MemoryPassageStore, writePassageFile, type PassageRecord } from "../src/store/passages.js";
import { dictionarySizeFor, trainDictionary } from "../src/store/dictionary.js";
import { createRng } from "../src/util/rng.js";

const DEFAULTS = ["bench/data/qa-faq-100k/passages.jsonl", "bench/data/qa-python-faq/passages.jsonl", "bench/.cache/datasets/sotu-potion-64/passages.jsonl"];
const files = process.argv.length > 2 ? process.argv.slice(2) : DEFAULTS;
const withMeta = process.env.METADATA === "1";

function load(file: string): PassageRecord[] {
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => {
    const r = JSON.parse(line) as { id: string | number; text: string; source?: string; section?: string };
    return { id: String(r.id), text: r.text, metadata: withMeta && r.source !== undefined ? { source: r.source, section: r.section } : {} };
  });
}

/** Microseconds of CPU (user + system: the machine may be shared) per get() of a random passage, after a warm-up. */
function getLatency(path: string, n: number): number {
  const store = new FilePassageStore(path);
  const rng = createRng(11);
  const picks = Array.from({ length: 4000 }, () => Math.floor(rng() * n));
  for (const i of picks.slice(0, 500)) store.get(i);
  const c0 = process.cpuUsage();
  for (const i of picks) store.get(i);
  const c = process.cpuUsage(c0);
  const us = (c.user + c.system) / picks.length;
  store.close();
  return us;
}

/** Milliseconds of CPU to read every passage's metadata in order, as a filter does. */
function metadataScan(path: string): number {
  const store = new FilePassageStore(path);
  const c0 = process.cpuUsage();
  for (let i = 0; i < store.count; i++) store.metadata(i);
  const c = process.cpuUsage(c0);
  store.close();
  return (c.user + c.system) / 1000;
}

const dir = mkdtempSync(join(tmpdir(), "passage-ratio-"));
try {
  for (const file of files) {
    if (!existsSync(file)) {
      console.log(`${file}: missing (bench data is gitignored; build it with bench/build-qa-sets.ts or bench/build-datasets.ts)`);
      continue;
    }
    const records = load(file);
    const raw = records.reduce((s, r) => s + Buffer.byteLength(r.text), 0);
    const v2 = join(dir, "v2.leann"), v3 = join(dir, "v3.leann");
    writeFileSync(v2, v2PassageFile(records));
    const sample = Buffer.concat(records.filter((_, i) => i % Math.max(1, Math.floor(records.length / 4096)) === 0).map((r) => Buffer.from(r.text))).subarray(0, 1 << 20);
    let t0 = performance.now();
    trainDictionary(sample, dictionarySizeFor(raw));
    const trainMs = performance.now() - t0;
    t0 = performance.now();
    writePassageFile(v3, new MemoryPassageStore(records));
    const writeMs = performance.now() - t0;
    const b2 = statSync(v2).size, b3 = statSync(v3).size;
    const g2 = getLatency(v2, records.length), g3 = getLatency(v3, records.length);
    const m2 = metadataScan(v2), m3 = metadataScan(v3);
    const name = file.split("/").slice(-2, -1)[0];
    console.log(
      `${name}: ${records.length} passages, raw text ${raw} B (${(raw / records.length).toFixed(0)} B a passage)${withMeta ? ", with metadata" : ""}\n` +
        `  passage file v2 ${b2} B = ${(b2 / raw).toFixed(3)}x raw; v3 ${b3} B = ${(b3 / raw).toFixed(3)}x raw (${((b3 / b2 - 1) * 100).toFixed(1)}%)\n` +
        `  v3 write ${writeMs.toFixed(0)} ms, of which dictionary training about ${trainMs.toFixed(0)} ms; random get() ${g2.toFixed(1)} us (v2) -> ${g3.toFixed(1)} us (v3) of CPU\n` +
        `  metadata of every passage in order (a filter's scan): ${m2.toFixed(0)} ms (v2) -> ${m3.toFixed(0)} ms (v3) of CPU`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

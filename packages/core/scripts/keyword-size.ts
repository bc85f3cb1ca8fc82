/**
 * Where the keyword section's bytes go, per part: document-length table, front-coded dictionary, posting lists
 * (with their per-list headers and byte padding), for a JSONL of passages indexed in file order.
 * Run (from the repo root): npx tsx packages/core/scripts/keyword-size.ts [jsonl files...]
 * Defaults: bench/data/qa-faq-100k, bench/data/qa-python-faq, bench/.cache/datasets/sotu-potion-64.
 */
import { readFileSync } from "node:fs";
import { KeywordIndex } from "../src/keyword/keyword-index.js";
import { decodeList } from "../src/keyword/postings.js";
import { riceParameter } from "../src/keyword/rice.js";

const DEFAULTS = ["bench/data/qa-faq-100k/passages.jsonl", "bench/data/qa-python-faq/passages.jsonl", "bench/.cache/datasets/sotu-potion-64/passages.jsonl"];
const files = process.argv.length > 2 ? process.argv.slice(2) : DEFAULTS;
const varintLen = (v: number) => (v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4);

for (const file of files) {
  const texts = readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => (JSON.parse(l) as { text: string }).text);
  const raw = texts.reduce((s, t) => s + Buffer.byteLength(t), 0);
  const kw = KeywordIndex.create();
  texts.forEach((t, i) => kw.add(i, t));
  const bytes = kw.toBytes();
  const s = kw.postings.state();
  let docTable = 0;
  for (let d = 0; d < s.capacity; d++) docTable += varintLen(s.docLen[d]! + 2);
  let postings = 0, tfNot1 = 0, hapax = 0, listBits = 0, headerPad = 0, bestBits = 0;
  for (let t = 0; t < s.terms.length; t++) {
    const k = riceParameter(s.capacity, s.df[t]!);
    let bits = 6, last = -1, allOnes = true;
    const gaps: number[] = [];
    decodeList(s.lists[t]!, s.used[t]!, (_d, tf) => { if (tf !== 1) allOnes = false; });
    decodeList(s.lists[t]!, s.used[t]!, (doc, tf) => {
      const gap = doc - last - 1;
      gaps.push(gap);
      bits += Math.floor(gap / 2 ** k) + 1 + k;
      if (!allOnes) bits += 2 * (32 - Math.clz32(tf)) - 1;
      if (tf !== 1) tfNot1++;
      postings++;
      last = doc;
    });
    if (s.df[t] === 1) hapax++;
    // The cheapest Rice parameter for this list's actual gaps (clustered lists are not geometric).
    let best = Infinity;
    for (let kk = Math.max(0, k - 4); kk <= Math.min(24, k + 3); kk++) {
      let b = 0;
      for (const g of gaps) b += Math.floor(g / 2 ** kk) + 1 + kk;
      best = Math.min(best, b);
    }
    const tfBits = bits - 6 - gaps.reduce((a, g) => a + Math.floor(g / 2 ** k) + 1 + k, 0);
    bestBits += 6 + best + tfBits + ((8 - ((6 + best + tfBits) % 8)) % 8);
    listBits += bits;
    headerPad += 6 + ((8 - (bits % 8)) % 8);
  }
  const listBytes = Math.ceil(listBits / 8) + Math.ceil((headerPad - 6 * s.terms.length) / 8);
  const dict = bytes.length - docTable - listBytes;
  const n = texts.length;
  const line = (name: string, b: number) => console.log(`  ${name.padEnd(28)} ${String(b).padStart(9)} B  ${(b / n).toFixed(1).padStart(6)} B/passage  ${(b / raw).toFixed(4)}x`);
  console.log(`${file}: ${n} passages, raw ${raw} B; ${s.terms.length} terms (${hapax} in one passage), ${postings} postings (${tfNot1} with tf > 1)`);
  line("keyword section", bytes.length);
  line("document lengths", docTable);
  line("dictionary (+ header)", dict);
  line("posting lists", listBytes);
  line("  of which headers+padding", Math.ceil(headerPad / 8));
  console.log(`  ${(listBits / postings).toFixed(2)} bits a posting with headers`);
  line("posting lists, best k each", bestBits / 8);
}

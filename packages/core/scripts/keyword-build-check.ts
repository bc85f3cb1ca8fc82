/**
 * The build's keyword path (build/keyword-tokens.ts, keyword/term-tokens.ts) on the labelled sets' passages
 * (bench/data/qa-*): (1) its keyword section is byte for byte the one adding each passage through
 * `tokenize` gives, so BM25 ranks exactly as before; (2) with OTHER_CORE=/path/to/packages/core/src (another
 * checkout, e.g. main's), the same section as that engine's and the same BM25 top 10 for every question, and the CPU
 * time of the keyword work of a build (tokenising + adding postings, KeywordTokens.addTo) of both, alternating.
 *
 *   npx tsx packages/core/scripts/keyword-build-check.ts [sets=perl-faq,python-faq,linux-doc-faq,faq-100k] [runs=3]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { KeywordTokens } from "../src/build/keyword-tokens.js";
import { KeywordIndex } from "../src/keyword/keyword-index.js";

interface Engine {
  KeywordIndex: typeof KeywordIndex;
  KeywordTokens: typeof KeywordTokens;
}
const sets = (process.argv[2] ?? "perl-faq,python-faq,linux-doc-faq,faq-100k").split(",");
const runs = Number(process.argv[3] ?? 3);
const data = join(import.meta.dirname, "..", "..", "..", "bench", "data");
const here: Engine = { KeywordIndex, KeywordTokens };
const otherDir = process.env.OTHER_CORE;
const other: Engine | null = otherDir
  ? {
      KeywordIndex: ((await import(pathToFileURL(join(otherDir, "keyword", "keyword-index.ts")).href)) as { KeywordIndex: typeof KeywordIndex }).KeywordIndex,
      KeywordTokens: ((await import(pathToFileURL(join(otherDir, "build", "keyword-tokens.ts")).href)) as { KeywordTokens: typeof KeywordTokens }).KeywordTokens,
    }
  : null;

const lines = (file: string) => readFileSync(file, "utf8").split("\n").filter(Boolean);
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const built = (e: Engine, texts: string[]) => {
  const kw = e.KeywordIndex.create();
  const tokens = new e.KeywordTokens(texts, kw.tokenizer);
  const c0 = cpuMs();
  tokens.addTo(kw);
  return { kw, cpu: cpuMs() - c0 };
};
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;

console.log("| set | passages | section = tokenize's | section = other engine's | BM25 top 10 = other's | keyword CPU here (min) | keyword CPU other (min) |");
console.log("|---|---|---|---|---|---|---|");
for (const set of sets) {
  const texts = lines(join(data, `qa-${set}`, "passages.jsonl")).map((l) => (JSON.parse(l) as { text: string }).text);
  const questions = lines(join(data, `qa-${set}`, "questions.jsonl")).map((l) => (JSON.parse(l) as { question: string }).question);
  const reference = KeywordIndex.create();
  texts.forEach((t, i) => reference.add(i, t));
  const mine = built(here, texts);
  const bytes = mine.kw.toBytes();
  const sameAsTokenize = same(bytes, reference.toBytes());
  let sameAsOther = "n/a", sameRanking = "n/a";
  const cpu: { here: number[]; other: number[] } = { here: [], other: [] };
  if (other) {
    const theirs = built(other, texts).kw;
    sameAsOther = String(same(bytes, theirs.toBytes()));
    let differ = 0;
    for (const q of questions) {
      const a = mine.kw.search(q, { k: 10 }).hits, b = theirs.search(q, { k: 10 }).hits;
      if (a.length !== b.length || a.some((h, i) => h.id !== b[i]!.id || h.score !== b[i]!.score)) differ++;
    }
    sameRanking = differ === 0 ? `true (${questions.length} questions)` : `false: ${differ} of ${questions.length} differ`;
  }
  for (let r = 0; r < runs; r++) {
    for (const which of r % 2 === 0 ? (["here", "other"] as const) : (["other", "here"] as const)) {
      const e = which === "here" ? here : other;
      if (e) cpu[which].push(built(e, texts).cpu);
    }
  }
  const best = (xs: number[]) => (xs.length ? `${(Math.min(...xs) / 1000).toFixed(2)} s` : "n/a");
  console.log(`| ${set} | ${texts.length} | ${sameAsTokenize} | ${sameAsOther} | ${sameRanking} | ${best(cpu.here)} | ${best(cpu.other)} |`);
}

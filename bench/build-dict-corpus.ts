/**
 * dict-100k: 100,000 passages of a real dictionary, the short-passage case of issue 15's storage target ("100k short
 * passages, a dictionary's entries, ~230 characters each"). Offline from the Debian archive:
 *
 *   apt-get update && (cd bench/.cache/debs && apt-get download dict-gcide)
 *   pnpm --dir bench exec tsx build-dict-corpus.ts            # -> bench/.cache/dict-100k/passages.jsonl
 *   pnpm --dir bench exec tsx build-dict-corpus.ts --cap 500 --count 100000 --dict gcide
 *
 * Source: GCIDE (the Collaborative International Dictionary of English, Webster's 1913 + WordNet, in dictd format:
 * gcide.index = headword TAB base64 offset TAB base64 length; gcide.dict.dz = gzip). One entry = one passage, in the
 * dictionary's own (alphabetical) order, deduplicated (several headwords share one entry). Whitespace inside a
 * paragraph is collapsed to one space, paragraphs are kept apart by a newline. An entry longer than `cap` characters
 * (default 500) is cut at paragraph boundaries (its senses, usage quotes, derived phrases) into passages of at most
 * about `cap` characters, each later one prefixed with "headword: " so it still says what it defines. The first
 * `count` passages (default 100,000, "A" to about "P") are kept: a contiguous stretch, as a user indexing the
 * dictionary would have it. Ids are the passage numbers, as in the labelled QA sets.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { CACHE_DIR } from "./lib/datasets.ts";

export const DICT_DIR = join(CACHE_DIR, "dict-100k");
const DEBS = join(CACHE_DIR, "debs");

export interface DictPassage {
  id: number;
  text: string;
  headword: string;
}

/** The dictd files of package dict-<name>, extracted from its .deb in bench/.cache/debs. */
function dictdFiles(name: string): { index: string; dict: Buffer } {
  const deb = existsSync(DEBS) ? readdirSync(DEBS).find((f) => f.startsWith(`dict-${name}_`) && f.endsWith(".deb")) : undefined;
  if (!deb) throw new Error(`no dict-${name}_*.deb in ${DEBS}: run \`apt-get update && (cd ${DEBS} && apt-get download dict-${name})\` first`);
  const out = join(DEBS, "ex");
  const base = join(out, "usr", "share", "dictd", name);
  if (!existsSync(`${base}.index`)) execFileSync("dpkg-deb", ["-x", join(DEBS, deb), out]);
  return { index: readFileSync(`${base}.index`, "utf8"), dict: gunzipSync(readFileSync(`${base}.dict.dz`)) };
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
function b64(s: string): number {
  let v = 0;
  for (const c of s) v = v * 64 + B64.indexOf(c);
  return v;
}

/** The entries of a dictd dictionary in file order, one per distinct (offset, length), with their first headword. */
export function dictdEntries(name: string): { headword: string; text: string }[] {
  const { index, dict } = dictdFiles(name);
  const seen = new Map<string, { headword: string; offset: number; length: number }>();
  for (const line of index.split("\n")) {
    const [headword, o, l] = line.split("\t");
    if (!headword || o === undefined || l === undefined || /^00-|^00database/.test(headword)) continue;
    const key = `${o}/${l}`;
    if (!seen.has(key)) seen.set(key, { headword, offset: b64(o), length: b64(l) });
  }
  return [...seen.values()].sort((a, b) => a.offset - b.offset).map((e) => ({ headword: e.headword, text: dict.toString("utf8", e.offset, e.offset + e.length) }));
}

/** One entry as passages of at most about `cap` characters, cut between paragraphs. */
export function entryPassages(headword: string, raw: string, cap: number): string[] {
  const paragraphs = raw.split(/\n\s*\n/).map((p) => p.split(/\s+/).filter(Boolean).join(" ")).filter(Boolean);
  const out: string[] = [];
  let cur = "";
  for (const p of paragraphs) {
    if (cur && cur.length + 1 + p.length > cap) {
      out.push(cur);
      cur = `${headword}: ${p}`;
    } else cur = cur ? `${cur}\n${p}` : p;
  }
  if (cur) out.push(cur);
  return out;
}

export function buildDictCorpus(opts: { dict?: string; cap?: number; count?: number } = {}): DictPassage[] {
  const { dict = "gcide", cap = 500, count = 100_000 } = opts;
  const out: DictPassage[] = [];
  for (const e of dictdEntries(dict)) {
    for (const text of entryPassages(e.headword, e.text, cap)) {
      if (out.length >= count) return out;
      out.push({ id: out.length, text, headword: e.headword });
    }
  }
  return out;
}

/** The corpus written by this script (run it first). */
export function readDictCorpus(): DictPassage[] {
  const file = join(DICT_DIR, "passages.jsonl");
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`pnpm --dir bench exec tsx build-dict-corpus.ts\` first`);
  return readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as DictPassage);
}

if (process.argv[1]?.endsWith("build-dict-corpus.ts")) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const dict = arg("dict") ?? "gcide";
  const cap = Number(arg("cap") ?? 500);
  const count = Number(arg("count") ?? 100_000);
  const passages = buildDictCorpus({ dict, cap, count });
  mkdirSync(DICT_DIR, { recursive: true });
  writeFileSync(join(DICT_DIR, "passages.jsonl"), passages.map((p) => JSON.stringify(p)).join("\n") + "\n");
  const lengths = passages.map((p) => p.text.length).sort((a, b) => a - b);
  const mean = lengths.reduce((s, x) => s + x, 0) / lengths.length;
  const meta = { dict, cap, count: passages.length, meanChars: mean, medianChars: lengths[lengths.length >> 1], first: passages[0]?.headword, last: passages.at(-1)?.headword };
  writeFileSync(join(DICT_DIR, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
  console.log(JSON.stringify(meta));
}

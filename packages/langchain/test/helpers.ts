import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Document } from "@langchain/core/documents";
import { Embeddings } from "@langchain/core/embeddings";
import { expect } from "vitest";
import { LeannError } from "@leann/core";

/** FNV-1a, 32 bits. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A deterministic bag-of-words embedder: words and word pairs hashed into `dims`
 * signed buckets, L2-normalised. Texts that share words are similar, which is what a
 * recall comparison needs; it counts every text it embeds.
 */
export class HashingEmbeddings extends Embeddings {
  dims: number;
  readonly modelName: string;
  /** Texts embedded through embedDocuments (build, insert and search-time recomputation). */
  documentsEmbedded = 0;
  /** Every text embedded through embedDocuments. */
  readonly texts = new Set<string>();
  queriesEmbedded = 0;

  constructor(dims = 256) {
    super({});
    this.dims = dims;
    this.modelName = `hashing-bow-${dims}`;
  }

  embed(text: string): number[] {
    const v = new Array<number>(this.dims).fill(0);
    const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
    const features = [...words, ...words.slice(1).map((w, i) => `${words[i]} ${w}`)];
    for (const f of features) {
      const h = hash(f);
      v[h % this.dims]! += h & 0x80000000 ? -1 : 1;
    }
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.documentsEmbedded += texts.length;
    for (const t of texts) this.texts.add(t);
    return texts.map((t) => this.embed(t));
  }

  async embedQuery(text: string): Promise<number[]> {
    this.queriesEmbedded++;
    return this.embed(text);
  }
}

/** Seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOPICS: Record<string, string[]> = {
  cooking: ["pasta", "garlic", "oven", "recipe", "tomato", "basil", "simmer", "dough", "butter", "kitchen", "salt", "roast", "sauce", "onion", "bake"],
  astronomy: ["galaxy", "telescope", "orbit", "nebula", "planet", "comet", "star", "eclipse", "moon", "gravity", "asteroid", "light", "cosmic", "solar", "saturn"],
  finance: ["stock", "bond", "interest", "inflation", "market", "dividend", "loan", "bank", "budget", "tax", "equity", "credit", "portfolio", "yield", "savings"],
  football: ["goal", "striker", "referee", "league", "penalty", "stadium", "coach", "midfield", "match", "defender", "season", "trophy", "fans", "kick", "keeper"],
  gardening: ["soil", "compost", "seedling", "prune", "roses", "weeds", "harvest", "mulch", "greenhouse", "watering", "tulip", "shovel", "orchard", "bloom", "fertilizer"],
  computing: ["compiler", "database", "server", "kernel", "network", "cache", "thread", "memory", "python", "query", "index", "latency", "cluster", "bytes", "debugger"],
  medicine: ["vaccine", "doctor", "fever", "antibiotic", "surgery", "patient", "symptom", "clinic", "dose", "nurse", "virus", "therapy", "diagnosis", "pulse", "allergy"],
  music: ["guitar", "melody", "chord", "drummer", "concert", "piano", "rhythm", "album", "violin", "tempo", "chorus", "singer", "jazz", "orchestra", "lyrics"],
  travel: ["passport", "flight", "hotel", "luggage", "beach", "museum", "train", "itinerary", "visa", "airport", "hostel", "ferry", "souvenir", "tour", "map"],
  weather: ["rain", "storm", "forecast", "humidity", "thunder", "snow", "wind", "cloud", "drought", "temperature", "fog", "hail", "breeze", "sunny", "frost"],
};
const FILLER = ["the", "a", "with", "and", "about", "for", "near", "after", "before", "during", "our", "new", "old", "every"];

export const TOPIC_NAMES = Object.keys(TOPICS);

/**
 * `n` varied sentences, seeded: each mixes 5-10 words of one topic with a word or two of
 * another and some filler, so neighbourhoods are graded rather than ten flat clusters.
 */
export function sentences(n: number, seed = 7): Document[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, (_, i) => {
    const topic = TOPIC_NAMES[i % TOPIC_NAMES.length]!;
    const other = pick(TOPIC_NAMES);
    const words: string[] = [];
    const len = 5 + Math.floor(r() * 6);
    for (let j = 0; j < len; j++) {
      words.push(pick(TOPICS[topic]!));
      if (r() < 0.5) words.push(pick(FILLER));
    }
    words.push(pick(TOPICS[other]!));
    if (r() < 0.5) words.push(pick(TOPICS[other]!));
    const text = `${words.join(" ")}.`;
    return new Document({ pageContent: text[0]!.toUpperCase() + text.slice(1), metadata: { topic, other, n: i, year: 2000 + (i % 25), tags: [topic, other] } });
  });
}

/** Queries: a few words of one topic, sometimes mixed with another. */
export function queries(n: number, seed = 99): string[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)]!;
  return Array.from({ length: n }, () => {
    const topic = pick(TOPIC_NAMES);
    const words = Array.from({ length: 2 + Math.floor(r() * 4) }, () => pick(TOPICS[topic]!));
    if (r() < 0.3) words.push(pick(TOPICS[pick(TOPIC_NAMES)]!));
    return words.join(" ");
  });
}

export function tempDir(prefix = "leann-langchain-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Awaits `p`, and asserts it rejects with a LeannError of this class and code. */
export async function expectLeannError(p: Promise<unknown>, cls: abstract new (...args: never[]) => LeannError, code: string): Promise<LeannError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(cls);
  expect((err as LeannError).code).toBe(code);
  return err as LeannError;
}

export const ids = (docs: { id?: string | undefined }[]): (string | undefined)[] => docs.map((d) => d.id);

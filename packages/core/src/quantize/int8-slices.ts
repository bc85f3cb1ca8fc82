/**
 * Float arrays stored as one signed byte a value with one float32 scale a slice (a rotation's row, a subspace's
 * centroids): value = fround(q x scale) with q in -127..127 and scale = max|slice| / 127. Rounding happens before
 * the values are used (codes made, queries scored), so an index answers the same before and after a save.
 */

/** Largest magnitude of a stored value: the scale maps a slice's largest |value| to it. */
export const INT8_MAX = 127;

/**
 * Bytes `values` floats cut into `slices` slices take in the file: one a value and a float32 scale a slice as int8,
 * else two a value (half floats). The one size formula of the planned layout (budget) and of what a file holds.
 */
export function storedBytes(values: number, slices: number, int8: boolean): number {
  return int8 ? values + 4 * slices : 2 * values;
}

/** Slice s of `values` is values[starts[s] .. starts[s + 1]); one scale a slice. */
export type SliceStarts = ArrayLike<number>;

/**
 * Rounds every slice of `values` in place to a multiple of its scale and returns the scales: afterwards
 * values[i] = fround(q x scales[s]) with q an integer in -127..127, exactly what `slicesFromInt8` rebuilds.
 */
export function roundSlicesToInt8(values: Float32Array, starts: SliceStarts): Float32Array {
  const scales = new Float32Array(Math.max(0, starts.length - 1));
  for (let s = 0; s < scales.length; s++) {
    const lo = starts[s]!, hi = starts[s + 1]!;
    let max = 0;
    for (let i = lo; i < hi; i++) max = Math.max(max, Math.abs(values[i]!));
    const scale = Math.fround(max / INT8_MAX);
    scales[s] = scale;
    for (let i = lo; i < hi; i++) values[i] = scale > 0 ? Math.fround(clamp(Math.round(values[i]! / scale)) * scale) : 0;
  }
  return scales;
}

function clamp(q: number): number {
  return q > INT8_MAX ? INT8_MAX : q < -INT8_MAX ? -INT8_MAX : q;
}

/**
 * The stored bytes (two's complement) of values rounded by `roundSlicesToInt8` with these scales, or null when a
 * value is not such a multiple (values that were never rounded: the caller keeps its older form, so nothing is
 * rounded twice).
 */
export function slicesToInt8(values: Float32Array, scales: Float32Array, starts: SliceStarts): Uint8Array | null {
  if (scales.length !== starts.length - 1 || values.length !== (starts[starts.length - 1] ?? 0)) return null;
  const out = new Int8Array(values.length);
  for (let s = 0; s < scales.length; s++) {
    const scale = scales[s]!;
    if (!(scale >= 0) || !Number.isFinite(scale)) return null;
    for (let i = starts[s]!; i < starts[s + 1]!; i++) {
      const v = values[i]!;
      const q = scale > 0 ? Math.round(v / scale) : 0;
      if (Math.abs(q) > INT8_MAX || Math.fround(q * scale) !== v) return null;
      out[i] = q;
    }
  }
  return new Uint8Array(out.buffer);
}

/**
 * The values a file's bytes and scales hold, or null when they cannot be (sizes that do not match the slices, a
 * negative, non-finite or larger than `maxScale` scale, or the byte -128, which the writer never uses).
 */
export function slicesFromInt8(bytes: Uint8Array, scales: Float32Array, starts: SliceStarts, maxScale = Infinity): Float32Array | null {
  if (scales.length !== starts.length - 1 || bytes.length !== (starts[starts.length - 1] ?? 0)) return null;
  const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Float32Array(bytes.length);
  for (let s = 0; s < scales.length; s++) {
    const scale = scales[s]!;
    // A scale past ~2.7e36 turns 127 x scale into Infinity: a finite scale can still decode to non-finite values.
    if (!(scale >= 0 && scale <= maxScale) || !Number.isFinite(Math.fround(INT8_MAX * scale))) return null;
    for (let i = starts[s]!; i < starts[s + 1]!; i++) {
      const v = q[i]!;
      if (v < -INT8_MAX) return null;
      out[i] = Math.fround(v * scale);
    }
  }
  return out;
}

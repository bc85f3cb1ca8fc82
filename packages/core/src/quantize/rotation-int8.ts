/**
 * The learnt rotation stored as one signed byte an entry with one float32 scale a row (int8-slices.ts), instead of
 * half floats: dims^2 + 4 dims bytes instead of 2 dims^2, which at 10k passages of 512-d frees 26 B a passage for
 * codes. The rotation is rounded before the codes are made, so queries and codes are rotated by the same (slightly
 * non-orthogonal) matrix. An entry moves by at most half a step (max|row| / 254), which moves an inner product of
 * unit vectors by about 1e-3 at 512-d, below the codes' own error (sd 0.003-0.015 in cosine); measured on
 * sotu-use-512 (tune queries) the freed bytes took `fast` from 93 to 119 subspaces and its code error sd from 0.0044
 * to 0.0032 (docs/tuning.md).
 */
import { INT8_MAX, roundSlicesToInt8, slicesFromInt8, slicesToInt8, storedBytes } from "./int8-slices.js";

/** A rotation's rows have unit length, so no entry exceeds 1: a larger scale (beyond rounding) is damage. */
const MAX_SCALE = 1.001 / INT8_MAX;

function rows(dims: number): number[] {
  return Array.from({ length: dims + 1 }, (_, r) => r * dims);
}

/** Rounds the d x d `rotation` in place to int8 rows and returns the rows' scales (see roundSlicesToInt8). */
export function roundRotationToInt8(rotation: Float32Array, dims: number): Float32Array {
  return roundSlicesToInt8(rotation, rows(dims));
}

/** The stored bytes of a rotation rounded by `roundRotationToInt8`, or null for one that was never rounded. */
export function rotationToInt8(rotation: Float32Array, scales: Float32Array, dims: number): Uint8Array | null {
  return slicesToInt8(rotation, scales, rows(dims));
}

/** The rotation a file's bytes and scales hold, or null when they cannot be one (see slicesFromInt8; scale <= 1.001 / 127). */
export function rotationFromInt8(bytes: Uint8Array, scales: Float32Array, dims: number): Float32Array | null {
  // Sizes first: `dims` comes from the file's header, and the row starts below are dims + 1 numbers.
  if (!Number.isSafeInteger(dims) || dims < 1 || scales.length !== dims || bytes.length !== dims * dims) return null;
  return slicesFromInt8(bytes, scales, rows(dims), MAX_SCALE);
}

/**
 * Rotations this wide and wider are stored as int8. A unit row's largest entry, and so the rounding step, shrinks as
 * the rows widen: at 384-512-d a score moves by about 5e-4, an order below the codes' error, and the rotation is what
 * weighs on a budget (26 B a passage saved at 10k x 512-d). At 16-d the step is several times coarser, the rotation
 * costs 512 B in all, and rounding it cost an index grown by small adds (rebuilt from decoded vectors) 0.01 of
 * recall@10 (test/updates.test.ts): narrower rotations keep half floats.
 */
export const INT8_ROTATION_DIMS = 128;

/** Whether a rotation of `dims` dimensions is stored (and so rounded) as int8 rows. */
export function int8Rotation(dims: number): boolean {
  return dims >= INT8_ROTATION_DIMS;
}

/** Bytes a rotation of `dims` dimensions takes in the file: int8 rows and their scales, or half floats. */
export function rotationBytes(dims: number): number {
  return storedBytes(dims * dims, dims, int8Rotation(dims));
}

/** Bytes the rotation of a codebook takes in the file: int8 rows when it has their scales, else half floats. */
export function storedRotationBytes(pq: { dims: number; rotation?: Float32Array | null; rotationScales?: Float32Array | null }): number {
  return pq.rotation ? storedBytes(pq.rotation.length, pq.dims, !!pq.rotationScales) : 0;
}

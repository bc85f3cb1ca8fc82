/**
 * PQ codebooks stored as one signed byte a value with one float32 scale a subspace (int8-slices.ts), instead of
 * half floats: 2^bits x dims + 4 x subspaces bytes instead of 2^bits x dims x 2. The codebook is rounded before the
 * codes are made, so codes pick their nearest rounded centroid and the index answers the same before and after a
 * save (4-bit codebooks, and 8-bit ones over one-dimensional subspaces, keep half floats: see int8Codebook). A
 * value moves by at most half a step (max|subspace's centroids| / 254); over 512-d that moves a score by
 * about 5e-4 (sd), against the codes' own error of 0.003-0.015: the bytes freed buy more subspaces, which rank
 * better (at 10k x 512-d, 8-bit codebooks shrink from 26 to 13 B a passage; docs/tuning.md).
 */
import { roundToHalf } from "../util/f16.js";
import { roundSlicesToInt8, slicesFromInt8, slicesToInt8, storedBytes } from "./int8-slices.js";
import type { PqCodebook } from "./pq.js";

/** Subspace s's centroids are centroids[bounds[s] x 2^bits .. bounds[s + 1] x 2^bits). */
function subspaceSlices(bounds: Uint32Array, bits: 4 | 8): number[] {
  return Array.from(bounds, (b) => b * (1 << bits));
}

/**
 * Whether a codebook of this shape is stored as int8: 8-bit codebooks (256 x dims values, 13 B a passage at 10k x
 * 512-d) whose subspaces are all at least two dimensions wide (subspaces are as even as possible, so one is a single
 * dimension once subspaces > dims / 2). There 256 learnt levels would fall onto a grid of 255 values, several on one,
 * and the codes would lose what their eighth bit buys (on 2,000 clustered 32-d vectors recall@10 fell from 0.99 to
 * 0.97). 4-bit codebooks (16 x dims values) stay half floats too: they weigh a byte or less a passage past a few
 * thousand passages, and below that rounding them lands on the decoded vectors a rebuild starts from.
 */
export function int8Codebook(bits: 4 | 8, dims: number, subspaces: number): boolean {
  return bits === 8 && 2 * subspaces <= dims;
}

/**
 * Rounds `pq`'s centroids in place for the file: to int8 with a scale a subspace (recorded on it) when
 * `int8Codebook` allows, else to half floats.
 */
export function roundCodebook(pq: PqCodebook): void {
  if (int8Codebook(pq.bits, pq.dims, pq.subspaces)) pq.centroidScales = roundSlicesToInt8(pq.centroids, subspaceSlices(pq.bounds, pq.bits));
  else roundToHalf(pq.centroids);
}

/** The stored bytes of a codebook rounded by `roundCodebook`, or null for one that was not (older files). */
export function codebookToInt8(pq: PqCodebook): Uint8Array | null {
  return pq.centroidScales ? slicesToInt8(pq.centroids, pq.centroidScales, subspaceSlices(pq.bounds, pq.bits)) : null;
}

/** The centroids a file's bytes and scales hold for valid `bounds`, or null when they cannot be (see slicesFromInt8). */
export function codebookFromInt8(bytes: Uint8Array, scales: Float32Array, bounds: Uint32Array, bits: 4 | 8): Float32Array | null {
  return slicesFromInt8(bytes, scales, subspaceSlices(bounds, bits));
}

/** Bytes of a codebook of this shape in the file: int8 with a scale a subspace, or half floats (see int8Codebook). */
export function codebookBytes(bits: 4 | 8, dims: number, subspaces: number): number {
  return storedBytes((1 << bits) * dims, subspaces, int8Codebook(bits, dims, subspaces));
}

/** Bytes the centroids of `pq` take in the file: int8 with scales when it has them, else half floats. */
export function storedCodebookBytes(pq: PqCodebook): number {
  return storedBytes(pq.centroids.length, pq.subspaces, !!pq.centroidScales);
}

import { rankByInDegree } from "../graph/in-degree.js";

/** Walks start from up to this many top-level nodes (scored by PQ, free). */
const SEEDS = 32;

/** Picks up to SEEDS start nodes for walks: the entry point and the highest-level nodes. */
export function pickSeeds(levels: Uint8Array, entry: number): Uint32Array {
  const order = Array.from({ length: levels.length }, (_, i) => i)
    .filter((i) => levels[i]! > 0 && i !== entry)
    .sort((a, b) => levels[b]! - levels[a]! || a - b);
  return Uint32Array.from([entry, ...order.slice(0, SEEDS - 1)]);
}

/**
 * The hub vectors a build stores (`storedHubShare`): the exact embeddings of the nodes
 * ranked highest by in-degree, which walks recompute most often.
 */
export function chooseStoredHubs(inDegree: Uint32Array, vectors: Float32Array, dims: number, share: number): { hubIds: Uint32Array; hubVectors: Float32Array } {
  const n = inDegree.length;
  const hubIds = rankByInDegree(inDegree).slice(0, Math.floor(share * n));
  const hubVectors = new Float32Array(hubIds.length * dims);
  hubIds.forEach((id, i) => hubVectors.set(vectors.subarray(id * dims, (id + 1) * dims), i * dims));
  return { hubIds, hubVectors };
}

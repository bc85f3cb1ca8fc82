/**
 * The RNG neighbour heuristic (hnswlib's getNeighborsByHeuristic2; the relative
 * neighbourhood graph rule of HNSW, Malkov & Yashunin, algorithm 4). Walk the candidates
 * from the nearest; keep one unless a neighbour already kept is strictly closer to it
 * than the base node is. Long edges that a kept neighbour already covers are dropped,
 * so the few edges kept point in different directions.
 *
 * Pruning and insert both select with this function. The construction kernel
 * (kernel.ts) keeps a copy because worker threads run its source text alone;
 * heuristic.test.ts checks that the two choose the same neighbours.
 *
 * @param ids candidates, nearest first
 * @param dists their distances to the base node (ascending)
 * @param count how many candidates to consider
 * @param limit most neighbours kept
 * @param distance distance between two candidates (same scale as `dists`)
 * @param out receives the kept ids; returns how many
 */
export function selectNeighbors(
  ids: ArrayLike<number>,
  dists: ArrayLike<number>,
  count: number,
  limit: number,
  distance: (a: number, b: number) => number,
  out: { [i: number]: number; length: number },
): number {
  let kept = 0;
  for (let i = 0; i < count && kept < limit; i++) {
    const e = ids[i]!, de = dists[i]!;
    let good = true;
    for (let j = 0; j < kept; j++) {
      if (distance(e, out[j]!) < de) {
        good = false;
        break;
      }
    }
    if (good) out[kept++] = e;
  }
  return kept;
}

/**
 * The one in-degree ranking. Hubs (pruning keeps their long lists), the hub vectors a
 * build stores and the hub cache's admission all pick "the nodes most walks pass
 * through" by this order, so the three agree on which nodes are hubs.
 */

/** Node ids by in-degree, highest first; ties by id, ascending (deterministic). */
export function rankByInDegree(inDegree: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(inDegree.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => inDegree[b]! - inDegree[a]! || a - b);
}

/** In-degree of every node of `lists` (edges to ids >= n are a caller's bug and throw). */
export function inDegreesOf(lists: readonly (ArrayLike<number>)[], n = lists.length): Uint32Array {
  const d = new Uint32Array(n);
  for (const l of lists) for (let j = 0; j < l.length; j++) d[l[j]!]!++;
  return d;
}

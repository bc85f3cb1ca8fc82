/**
 * Term proximity: how many of a query's adjacent term pairs a passage holds close together, each weighted by
 * the pair's rarity. BM25 scores terms independently ("login" and "shell" anywhere in the passage count as much
 * as "login shell"); Metzler and Croft's sequential dependence model (SIGIR 2005) adds the query's adjacent pairs
 * found within a small window, a gain they and later studies report across collections.
 *
 * Pure: the caller tokenises (with the index's tokeniser, so query and passage terms agree) and gives each term's
 * weight (its idf; 0 for a term not in the index).
 */

export interface ProximityOptions {
  /** A pair counts when its second term follows its first within this many positions (in either order). */
  window: number;
}

/** Distinct adjacent pairs of `terms` (order kept, repeats and self-pairs dropped), each with its weight. */
export function queryPairs(terms: readonly string[], weight: (term: string) => number): { a: string; b: string; w: number }[] {
  const out: { a: string; b: string; w: number }[] = [];
  const seen = new Set<string>();
  for (let i = 0; i + 1 < terms.length; i++) {
    const a = terms[i]!, b = terms[i + 1]!;
    if (a === b) continue;
    const key = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // A pair is as telling as its commoner term: "the shell" says little more than "shell".
    const w = Math.min(weight(a), weight(b));
    if (w > 0) out.push({ a, b, w });
  }
  return out;
}

/**
 * Sum of the weights of the `pairs` whose two terms occur within `window` positions of each other in `tokens`.
 * Linear in the passage's length (last positions of each pair term, updated as the scan goes).
 */
export function proximityScore(tokens: readonly string[], pairs: readonly { a: string; b: string; w: number }[], o: ProximityOptions): number {
  if (pairs.length === 0) return 0;
  const terms = new Set<string>();
  for (const p of pairs) terms.add(p.a).add(p.b);
  const last = new Map<string, number>();
  const found = new Uint8Array(pairs.length);
  let left = pairs.length, s = 0;
  for (let i = 0; i < tokens.length && left > 0; i++) {
    const t = tokens[i]!;
    if (!terms.has(t)) continue;
    last.set(t, i);
    for (let j = 0; j < pairs.length; j++) {
      if (found[j]) continue;
      const p = pairs[j]!;
      const other = p.a === t ? p.b : p.b === t ? p.a : undefined;
      if (other === undefined) continue;
      const at = last.get(other);
      if (at !== undefined && i - at <= o.window) {
        found[j] = 1;
        left--;
        s += p.w;
      }
    }
  }
  return s;
}

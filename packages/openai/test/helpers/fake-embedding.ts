/**
 * A deterministic stand-in for an embedding model: a hashed bag of words, normalised.
 * Texts that share words are close, so an index built on it retrieves like a crude real
 * model; the msw fake (tests) and the node:http fake (bench) both answer with it.
 */
export function fakeEmbedding(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
    v[(h >>> 0) % dims]! += 1;
    v[((h >>> 0) >> 8) % dims]! += 0.5;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

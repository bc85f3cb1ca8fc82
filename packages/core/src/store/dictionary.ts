/**
 * Preset dictionaries for the passage blocks: DEFLATE can start every block with up to
 * 32 KiB of "already seen" text, so text common to the whole store (words, markup,
 * boilerplate) is coded as back-references even in a block of a few passages.
 */

/** DEFLATE's window: a preset dictionary longer than this is never referenced. */
export const MAX_DICTIONARY_BYTES = 32 * 1024;
/** Below this much text a dictionary costs more bytes than it saves. */
const MIN_TEXT_FOR_DICTIONARY = 64 * 1024;
/** The dictionary is about 1/16 of the text it serves, up to the window. */
const TEXT_PER_DICTIONARY_BYTE = 16;
/** Length of the k-mers counted; shorter than DEFLATE's useful matches, longer than noise. */
const K = 8;
/** Length of each piece of sample text the dictionary is made of. */
const SEGMENT = 64;
const HASH_BITS = 20;

/** Dictionary size worth having for `textBytes` of text: 0 (none) up to MAX_DICTIONARY_BYTES. */
export function dictionarySizeFor(textBytes: number): number {
  if (textBytes < MIN_TEXT_FOR_DICTIONARY) return 0;
  return Math.min(MAX_DICTIONARY_BYTES, Math.floor(textBytes / TEXT_PER_DICTIONARY_BYTE / SEGMENT) * SEGMENT);
}

/**
 * Trains a dictionary of at most `size` bytes from sample text, deterministically (the same
 * sample gives the same dictionary). The method is that of zstd's COVER trainer, simplified:
 * count every k-mer of the sample, split the sample into as many stretches as the
 * dictionary has segments, take from each stretch the segment whose k-mers are most
 * frequent overall, and zero the counts of the k-mers taken so that later picks add new
 * text. The best segments go last: DEFLATE codes near references in fewer bits.
 */
export function trainDictionary(sample: Uint8Array, size: number): Uint8Array {
  size = Math.min(size, MAX_DICTIONARY_BYTES);
  if (size <= 0 || sample.length <= K) return new Uint8Array(0);
  if (sample.length <= size) return sample.slice();
  const buckets = 1 << HASH_BITS;
  const freq = new Uint32Array(buckets);
  const hashes = new Uint32Array(sample.length - K + 1);
  for (let j = 0; j < hashes.length; j++) {
    let x = 2166136261;
    for (let q = 0; q < K; q++) x = Math.imul(x ^ sample[j + q]!, 16777619);
    const h = (x >>> 0) & (buckets - 1);
    hashes[j] = h;
    freq[h]!++;
  }
  const segments = Math.floor(size / SEGMENT);
  const stretch = Math.floor(hashes.length / segments);
  const window = SEGMENT - K + 1;
  const picked: { at: number; score: number }[] = [];
  for (let e = 0; e < segments && stretch >= window; e++) {
    const a = e * stretch, b = a + stretch;
    let best = 0, bestAt = -1, sum = 0;
    for (let j = a; j < b; j++) {
      sum += freq[hashes[j]!]!;
      if (j - a >= window) sum -= freq[hashes[j - window]!]!;
      if (j - a >= window - 1 && sum > best) {
        best = sum;
        bestAt = j - window + 1;
      }
    }
    if (bestAt < 0) continue;
    picked.push({ at: bestAt, score: best });
    for (let j = bestAt; j < bestAt + window; j++) freq[hashes[j]!] = 0;
  }
  picked.sort((x, y) => x.score - y.score || x.at - y.at);
  const out = new Uint8Array(picked.length * SEGMENT);
  picked.forEach((p, i) => out.set(sample.subarray(p.at, p.at + SEGMENT), i * SEGMENT));
  return out;
}

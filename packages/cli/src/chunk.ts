/**
 * A small token-aware text splitter.
 *
 * Tokens are estimated, not counted with a tokenizer: the index may be built with any
 * model, and the estimate only has to keep chunks comfortably below the model's limit
 * (potion-base-2M reads 512 tokens; the default chunk is 256). The estimate follows
 * how WordPiece and BPE vocabularies cut English and code:
 *   - every punctuation or symbol character is one token;
 *   - a run of letters and digits is one token per 6 characters, rounded up
 *     ("the" 1, "government" 2, "internationalization" 4);
 *   - every CJK character is one token.
 * Measured against potion-base-2M's WordPiece tokenizer: about 15% above its count on
 * English prose (so chunks come out a little smaller than asked) and about 5% below it
 * on TypeScript source; the longest default chunk seen held 309 real tokens of 512.
 *
 * Splitting: text is cut into words (with their trailing whitespace); words are packed
 * into a chunk until the next would exceed `chunkTokens`. The cut goes at the strongest
 * boundary in the chunk's second half: a blank line, then a line break, then a sentence
 * end, else the last word that fits. The next chunk starts about `overlapTokens` earlier,
 * at a sentence or line start when there is one in that window, so a passage cut in
 * two is still found whole in one chunk.
 */

/** Default chunk size in estimated tokens: half the default model's 512-token window. */
export const DEFAULT_CHUNK_TOKENS = 256;
/** Default overlap between consecutive chunks, in estimated tokens (1/8 of a chunk). */
export const DEFAULT_OVERLAP_TOKENS = 32;
/** Characters per token for runs of letters and digits. */
const CHARS_PER_TOKEN = 6;

export interface ChunkOptions {
  chunkTokens?: number;
  overlapTokens?: number;
}

export interface Chunk {
  text: string;
  /** Offsets of the chunk in the input text. */
  start: number;
  end: number;
  /** 1-based lines of the first and last character. */
  startLine: number;
  endLine: number;
  /** Estimated tokens. */
  tokens: number;
}

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const PIECE = /[\p{L}\p{N}_]+|[^\p{L}\p{N}_\s]/gu;

/** Estimated token count of a text (see the module comment for the rule). */
export function estimateTokens(text: string): number {
  let n = 0;
  for (const m of text.matchAll(PIECE)) {
    const s = m[0];
    if (s.length === 1 || !/[\p{L}\p{N}_]/u.test(s[0]!)) n += 1;
    else if (CJK.test(s)) {
      let cjk = 0;
      for (const ch of s) if (CJK.test(ch)) cjk++;
      n += cjk + Math.ceil((s.length - cjk) / CHARS_PER_TOKEN);
    } else n += Math.ceil(s.length / CHARS_PER_TOKEN);
  }
  return n;
}

interface Word {
  start: number;
  /** End of the word itself, before its trailing whitespace. */
  end: number;
  tokens: number;
  /** Strength of the boundary after the word: 3 blank line, 2 line break, 1 sentence end, 0 none. */
  boundary: number;
}

function words(text: string, maxTokens: number): Word[] {
  const out: Word[] = [];
  const re = /(\S+)(\s*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const w = m[1]!, ws = m[2]!;
    const start = m.index;
    const boundary = /\n[^\S\n]*\n/.test(ws) ? 3 : ws.includes("\n") ? 2 : /[.!?;:]["')\]]?$/.test(w) ? 1 : 0;
    const tokens = estimateTokens(w);
    if (tokens <= maxTokens) {
      out.push({ start, end: start + w.length, tokens: Math.max(1, tokens), boundary });
      continue;
    }
    // A "word" longer than a chunk (minified code, base64): cut it into chunk-sized slices.
    const step = Math.max(1, Math.floor((w.length * maxTokens) / tokens));
    for (let s = 0; s < w.length; s += step) {
      const e = Math.min(w.length, s + step);
      out.push({ start: start + s, end: start + e, tokens: Math.max(1, estimateTokens(w.slice(s, e))), boundary: e === w.length ? boundary : 0 });
    }
  }
  return out;
}

function checkInt(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer of at least ${min}, received ${v}.`);
}

/**
 * Splits text into overlapping chunks of at most `chunkTokens` estimated tokens.
 * Whitespace-only text gives no chunks.
 * @throws RangeError when chunkTokens < 8 or overlapTokens is negative or not below chunkTokens / 2
 */
export function chunkText(text: string, options: ChunkOptions = {}): Chunk[] {
  const max = options.chunkTokens ?? DEFAULT_CHUNK_TOKENS;
  const overlap = options.overlapTokens ?? DEFAULT_OVERLAP_TOKENS;
  checkInt("chunkTokens", max, 8);
  checkInt("overlapTokens", overlap, 0);
  if (overlap >= max / 2) throw new RangeError(`overlapTokens (${overlap}) must be less than half of chunkTokens (${max}).`);
  const ws = words(text, max);
  const n = ws.length;
  if (n === 0) return [];

  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0, hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };

  const chunks: Chunk[] = [];
  let i = 0;
  while (i < n) {
    let tokens = 0, j = i, best = -1, bestStrength = -1;
    while (j < n && tokens + ws[j]!.tokens <= max) {
      tokens += ws[j]!.tokens;
      if (tokens * 2 >= max && ws[j]!.boundary >= bestStrength) {
        best = j;
        bestStrength = ws[j]!.boundary;
      }
      j++;
    }
    // j is the first word that does not fit (or n); words() guarantees ws[i] fits alone.
    const last = j >= n ? n - 1 : best >= 0 && bestStrength > 0 ? best : j - 1;
    let t = 0;
    for (let x = i; x <= last; x++) t += ws[x]!.tokens;
    const start = ws[i]!.start, end = ws[last]!.end;
    chunks.push({ text: text.slice(start, end), start, end, startLine: lineOf(start), endLine: lineOf(end - 1), tokens: t });
    if (last === n - 1) break;
    // Overlap: step back from the cut while the window stays within `overlap` tokens,
    // remembering the earliest word that starts a sentence or a line.
    let s = last + 1, window = 0, aligned = -1;
    for (let x = last; x > i; x--) {
      window += ws[x]!.tokens;
      if (window > overlap) break;
      s = x;
      if (ws[x - 1]!.boundary > 0) aligned = x;
    }
    i = aligned > 0 ? aligned : s;
  }
  return chunks;
}

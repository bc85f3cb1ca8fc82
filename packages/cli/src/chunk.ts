/**
 * A small token-aware text splitter.
 *
 * Tokens are estimated, not counted with a tokenizer: the index may be built with any
 * model, and the estimate only has to keep chunks comfortably below the model's limit
 * (potion-base-2M reads 512 tokens; the default chunk is 256). The estimate follows
 * how WordPiece and BPE vocabularies cut English and code:
 *   - every punctuation or symbol character is one token;
 *   - a run of letters and digits is one token per 6 characters (code points), rounded up
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
 *
 * Bounds, whatever the input (minified code, data URIs, megabytes without a space or
 * of whitespace): a word longer than a chunk is cut hard at code point boundaries; every
 * chunk holds at most `chunkTokens` estimated tokens and `chunkTokens * 16` characters;
 * every pass moves forward, so the work is linear; and the chunks together hold at most
 * twice the text plus one chunk.
 */

/** Default chunk size in estimated tokens: half the default model's 512-token window. */
export const DEFAULT_CHUNK_TOKENS = 256;
/** Default overlap between consecutive chunks, in estimated tokens (1/8 of a chunk). */
export const DEFAULT_OVERLAP_TOKENS = 32;
/** Characters per token for runs of letters and digits. */
const CHARS_PER_TOKEN = 6;
/**
 * Hard bound on a chunk's length, in UTF-16 units per token of `chunkTokens` (4,096 for
 * the default 256). Tokens alone do not bound a chunk: whitespace costs none. Prose and
 * code stay far below it (6-letter words with a space: 7 per token; deep indentation
 * rarely passes 12), so it only cuts text that is mostly whitespace.
 */
export const MAX_CHARS_PER_TOKEN = 16;

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
const PIECE = /([\p{L}\p{N}_]+)|[^\p{L}\p{N}_\s]/gu;

/** Tokens of a run of letters and digits, by code points: one in all, or CJK ones each plus the rest by six. */
const runTokens = (codePoints: number, cjk: number) => (codePoints === 0 ? 0 : codePoints === 1 ? 1 : cjk + Math.ceil((codePoints - cjk) / CHARS_PER_TOKEN));

/** Estimated token count of a text (see the module comment for the rule). */
export function estimateTokens(text: string): number {
  let n = 0;
  for (const m of text.matchAll(PIECE)) {
    const run = m[1];
    if (run === undefined) n += 1; // one symbol or punctuation code point
    else {
      let cps = 0, cjk = 0;
      for (const ch of run) {
        cps++;
        if (CJK.test(ch)) cjk++;
      }
      n += runTokens(cps, cjk);
    }
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

const WORD_CHAR = /[\p{L}\p{N}_]/u;

/**
 * Cuts a word (a run without whitespace) into slices of at most `maxTokens` estimated
 * tokens and `maxChars` UTF-16 units, at code point boundaries. The estimate is kept
 * incrementally with the same rule as {@link estimateTokens}, so it only grows as a slice
 * grows; each slice takes at least one code point, so the cut always moves forward, in
 * one pass over the word whatever it holds (minified code, base64, a long table row).
 */
export function sliceWord(word: string, maxTokens: number, maxChars: number): { start: number; end: number; tokens: number }[] {
  const out: { start: number; end: number; tokens: number }[] = [];
  let start = 0;
  // Tokens of the finished pieces of the current slice, and the open run of letters and digits.
  let closed = 0, runCps = 0, runCjk = 0;
  for (let i = 0; i < word.length; ) {
    const cp = word.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    // ASCII, most of what gets here (minified code, base64), is classified without a regex.
    const ascii = cp < 0x80;
    const isWord = ascii ? (cp >= 0x30 && cp <= 0x39) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x5f : WORD_CHAR.test(word.slice(i, i + units));
    // The cost of the slice if this code point joins it.
    let nextClosed = closed, nextCps = runCps, nextCjk = runCjk;
    if (isWord) {
      nextCps++;
      if (!ascii && CJK.test(word.slice(i, i + units))) nextCjk++;
    } else {
      nextClosed += runTokens(runCps, runCjk) + 1;
      nextCps = 0;
      nextCjk = 0;
    }
    if (i > start && (nextClosed + runTokens(nextCps, nextCjk) > maxTokens || i + units - start > maxChars)) {
      out.push({ start, end: i, tokens: closed + runTokens(runCps, runCjk) });
      start = i;
      closed = 0;
      runCps = 0;
      runCjk = 0;
      continue; // this code point opens the next slice
    }
    closed = nextClosed;
    runCps = nextCps;
    runCjk = nextCjk;
    i += units;
  }
  if (start < word.length) out.push({ start, end: word.length, tokens: closed + runTokens(runCps, runCjk) });
  return out;
}

function words(text: string, maxTokens: number, maxChars: number): Word[] {
  const out: Word[] = [];
  const re = /(\S+)(\s*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const w = m[1]!, ws = m[2]!;
    const start = m.index;
    const boundary = /\n[^\S\n]*\n/.test(ws) ? 3 : ws.includes("\n") ? 2 : /[.!?;:]["')\]]?$/.test(w) ? 1 : 0;
    if (w.length <= maxChars) {
      const tokens = estimateTokens(w);
      if (tokens <= maxTokens) {
        out.push({ start, end: start + w.length, tokens: Math.max(1, tokens), boundary });
        continue;
      }
    }
    // A "word" longer than a chunk (minified code, base64, data URIs): hard cuts.
    for (const s of sliceWord(w, maxTokens, maxChars)) {
      out.push({ start: start + s.start, end: start + s.end, tokens: Math.max(1, s.tokens), boundary: s.end === w.length ? boundary : 0 });
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
  const maxChars = max * MAX_CHARS_PER_TOKEN;
  const ws = words(text, max, maxChars);
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
    // The first word always joins (words() bounds each word by both limits), so a chunk
    // is never empty and `i` moves forward on every pass: the loop ends within n passes.
    let tokens = ws[i]!.tokens, j = i + 1, best = -1, bestStrength = -1;
    if (tokens * 2 >= max) {
      best = i;
      bestStrength = ws[i]!.boundary;
    }
    const first = ws[i]!.start;
    while (j < n && tokens + ws[j]!.tokens <= max && ws[j]!.end - first <= maxChars) {
      tokens += ws[j]!.tokens;
      if (tokens * 2 >= max && ws[j]!.boundary >= bestStrength) {
        best = j;
        bestStrength = ws[j]!.boundary;
      }
      j++;
    }
    // j is the first word that does not fit (or n).
    const last = j >= n ? n - 1 : best >= 0 && bestStrength > 0 ? best : j - 1;
    let t = 0;
    for (let x = i; x <= last; x++) t += ws[x]!.tokens;
    const start = first, end = ws[last]!.end;
    chunks.push({ text: text.slice(start, end), start, end, startLine: lineOf(start), endLine: lineOf(end - 1), tokens: t });
    if (last === n - 1) break;
    // Overlap: step back from the cut while the window stays within `overlap` tokens and
    // within half the chunk's characters, remembering the earliest word that starts a
    // sentence or a line. The half keeps the output linear: each chunk starts at least
    // half its length after the previous one, so all chunks together hold at most about
    // twice the text, however short the chunks (a run of whitespace ends one early).
    let s = last + 1, window = 0, aligned = -1;
    for (let x = last; x > i; x--) {
      window += ws[x]!.tokens;
      if (window > overlap || (end - ws[x]!.start) * 2 > end - start) break;
      s = x;
      if (ws[x - 1]!.boundary > 0) aligned = x;
    }
    i = aligned > 0 ? aligned : s;
  }
  return chunks;
}

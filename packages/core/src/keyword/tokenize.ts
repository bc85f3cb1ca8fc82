/**
 * Tokeniser for the keyword index: Unicode word runs (letters, marks, digits of any script), with `Intl.Segmenter`
 * for scripts written without spaces (CJK, Thai, ...), NFKC + full case folding, English Porter stemming from
 * `stemmer` (other languages: any word -> stem function), identifiers indexed whole and in parts, CJK as words
 * plus overlapping character bigrams.
 *
 * Why not the segmenter for everything: V8's word segmenter costs about 1.4 us a character at best here (a
 * 1,000-character passage: 1.4 ms, 100k passages: over 2 minutes) and slows down superlinearly on long inputs,
 * while one linear regular expression over Unicode classes finds the same words in space-separated scripts.
 *
 * The same function runs on passages and on queries, so whatever it does to one it does to the other; the index
 * records the language it was built with (see keyword-index.ts) so a query is never tokenised differently.
 *
 * Work is linear in the input: the one multi-character regular expression cannot backtrack (see WORD_RUN), the
 * segmenter only sees bounded windows, every token is truncated to `maxTokenLength` before any per-token work
 * (the stemmer's regular expressions are polynomial in the word's length), and identifier parts are bounded too.
 */
import { stemmer as englishStemmer } from "stemmer";
import { InvalidInputError, InvalidOptionsError } from "../errors.js";

/**
 * A word -> stem function, for example `snowball-stemmers`' `newStemmer("french").stem` bound to its stemmer.
 * It receives case-folded words of letters only, at most `maxTokenLength` long.
 */
export type Stemmer = (word: string) => string;

export interface TokenizerOptions {
  /**
   * Stemming language. `"english"` (default) uses the bundled Porter stemmer; `"none"` indexes folded words as
   * they are. Any other language needs `stemmer` too, so core does not carry every language's tables.
   */
  language?: string;
  /** The stemmer for `language` when it is not English. */
  stemmer?: Stemmer;
  /** Longer tokens are cut to this many UTF-16 units (default 64): bounds work and dictionary size on hostile text. */
  maxTokenLength?: number;
}

export interface Tokenizer {
  /** The language recorded with an index built by this tokeniser. */
  readonly language: string;
  /**
   * Index terms of `text`, in order, with repeats (term frequency counts them).
   * @throws {InvalidInputError} when `text` is not a string.
   */
  tokenize(text: string): string[];
}

/**
 * What createTokenizer's tokenisers also expose: how they tokenise one word, so that the build's fast path for
 * ASCII text (term-tokens.ts) yields exactly what `tokenize` does. Not part of the public API.
 */
export interface WordTokenizer extends Tokenizer {
  readonly maxTokenLength: number;
  /**
   * Appends the tokens of one word run that needs no segmenter (as WORD_RUN finds it in NFKC text) to `out`, and
   * returns its case-folded form (what a hyphenated compound joins). Hyphen joining is the caller's.
   */
  wordTokens(run: string, out: string[]): string;
  /** The case-folded form of a word run, as `wordTokens` returns it. */
  foldWord(run: string): string;
}

/** True for the tokenisers createTokenizer makes (a caller's own Tokenizer has no word-level hook). */
export function isWordTokenizer(t: Tokenizer): t is WordTokenizer {
  const w = t as Partial<WordTokenizer>;
  return typeof w.wordTokens === "function" && typeof w.foldWord === "function" && typeof w.maxTokenLength === "number";
}

/** Words this long or shorter are not stemmed: stemmers mangle short words ("us" -> "u") more than they help. */
const MIN_STEM_LENGTH = 3;
export const DEFAULT_MAX_TOKEN_LENGTH = 64;

const IS_LETTER = /^[\p{L}\p{M}]$/u;
const IS_UPPER = /^\p{Lu}$/u;
const IS_LOWER = /^\p{Ll}$/u;
const IS_DIGIT = /^\p{N}$/u;
const IS_CJK = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]$/u;
/**
 * A word run: letters, marks, digits and "_", joined by single ".", "'", "’" or "::" ("os.path.join",
 * "don't", "foo::bar"). Every repetition of the group must consume a separator that the letter class cannot
 * match, so the engine never has two ways to split a run: matching is linear, with no backtracking blowup.
 */
const WORD_RUN = /[\p{L}\p{N}_][\p{L}\p{M}\p{N}_]*(?:(?:::|['.\u2019])[\p{L}\p{M}\p{N}_]+)*/gu;
/** Scripts written without spaces between words: runs containing them go to Intl.Segmenter. */
const NEEDS_SEGMENTER = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;
const SEGMENT_WINDOW = 512;
/** A hyphenated compound joins at most this many words (a long run of hyphenated words is not one name). */
export const MAX_HYPHEN_PARTS = 8;

/**
 * Makes a tokeniser.
 * @throws {InvalidOptionsError} when `language` is neither English nor "none" and no `stemmer` is given, or when
 *   `maxTokenLength` is not an integer in [8, 1024].
 */
export function createTokenizer(options: TokenizerOptions = {}): Tokenizer {
  const language = (options.language ?? "english").toLowerCase();
  const maxLen = options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH;
  if (!Number.isInteger(maxLen) || maxLen < 8 || maxLen > 1024) {
    throw new InvalidOptionsError(
      `keyword tokenizer: maxTokenLength must be an integer from 8 to 1024, received ${String(maxLen)}. ` +
        `Omit it for the default of ${DEFAULT_MAX_TOKEN_LENGTH}.`,
    );
  }
  let stem: Stemmer | null;
  if (options.stemmer !== undefined) {
    if (typeof options.stemmer !== "function") {
      throw new InvalidOptionsError(`keyword tokenizer: stemmer must be a function (word) => stem, received ${typeof options.stemmer}.`);
    }
    stem = options.stemmer;
  } else if (language === "english") stem = englishStemmer;
  else if (language === "none") stem = null;
  else {
    throw new InvalidOptionsError(
      `keyword tokenizer: no stemmer bundled for language "${language}". Pass one, for example ` +
        `{ language: "${language}", stemmer: (word) => stem } (the snowball-stemmers package has one for ` +
        `most European languages), ` +
        `or use language "none" to index unstemmed words.`,
    );
  }
  if (stem !== null) stem = cachedStemmer(stem);
  // Intl.Segmenter is built into Node with full ICU; one instance is reused (it is stateless between calls).
  const segmenter = new Intl.Segmenter(undefined, { granularity: "word" });
  const tokenizer: WordTokenizer = {
    language,
    maxTokenLength: maxLen,
    tokenize: (text: string) => tokenizeWith(text, segmenter, stem, maxLen),
    wordTokens: (run: string, out: string[]) => {
      const word = cut(run, maxLen);
      const folded = foldCase(word);
      emitWord(word, folded, stem, maxLen, out);
      return folded;
    },
    foldWord: (run: string) => foldCase(cut(run, maxLen)),
  };
  return tokenizer;
}

/** Word frequencies are Zipfian, so a bounded memo of stems removes most stemmer calls (each runs many regexps). */
function cachedStemmer(stem: Stemmer): Stemmer {
  const cache = new Map<string, string>();
  return (w) => {
    let s = cache.get(w);
    if (s === undefined) {
      s = stem(w);
      if (typeof s !== "string" || s.length === 0) s = w;
      if (cache.size >= STEM_CACHE_SIZE) cache.clear();
      cache.set(w, s);
    }
    return s;
  };
}
const STEM_CACHE_SIZE = 50_000;

/** NFKC then full case folding (upper then lower maps "ß" to "ss" and "ﬁ" to "fi", as Unicode folding does). */
export function foldCase(s: string): string {
  if (ASCII.test(s)) return s.toLowerCase(); // NFKC and full folding change nothing else in ASCII
  return s.normalize("NFKC").toUpperCase().toLowerCase();
}
const ASCII = /^[\x00-\x7f]*$/;

function tokenizeWith(text: string, segmenter: Intl.Segmenter, stem: Stemmer | null, maxLen: number): string[] {
  if (typeof text !== "string") {
    throw new InvalidInputError(`keyword tokenizer: expected a string to tokenise, received ${text === null ? "null" : typeof text}.`);
  }
  const out: string[] = [];
  // NFKC first so full-width letters, ligatures and compatibility digits scan like their plain forms.
  const norm = text.normalize("NFKC");
  let hyphenParts: string[] = [];
  let prevEnd = -2;
  let lastCjk = "";
  let cjkEnd = -1;
  const flushHyphen = () => {
    // "--rebase-merges" and "e-mail" are also found whole: words break at the hyphen.
    if (hyphenParts.length > 1) out.push(cut(hyphenParts.join("-"), maxLen));
    hyphenParts = [];
  };
  const onWord = (w: string, start: number, end: number) => {
    const word = cut(w, maxLen);
    if (IS_CJK.test(firstCodePoint(word))) {
      flushHyphen();
      out.push(word);
      // Overlapping bigrams, also across adjacent words, so a query segmented differently still matches.
      const cps = Array.from(word);
      if (start === cjkEnd && lastCjk) out.push(lastCjk + cps[0]!);
      for (let i = 0; i + 1 < cps.length; i++) out.push(cps[i]! + cps[i + 1]!);
      lastCjk = cps[cps.length - 1]!;
      cjkEnd = end;
      return;
    }
    const folded = foldCase(word);
    if (!(start - 1 === prevEnd && norm.charCodeAt(prevEnd) === 0x2d)) flushHyphen();
    if (hyphenParts.length < MAX_HYPHEN_PARTS) hyphenParts.push(folded);
    prevEnd = end;
    emitWord(word, folded, stem, maxLen, out);
  };
  for (const m of norm.matchAll(WORD_RUN)) {
    const run = m[0];
    const start = m.index;
    if (!NEEDS_SEGMENTER.test(run)) {
      onWord(run, start, start + run.length);
      continue;
    }
    // Scripts written without spaces need the segmenter's dictionaries. V8's segment iterator slows down
    // superlinearly on long strings (measured: 96 KB of text took 5.8 s whole, 0.23 s in 1 KB windows), so it
    // gets bounded windows; a word cut at a window edge costs one odd token, not correctness.
    for (let off = 0; off < run.length; ) {
      let endOff = Math.min(run.length, off + SEGMENT_WINDOW);
      const c = run.charCodeAt(endOff - 1);
      if (endOff < run.length && c >= 0xd800 && c <= 0xdbff) endOff--;
      for (const seg of segmenter.segment(run.slice(off, endOff))) {
        if (seg.isWordLike) onWord(seg.segment, start + off + seg.index, start + off + seg.index + seg.segment.length);
      }
      off = endOff;
    }
  }
  flushHyphen();
  return out;
}

/** Cuts to `maxLen` UTF-16 units without splitting a surrogate pair. */
export function cut(s: string, maxLen: number): string {
  if (s.length <= maxLen) return s;
  const c = s.charCodeAt(maxLen - 1);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? maxLen - 1 : maxLen);
}

function firstCodePoint(s: string): string {
  const c = s.codePointAt(0) ?? 0;
  return String.fromCodePoint(c);
}

const PLAIN_ASCII = /^[a-z]+$/;

/**
 * Emits a word: a plain word as its stem; an identifier (camelCase, snake_case, dotted, letters with digits)
 * whole and unstemmed, then each part stemmed, so `reorderForLocality` matches both itself and "locality".
 */
function emitWord(word: string, folded: string, stem: Stemmer | null, maxLen: number, out: string[]): void {
  if (PLAIN_ASCII.test(word)) {
    out.push(stemWord(word, stem)); // the common case, without the per-character walk
    return;
  }
  const parts = identifierParts(word);
  if (parts === null) {
    out.push(stemWord(stripPossessive(folded), stem));
    return;
  }
  out.push(folded);
  for (const p of parts) {
    const f = foldCase(p);
    if (f.length > 0 && f.length <= maxLen) out.push(stemWord(f, stem));
  }
}

function stripPossessive(w: string): string {
  if (w.length > 2 && (w.endsWith("'s") || w.endsWith("\u2019s"))) return w.slice(0, -2);
  return w;
}

function stemWord(w: string, stem: Stemmer | null): string {
  if (stem === null || w.length <= MIN_STEM_LENGTH) return w;
  if (!PLAIN_ASCII.test(w)) for (const ch of w) if (charKind(ch) > LOWER && charKind(ch) !== LETTER) return w; // numbers, versions stay exact
  return stem(w);
}

const UPPER = 0, LOWER = 1, LETTER = 2, DIGIT = 3, OTHER = 4;
/** Letters of caseless scripts and combining marks count as LETTER (Thai vowel signs are marks, not separators). */
function charKind(ch: string): number {
  const c = ch.charCodeAt(0);
  if (c < 128) {
    if (c >= 97 && c <= 122) return LOWER;
    if (c >= 65 && c <= 90) return UPPER;
    if (c >= 48 && c <= 57) return DIGIT;
    return OTHER;
  }
  if (IS_UPPER.test(ch)) return UPPER;
  if (IS_LOWER.test(ch)) return LOWER;
  if (IS_LETTER.test(ch)) return LETTER;
  if (IS_DIGIT.test(ch)) return DIGIT;
  return OTHER;
}

/**
 * Splits an identifier-like word into parts, or returns null for a plain word. Parts break at characters that are
 * neither letters nor digits ("_", ".", ":") and at case changes: "reorderForLocality" -> reorder, For,
 * Locality; "HTTPServer" -> HTTP, Server. Letters and digits stay together ("asn1"), and a word with only an
 * initial capital ("Python") is plain. One pass over the code points.
 */
export function identifierParts(word: string): string[] | null {
  const parts: string[] = [];
  let cur = "";
  let structured = false;
  let prev = OTHER;
  const chars = Array.from(word);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    const kind = charKind(ch);
    if (kind === OTHER) {
      // An apostrophe inside a word ("don't") does not make it an identifier.
      if (ch !== "'" && ch !== "\u2019") structured = true;
      if (cur) parts.push(cur);
      cur = "";
      prev = OTHER;
      continue;
    }
    if (kind === UPPER && prev === LOWER) {
      structured = true;
      parts.push(cur);
      cur = "";
    } else if (kind === UPPER && prev === UPPER) {
      const next = chars[i + 1];
      if (next !== undefined && charKind(next) === LOWER && cur.length > 1) {
        // "XMLHttpRequest": the capital before a lower-case run starts a new part ("IPv6" stays whole).
        structured = true;
        parts.push(cur);
        cur = "";
      }
    }
    cur += ch;
    prev = kind;
  }
  if (cur) parts.push(cur);
  if (!structured) return null;
  return parts.filter((p) => p.length > 0);
}

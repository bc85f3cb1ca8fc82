/**
 * Tokenising straight to term numbers, for building the keyword index. A build tokenises millions of words, and
 * per word `Tokenizer.tokenize` runs several regular expressions, a stemmer lookup and allocates strings that are
 * then looked up again to number them; most of that work repeats for every occurrence of a frequent word. Here a
 * text of ASCII characters only (most passages of English prose and code) is scanned once by character codes, and
 * each word run is looked up by its characters in a memo of the term numbers its first occurrence gave: no string
 * is made for a word seen before. Any other text goes through `tokenize` and is numbered token by token.
 *
 * The numbers are exactly those of interning `tokenize(text)`'s tokens in order (a property test checks it on
 * random text): in ASCII, NFKC changes nothing, no script needs the segmenter, and the scanner below finds the
 * runs of WORD_RUN (tokenize.ts) restricted to ASCII, `[A-Za-z0-9_]+` joined by "::", "'" or "." before another
 * word character; each run's tokens and folded form come from the tokeniser's own word-level code, and hyphen
 * joining follows tokenize's.
 */
import type { TermDictionary } from "./terms.js";
import { MAX_HYPHEN_PARTS, type Tokenizer, type WordTokenizer, cut, isWordTokenizer } from "./tokenize.js";

/** A growable row of term numbers. */
export class TermRow {
  ids: Uint32Array;
  length = 0;

  /** `capacity`: room for this many numbers before the row grows (a good guess saves copies of a large row). */
  constructor(capacity = 1024) {
    this.ids = new Uint32Array(Math.max(16, capacity));
  }

  push(id: number): void {
    if (this.length === this.ids.length) this.ids = grown(this.ids, this.length + 1);
    this.ids[this.length++] = id;
  }
}

const ASCII_ONLY = /^[\x00-\x7f]*$/;
/** WORD_CHAR[c]: 1 for the ASCII letters, digits and "_" (the ASCII part of WORD_RUN's classes). */
const WORD_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) WORD_CHAR[c] = 1;
}
const COLON = 0x3a, APOSTROPHE = 0x27, DOT = 0x2e, HYPHEN = 0x2d;
/** FNV-1a; the offset basis as a signed 32-bit value, so that the hash stays a small integer in V8 throughout. */
const FNV_OFFSET = 0x811c9dc5 | 0, FNV_PRIME = 0x01000193;

export class TermTokenizer {
  private readonly words: WordTokenizer | null;
  private readonly memo: WordMemo;
  private readonly scratch: string[] = [];
  /** Start and end in the text of each word of the hyphenated compound being read. */
  private readonly hyphen = new Int32Array(2 * MAX_HYPHEN_PARTS);
  private parts = 0;

  /** `memoWords`: how many distinct words the memo holds before it starts over (smaller only in tests). */
  constructor(
    private readonly tokenizer: Tokenizer,
    private readonly dict: TermDictionary,
    memoWords = MEMO_WORDS,
  ) {
    this.words = isWordTokenizer(tokenizer) ? tokenizer : null;
    this.memo = new WordMemo(memoWords);
  }

  /**
   * Appends the term numbers of `text`'s tokens to `out`, numbering new terms in `dict`.
   * @throws {InvalidInputError} when `text` is not a string (from the tokeniser).
   */
  tokenize(text: string, out: TermRow): void {
    if (this.words === null || typeof text !== "string" || !ASCII_ONLY.test(text)) {
      for (const t of this.tokenizer.tokenize(text)) out.push(this.dict.intern(t));
      return;
    }
    const memo = this.memo;
    const n = text.length;
    let prevEnd = -2;
    let i = 0;
    this.parts = 0;
    while (i < n) {
      let c = text.charCodeAt(i);
      if (WORD_CHAR[c] !== 1) {
        i++;
        continue;
      }
      const start = i;
      let h = FNV_OFFSET;
      // Every read below is in bounds: an out-of-range charCodeAt gives NaN, which typed array loads handle slowly.
      for (;;) {
        h = Math.imul(h ^ c, FNV_PRIME);
        if (++i >= n) break;
        c = text.charCodeAt(i);
        if (WORD_CHAR[c] === 1) continue;
        // WORD_RUN's separators: "::" or one "'" / ".", each only when a word character follows (the loop's next
        // turn hashes the separator's last character).
        if (c === COLON && i + 2 < n && text.charCodeAt(i + 1) === COLON && WORD_CHAR[text.charCodeAt(i + 2)] === 1) {
          h = Math.imul(h ^ COLON, FNV_PRIME);
          c = text.charCodeAt(++i);
        } else if (!((c === APOSTROPHE || c === DOT) && i + 1 < n && WORD_CHAR[text.charCodeAt(i + 1)] === 1)) break;
      }
      // Hyphen joining as tokenize's onWord does it: a word right after the "-" that ended the previous word
      // continues the compound; anything else ends it. The joined token comes before the word's own.
      if (!(start - 1 === prevEnd && text.charCodeAt(prevEnd) === HYPHEN)) this.flushHyphen(text, out);
      if (this.parts < MAX_HYPHEN_PARTS) {
        this.hyphen[2 * this.parts] = start;
        this.hyphen[2 * this.parts + 1] = i;
        this.parts++;
      }
      prevEnd = i;
      const e = memo.find(text, start, i, h);
      if (e >= 0) memo.copyIds(e, out);
      else this.miss(text, start, i, h, out);
    }
    this.flushHyphen(text, out);
  }

  private flushHyphen(text: string, out: TermRow): void {
    if (this.parts > 1) {
      const words: string[] = [];
      for (let p = 0; p < this.parts; p++) words.push(this.words!.foldWord(text.slice(this.hyphen[2 * p], this.hyphen[2 * p + 1])));
      out.push(this.dict.intern(cut(words.join("-"), this.words!.maxTokenLength)));
    }
    this.parts = 0;
  }

  /** A word not in the memo: tokenised by the tokeniser, numbered, remembered when short. */
  private miss(text: string, start: number, end: number, h: number, out: TermRow): void {
    const tokens = this.scratch;
    tokens.length = 0;
    this.words!.wordTokens(text.slice(start, end), tokens);
    const ids = tokens.map((t) => this.dict.intern(t));
    for (const id of ids) out.push(id);
    // A word longer than a token is rare (hashes, base64) and would only fill the memo.
    if (end - start <= this.words!.maxTokenLength) this.memo.add(text, start, end, h, ids);
  }
}

/**
 * Word runs -> their tokens' term numbers, in flat typed arrays: no object or string per word, so a lookup touches
 * few cache lines and a build makes no garbage. It holds a bounded number of words (then starts over), which bounds
 * its memory on text of unique words.
 */
class WordMemo {
  /** Open addressing, at most half full: table[2s] = hash, table[2s + 1] = entry + 1 (0: empty). */
  private table = new Int32Array(2 * 4096);
  /** Per entry: start and length of its key in `keys`, start and count of its term numbers in `ids`. */
  private meta = new Int32Array(4 * 1024);
  private keys = new Uint16Array(8192);
  private ids = new Uint32Array(4096);
  private count = 0;
  private keysUsed = 0;
  private idsUsed = 0;

  constructor(private readonly capacity: number) {}

  /** The entry of text[start, end) (hash h), or -1. */
  find(text: string, start: number, end: number, h: number): number {
    const table = this.table;
    const mask = (table.length >> 1) - 1;
    const len = end - start;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = table[2 * s + 1]! - 1;
      if (e < 0) return -1;
      if (table[2 * s] !== h || this.meta[4 * e + 1] !== len) continue;
      const from = this.meta[4 * e]!;
      let j = 0;
      while (j < len && this.keys[from + j] === text.charCodeAt(start + j)) j++;
      if (j === len) return e;
    }
  }

  copyIds(e: number, out: TermRow): void {
    const from = this.meta[4 * e + 2]!, to = from + this.meta[4 * e + 3]!;
    for (let k = from; k < to; k++) out.push(this.ids[k]!);
  }

  add(text: string, start: number, end: number, h: number, ids: readonly number[]): void {
    if (this.count >= this.capacity) {
      this.table.fill(0);
      this.count = this.keysUsed = this.idsUsed = 0;
    } else if (2 * (this.count + 1) > this.table.length >> 1) this.grow();
    const len = end - start;
    if (this.keysUsed + len > this.keys.length) this.keys = grown(this.keys, this.keysUsed + len);
    if (this.idsUsed + ids.length > this.ids.length) this.ids = grown(this.ids, this.idsUsed + ids.length);
    if (4 * (this.count + 1) > this.meta.length) this.meta = grown(this.meta, 4 * (this.count + 1));
    const e = this.count++;
    this.meta[4 * e] = this.keysUsed;
    this.meta[4 * e + 1] = len;
    this.meta[4 * e + 2] = this.idsUsed;
    this.meta[4 * e + 3] = ids.length;
    for (let j = 0; j < len; j++) this.keys[this.keysUsed++] = text.charCodeAt(start + j);
    for (const id of ids) this.ids[this.idsUsed++] = id;
    this.place(this.table, h, e);
  }

  private place(table: Int32Array, h: number, e: number): void {
    const mask = (table.length >> 1) - 1;
    let s = h & mask;
    while (table[2 * s + 1] !== 0) s = (s + 1) & mask;
    table[2 * s] = h;
    table[2 * s + 1] = e + 1;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    for (let s = 0; s < old.length; s += 2) if (old[s + 1] !== 0) this.place(this.table, old[s]!, old[s + 1]! - 1);
  }
}

/** By default at most this many words are remembered: about 16 MB of memo at most. */
const MEMO_WORDS = 1 << 18;

function grown<T extends Uint16Array | Uint32Array | Int32Array>(a: T, need: number): T {
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, 2 * a.length));
  b.set(a);
  return b;
}

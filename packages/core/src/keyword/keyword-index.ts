/**
 * The keyword side of hybrid search as one object: tokeniser + compressed postings + BM25 top k, saved with the
 * tokeniser settings so a reopened index tokenises queries exactly as its passages were.
 */
import { CorruptIndexError, InvalidOptionsError } from "../errors.js";
import { decodeKeywordIndex, encodeKeywordIndex } from "./codec.js";
import { PostingsIndex } from "./postings.js";
import { KeywordSavedSize } from "./saved-size.js";
import { type KeywordSearchOptions, type KeywordSearchResult, bm25TopK } from "./search.js";
import { DEFAULT_MAX_TOKEN_LENGTH, type Tokenizer, type TokenizerOptions, createTokenizer } from "./tokenize.js";

interface Meta {
  language: string;
  maxTokenLength: number;
}

export class KeywordIndex {
  private readonly savedSize = new KeywordSavedSize();

  private constructor(
    readonly postings: PostingsIndex,
    readonly tokenizer: Tokenizer,
    private readonly maxTokenLength: number,
  ) {}

  /**
   * An empty index.
   * @throws {InvalidOptionsError} for tokeniser options createTokenizer rejects.
   */
  static create(options: TokenizerOptions = {}): KeywordIndex {
    return new KeywordIndex(new PostingsIndex(), createTokenizer(options), options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH);
  }

  /**
   * Reopens bytes from `toBytes`. A non-English index needs its stemmer passed again (functions are not saved).
   * @throws {CorruptIndexError} when the bytes are damaged or of an unknown version.
   * @throws {InvalidOptionsError} when `options.language` differs from the saved one, or the saved language needs a stemmer.
   */
  static fromBytes(bytes: Uint8Array, options: Pick<TokenizerOptions, "language" | "stemmer"> = {}): KeywordIndex {
    const { index, meta } = decodeKeywordIndex(bytes);
    let m: Meta | undefined;
    try {
      m = JSON.parse(meta) as Meta;
    } catch {
      m = undefined;
    }
    if (typeof m?.language !== "string" || !m.language || !Number.isInteger(m.maxTokenLength)) {
      throw new CorruptIndexError("keyword index", `tokeniser settings are unreadable (${JSON.stringify(meta.slice(0, 80))}). Rebuild the index.`);
    }
    if (options.language !== undefined && options.language.toLowerCase() !== m.language) {
      throw new InvalidOptionsError(
        `keyword index: built with language "${m.language}", opened with "${options.language}". ` +
          `Open it with the language it was built with, or rebuild it.`,
      );
    }
    const tokenizer = createTokenizer({ language: m.language, maxTokenLength: m.maxTokenLength, ...(options.stemmer ? { stemmer: options.stemmer } : {}) });
    return new KeywordIndex(index, tokenizer, m.maxTokenLength);
  }

  /** Encodes the index and its tokeniser settings. */
  toBytes(): Uint8Array {
    return encodeKeywordIndex(this.postings, this.meta());
  }

  /**
   * The length `toBytes()` would have, without encoding: exact but for the compressed dictionary, within
   * DICTIONARY_TOLERANCE of it (see saved-size.ts); a call after a change costs what changed.
   */
  byteLength(): number {
    return this.savedSize.measure(this.postings, this.meta());
  }

  private meta(): string {
    const meta: Meta = { language: this.tokenizer.language, maxTokenLength: this.maxTokenLength };
    return JSON.stringify(meta);
  }

  /**
   * Tokenises and indexes a passage under an internal id.
   * @throws {InvalidInputError} see PostingsIndex.add.
   */
  add(docId: number, text: string): void {
    this.postings.add(docId, this.tokenizer.tokenize(text));
  }

  /** Tombstones a passage; false when it was not indexed. */
  delete(docId: number): boolean {
    return this.postings.delete(docId);
  }

  /**
   * Drops deleted postings and renumbers (see PostingsIndex.compact).
   * @throws {InvalidInputError} when `remap` is not one-to-one.
   */
  compact(remap?: (oldId: number) => number): void {
    this.postings.compact(remap);
  }

  /**
   * BM25 top k for a free-text query.
   * @throws {InvalidOptionsError} see bm25TopK.
   */
  search(query: string, options: KeywordSearchOptions = {}): KeywordSearchResult {
    return bm25TopK(this.postings, this.tokenizer.tokenize(query), options);
  }
}

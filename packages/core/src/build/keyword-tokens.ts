/**
 * Tokenises passages for the keyword index in the main thread's idle time: while a build or an add awaits the
 * embedder (a remote call, or a local model's native threads) and while graph workers run. Tokenising is about
 * two thirds of building the keyword index; done in the gaps, only adding the postings remains once the node
 * order is known.
 *
 * Texts are tokenised straight to term numbers (keyword/term-tokens.ts: fast on ASCII text), exactly the tokens
 * `tokenizer.tokenize` returns; postings are then added in node order, so the keyword index is the one
 * tokenising afterwards would give, byte for byte.
 */
import type { KeywordIndex } from "../keyword/keyword-index.js";
import { TermRow, TermTokenizer } from "../keyword/term-tokens.js";
import { TermDictionary } from "../keyword/terms.js";
import type { Tokenizer } from "../keyword/tokenize.js";

/**
 * Longest stretch of background tokenising between two turns of the event loop. Short, so that an embedder's
 * answer waits at most this long before the next call goes out.
 */
export const TOKENIZE_SLICE_MS = 8;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class KeywordTokens {
  /** Distinct tokens, each kept once: rows hold term numbers, not strings (4 bytes a token). */
  private readonly dict = new TermDictionary();
  private readonly termTokenizer: TermTokenizer;
  /** Every row's term numbers, one after the other. */
  private readonly rows: TermRow;
  /** ends[i]: where row i's term numbers end in `rows`. */
  private readonly ends: Uint32Array;
  private done = 0;
  private stopped = false;

  constructor(
    private readonly texts: readonly string[],
    tokenizer: Tokenizer,
  ) {
    this.ends = new Uint32Array(texts.length);
    let chars = 0;
    for (const t of texts) chars += typeof t === "string" ? t.length : 0;
    // English prose and code run about one token per 6 characters (6.0 on 100k short passages); the first guess
    // is capped (16 MiB) so that text without words does not reserve memory for tokens it never has.
    this.rows = new TermRow(Math.min(Math.ceil(chars / 5), 1 << 22));
    this.termTokenizer = new TermTokenizer(tokenizer, this.dict);
  }

  /**
   * Starts tokenising in the background, one slice per turn of the event loop, the first after a turn (so the
   * caller's embedder calls go out first). Runs until every text is done or `stop`.
   */
  start(): void {
    void this.loop();
  }

  /** Ends the background work (the build finished, failed or was aborted). */
  stop(): void {
    this.stopped = true;
  }

  /** Texts tokenised so far. */
  get tokenized(): number {
    return this.done;
  }

  /**
   * Adds text `order[j]` (or text j without `order`) to `kw` as document `firstId + j`, for every text, tokenising
   * the ones not yet done. Stops the background work.
   * @throws InvalidInputError from the postings (an id already indexed)
   */
  addTo(kw: KeywordIndex, order?: ArrayLike<number>, firstId = 0): void {
    this.stop();
    while (this.done < this.texts.length) this.next();
    const n = this.texts.length;
    // This dictionary's numbers -> the postings' (-1: not yet there), filled as rows are added, so the postings
    // number new terms in the order adding the texts one by one would.
    const toPostings = new Int32Array(this.dict.size).fill(-1);
    let row = new Uint32Array(64);
    for (let j = 0; j < n; j++) {
      const r = order ? order[j]! : j;
      const from = r === 0 ? 0 : this.ends[r - 1]!;
      const to = this.ends[r]!;
      if (row.length < to - from) row = new Uint32Array(Math.max(to - from, 2 * row.length));
      for (let t = from; t < to; t++) {
        const local = this.rows.ids[t]!;
        let id = toPostings[local]!;
        if (id < 0) toPostings[local] = id = kw.postings.internTerm(this.dict.term(local));
        row[t - from] = id;
      }
      kw.postings.addTermIds(firstId + j, row, 0, to - from);
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.done < this.texts.length) {
      await turn();
      const until = performance.now() + TOKENIZE_SLICE_MS;
      while (!this.stopped && this.done < this.texts.length && performance.now() < until) this.next();
    }
  }

  private next(): void {
    this.termTokenizer.tokenize(this.texts[this.done]!, this.rows);
    this.ends[this.done++] = this.rows.length;
  }
}

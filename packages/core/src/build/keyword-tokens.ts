/**
 * Tokenises passages for the keyword index in the main thread's idle time: while a build or an add awaits the
 * embedder (a remote call, or a local model's native threads) and while graph workers run. Tokenising is about
 * two thirds of building the keyword index; done in the gaps, only adding the postings remains once the node
 * order is known.
 *
 * Postings are then added in node order from exactly the tokens `tokenizer.tokenize` returns, so the keyword
 * index is the one tokenising afterwards would give, byte for byte.
 */
import type { KeywordIndex } from "../keyword/keyword-index.js";
import type { Tokenizer } from "../keyword/tokenize.js";

/**
 * Longest stretch of background tokenising between two turns of the event loop. Short, so that an embedder's
 * answer waits at most this long before the next call goes out.
 */
export const TOKENIZE_SLICE_MS = 8;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class KeywordTokens {
  /** Distinct tokens, each kept once: rows hold term numbers, not strings (4 bytes a token). */
  private readonly termIds = new Map<string, number>();
  private readonly terms: string[] = [];
  private ids = new Uint32Array(1024);
  private used = 0;
  /** ends[i]: where row i's term numbers end in `ids`. */
  private readonly ends: Uint32Array;
  private done = 0;
  private stopped = false;

  constructor(
    private readonly texts: readonly string[],
    private readonly tokenizer: Tokenizer,
  ) {
    this.ends = new Uint32Array(texts.length);
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
    const tokens: string[] = [];
    for (let j = 0; j < n; j++) {
      const row = order ? order[j]! : j;
      const from = row === 0 ? 0 : this.ends[row - 1]!;
      const to = this.ends[row]!;
      tokens.length = to - from;
      for (let t = from; t < to; t++) tokens[t - from] = this.terms[this.ids[t]!]!;
      kw.postings.add(firstId + j, tokens);
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
    const tokens = this.tokenizer.tokenize(this.texts[this.done]!);
    if (this.used + tokens.length > this.ids.length) {
      const grown = new Uint32Array(Math.max(this.ids.length * 2, this.used + tokens.length));
      grown.set(this.ids.subarray(0, this.used));
      this.ids = grown;
    }
    for (const t of tokens) {
      let id = this.termIds.get(t);
      if (id === undefined) {
        id = this.terms.length;
        this.termIds.set(t, id);
        this.terms.push(t);
      }
      this.ids[this.used++] = id;
    }
    this.ends[this.done++] = this.used;
  }
}

/**
 * Tokenises passages for the keyword index in the main thread's idle time: while a build or an add awaits the
 * embedder (a remote call, or a local model's native threads) and while graph or codebook workers run; the
 * postings are added the same way from the moment the build knows the node order (before pruning and the
 * codebooks), and `addTo` does whatever is left. Each slice ends at the next step (one text tokenised or added)
 * once a worker's reply waits, so a worker waits for it at most that long.
 *
 * Texts are tokenised straight to term numbers (keyword/term-tokens.ts: fast on ASCII text), exactly the tokens
 * `tokenizer.tokenize` returns; postings are then added in node order, so the keyword index is the one
 * tokenising afterwards would give, byte for byte. A new index takes the numbering as it is (no second
 * dictionary), with its lists sized from the token counts.
 */
import type { KeywordIndex } from "../keyword/keyword-index.js";
import { TermRow, TermTokenizer } from "../keyword/term-tokens.js";
import { TermDictionary } from "../keyword/terms.js";
import type { Tokenizer } from "../keyword/tokenize.js";
import { repliesWaiting } from "../util/worker-pool.js";

/**
 * Longest stretch of background tokenising between two turns of the event loop. Short, so that an embedder's
 * answer waits at most this long before the next call goes out; a worker's reply ends a slice at once (see
 * `repliesWaiting`).
 */
export const TOKENIZE_SLICE_MS = 2;

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
  private running = false;
  /** Where rows are being added (set by addInBackground or addTo), and how many have been. */
  private target: { kw: KeywordIndex; order: ArrayLike<number> | undefined; firstId: number; toPostings: Int32Array | null | undefined; row: Uint32Array } | null = null;
  private addedRows = 0;
  /** What a background step threw, for addTo to throw. */
  private failure: { err: unknown } | null = null;

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
    if (!this.running) void this.loop();
  }

  /** Ends the background work (the build finished, failed or was aborted). */
  stop(): void {
    this.stopped = true;
  }

  /** Texts tokenised so far. */
  get tokenized(): number {
    return this.done;
  }

  /** Texts added to the postings so far. */
  get added(): number {
    return this.addedRows;
  }

  /**
   * Starts adding the texts to `kw` in the background, as `addTo` would, once every text is tokenised: a build
   * knows the node order before its last phases (pruning, codebooks), whose worker waits leave the main thread
   * idle. `addTo` with the same arguments finishes the job.
   */
  addInBackground(kw: KeywordIndex, order?: ArrayLike<number>, firstId = 0): void {
    if (this.target) throw new Error("unreachable: the keyword postings were already given a target");
    this.aim(kw, order, firstId);
    if (!this.stopped) this.start();
  }

  /**
   * Adds text `order[j]` (or text j without `order`) to `kw` as document `firstId + j`, for every text, tokenising
   * the ones not yet done; after `addInBackground`, the same arguments finish what it began. Stops the background
   * work.
   * @throws InvalidInputError from the postings (an id already indexed)
   */
  addTo(kw: KeywordIndex, order?: ArrayLike<number>, firstId = 0): void {
    this.stop();
    if (this.failure) throw this.failure.err;
    while (this.done < this.texts.length) this.next();
    const t = this.target;
    if (t && (t.kw !== kw || t.order !== order || t.firstId !== firstId)) {
      throw new Error("unreachable: addTo's arguments differ from addInBackground's");
    }
    if (!t) this.aim(kw, order, firstId);
    while (this.addedRows < this.texts.length) this.addNext();
  }

  private aim(kw: KeywordIndex, order: ArrayLike<number> | undefined, firstId: number): void {
    this.target = { kw, order, firstId, toPostings: undefined, row: new Uint32Array(64) };
  }

  private async loop(): Promise<void> {
    this.running = true;
    try {
      while (!this.stopped) {
        await turn();
        if (this.stopped) return;
        const until = performance.now() + TOKENIZE_SLICE_MS;
        // At least one step a turn; then on until the slice ends or a graph or codebook worker waits for its next
        // job.
        do if (!this.step()) return;
        while (!this.stopped && performance.now() < until && !repliesWaiting());
      }
    } catch (err) {
      // The background work ends here; addTo throws the error in the caller's hands (a step is never retried: one
      // that failed part way, out of memory say, may have written part of its row).
      this.failure = { err };
    } finally {
      this.running = false;
    }
  }

  /** One text tokenised or, once every row is numbered, one row added; false when neither is left to do. */
  private step(): boolean {
    const n = this.texts.length;
    if (this.done < n) this.next();
    else if (this.target !== null && this.addedRows < n) this.addNext();
    else return false;
    return true;
  }

  /** Adds the next row of the target's order to its postings. */
  private addNext(): void {
    const t = this.target!;
    const postings = t.kw.postings;
    if (t.toPostings === undefined) {
      // Every text is numbered by now. An empty index takes this dictionary as it is (null: no mapping); one in
      // use maps this dictionary's numbers to its own (-1: not there yet), filled as rows are added, so it numbers
      // new terms in the order adding the texts one by one would.
      if (postings.termCount === 0 && postings.docCapacity === 0) {
        const occurrences = new Uint32Array(this.dict.size);
        const ids = this.rows.ids;
        for (let i = 0; i < this.rows.length; i++) occurrences[ids[i]!]!++;
        postings.adoptDictionary(this.dict, occurrences, this.texts.length);
        t.toPostings = null;
      } else t.toPostings = new Int32Array(this.dict.size).fill(-1);
    }
    const j = this.addedRows;
    const r = t.order ? t.order[j]! : j;
    const from = r === 0 ? 0 : this.ends[r - 1]!;
    const to = this.ends[r]!;
    const toPostings = t.toPostings;
    if (toPostings === null) postings.addTermIds(t.firstId + j, this.rows.ids, from, to);
    else {
      if (t.row.length < to - from) t.row = new Uint32Array(Math.max(to - from, 2 * t.row.length));
      const row = t.row;
      for (let i = from; i < to; i++) {
        const local = this.rows.ids[i]!;
        let id = toPostings[local]!;
        if (id < 0) toPostings[local] = id = postings.internTerm(this.dict.term(local));
        row[i - from] = id;
      }
      postings.addTermIds(t.firstId + j, row, 0, to - from);
    }
    this.addedRows = j + 1;
  }

  private next(): void {
    this.termTokenizer.tokenize(this.texts[this.done]!, this.rows);
    this.ends[this.done++] = this.rows.length;
  }
}

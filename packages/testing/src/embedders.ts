/**
 * Fake embedders with the shape the engine and LangChain expect (`embedDocuments`,
 * `embedQuery`, a `model` identity), deterministic and offline. Each records what it
 * was asked, so a test can assert how much work a search or a build really did.
 *
 * - `HashEmbedder`: bag-of-words vectors (similar words, similar vectors), or
 *   text-seeded random ones.
 * - `TableEmbedder`: returns the vectors a test built the index from (recall vs brute force).
 * - `GatedEmbedder`: parks every call until the test releases it (races without sleeps).
 * - `FailingEmbedder`: fails the calls a test chooses, passes the rest through.
 */
import type { Embedder } from "@leann/core";
import { deferred, type Deferred } from "./async.js";
import { bagOfWordsVector, textSeededVector, type BagOfWordsOptions } from "./hashing.js";

/** An embedder with everything a test needs to name it and call it directly. */
export interface FakeEmbedder extends Embedder {
  readonly model: string;
  embedDocuments(texts: string[]): Promise<number[][]>;
  embedQuery(text: string): Promise<number[]>;
}

/** Records every call; subclasses say how a text becomes a vector. */
abstract class RecordingEmbedder implements FakeEmbedder {
  abstract model: string;
  /** The texts of every `embedDocuments` call, in call order (build, insert, recomputation). */
  readonly calls: string[][] = [];
  /** Every `embedQuery` text, in call order. */
  readonly queries: string[] = [];

  /** The vector for one text; pure, so tests can compute expected vectors themselves. */
  abstract vector(text: string): number[];

  /** How many texts went through `embedDocuments` in all. */
  get embedded(): number {
    return this.calls.reduce((n, b) => n + b.length, 0);
  }

  /** Forgets the recorded calls (e.g. after a build, before the search under test). */
  reset(): void {
    this.calls.length = 0;
    this.queries.length = 0;
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls.push([...texts]);
    return texts.map((t) => this.vector(t));
  }

  async embedQuery(text: string): Promise<number[]> {
    this.queries.push(text);
    return this.vector(text);
  }
}

export interface HashEmbedderOptions extends BagOfWordsOptions {
  /** Vector length. Default 64. */
  dims?: number;
  /** Identity recorded in an index (a different name reads as a model swap). Default `hash-<vectors>-<dims>`. */
  model?: string;
  /**
   * "bag-of-words" (default): texts sharing words are similar, for retrieval tests.
   * "text-seeded": each text gets an unrelated pseudo-random direction, for tests of
   * structure (graph, files, recovery) where word overlap must not matter.
   */
  vectors?: "bag-of-words" | "text-seeded";
}

/** A deterministic embedder: the same text always gets the same vector. Records every call. */
export class HashEmbedder extends RecordingEmbedder {
  readonly dims: number;
  model: string;
  private readonly options: HashEmbedderOptions;

  constructor(options: HashEmbedderOptions = {}) {
    super();
    this.options = options;
    this.dims = options.dims ?? 64;
    this.model = options.model ?? `hash-${options.vectors ?? "bag-of-words"}-${this.dims}`;
  }

  vector(text: string): number[] {
    return this.options.vectors === "text-seeded" ? textSeededVector(text, this.dims) : bagOfWordsVector(text, this.dims, this.options);
  }
}

/**
 * Looks texts up in a table, so "recomputation" returns exactly the vectors an index was
 * built from and its results can be compared with brute force on those vectors. Texts
 * outside the table (queries, probes) get a text-seeded vector.
 * @throws {RangeError} from the constructor when texts and vectors differ in number or the table is empty.
 */
export class TableEmbedder extends RecordingEmbedder {
  readonly table = new Map<string, number[]>();
  readonly dims: number;

  constructor(texts: readonly string[], vectors: readonly number[][], public model = "table-embedder") {
    super();
    if (texts.length !== vectors.length || texts.length === 0) {
      throw new RangeError(`TableEmbedder: needs one vector per text and at least one of each, received ${texts.length} texts and ${vectors.length} vectors.`);
    }
    texts.forEach((t, i) => this.table.set(t, vectors[i]!));
    this.dims = vectors[0]!.length;
  }

  vector(text: string): number[] {
    return this.table.get(text) ?? textSeededVector(text, this.dims);
  }
}

/** One parked call of a `GatedEmbedder`. */
export interface GatedCall {
  readonly kind: "documents" | "query";
  readonly texts: readonly string[];
  /** Lets the call go on to the inner embedder. */
  release(): void;
  /** Makes the call reject with `error` instead. */
  fail(error: unknown): void;
}

/**
 * Parks calls until the test lets them go, so a test can act while an embedding is in
 * flight (a concurrent add, a close, a second search) in a fixed order, with no sleeps:
 *
 *     const gated = new GatedEmbedder(new HashEmbedder());
 *     gated.hold();
 *     const search = index.search("q");
 *     const call = await gated.nextCall();  // the search is now waiting on the embedder
 *     // ... act while it waits ...
 *     call.release();
 *     await search;
 *
 * It starts open (calls pass straight through) so an index can be built first.
 */
export class GatedEmbedder implements FakeEmbedder {
  private holding = false;
  /** Parked calls not yet handed out by `nextCall`. */
  private readonly parked: GatedCall[] = [];
  /** Every call still waiting, handed out or not: `open` lets them all go. */
  private readonly unsettled = new Set<GatedCall>();
  private readonly waiters: Deferred<GatedCall>[] = [];

  constructor(readonly inner: FakeEmbedder) {}

  /** The wrapped model's identity, so wrapping never reads as a model swap. */
  get model(): string {
    return this.inner.model;
  }

  /** Calls from now on wait for `release`, `fail` or `open`. */
  hold(): void {
    this.holding = true;
  }

  /** Releases every parked call and lets later ones through. */
  open(): void {
    this.holding = false;
    this.parked.length = 0;
    for (const call of [...this.unsettled]) call.release();
  }

  /** Calls parked and not yet handed out by `nextCall`. */
  get waiting(): number {
    return this.parked.length;
  }

  /** The next parked call (already parked, or the next to arrive), handed out once. */
  nextCall(): Promise<GatedCall> {
    const call = this.parked.shift();
    if (call) return Promise.resolve(call);
    const d = deferred<GatedCall>();
    this.waiters.push(d);
    return d.promise;
  }

  private async gate<T>(kind: GatedCall["kind"], texts: string[], run: () => Promise<T>): Promise<T> {
    if (!this.holding) return run();
    const go = deferred();
    const call: GatedCall = {
      kind,
      texts: [...texts],
      release: () => {
        this.unsettled.delete(call);
        go.resolve();
      },
      fail: (e) => {
        this.unsettled.delete(call);
        go.reject(e);
      },
    };
    this.unsettled.add(call);
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(call);
    else this.parked.push(call);
    await go.promise;
    return run();
  }

  embedDocuments(texts: string[]): Promise<number[][]> {
    return this.gate("documents", texts, () => this.inner.embedDocuments(texts));
  }

  embedQuery(text: string): Promise<number[]> {
    return this.gate("query", [text], () => this.inner.embedQuery(text));
  }
}

/** The error a `FailingEmbedder` throws unless told otherwise. */
export class PlannedFailure extends Error {
  constructor(readonly texts: readonly string[]) {
    super(`FailingEmbedder: planned failure on a call of ${texts.length} text(s), first ${JSON.stringify(texts[0])}.`);
    this.name = "PlannedFailure";
  }
}

type FailRule = { remaining: number; when: (texts: readonly string[]) => boolean; error: (texts: readonly string[]) => unknown };

/**
 * Passes calls through to `inner` except the ones a test chose to fail: the next n calls
 * (`failNext`), or calls whose texts match a predicate (`failWhen`). Counts failures.
 */
export class FailingEmbedder implements FakeEmbedder {
  private readonly rules: FailRule[] = [];
  /** Calls that were made to fail. */
  failures = 0;

  constructor(readonly inner: FakeEmbedder) {}

  /** The wrapped model's identity, so wrapping never reads as a model swap. */
  get model(): string {
    return this.inner.model;
  }

  /** Fails the next `count` calls (either kind) with `error` (default: a `PlannedFailure`). */
  failNext(count = 1, error?: (texts: readonly string[]) => unknown): this {
    this.rules.push({ remaining: count, when: () => true, error: error ?? ((t) => new PlannedFailure(t)) });
    return this;
  }

  /** Fails every call whose texts satisfy `when`, until `heal()`. */
  failWhen(when: (texts: readonly string[]) => boolean, error?: (texts: readonly string[]) => unknown): this {
    this.rules.push({ remaining: Infinity, when, error: error ?? ((t) => new PlannedFailure(t)) });
    return this;
  }

  /** Drops every failure rule: calls pass through again. */
  heal(): void {
    this.rules.length = 0;
  }

  private check(texts: readonly string[]): void {
    const rule = this.rules.find((r) => r.remaining > 0 && r.when(texts));
    if (!rule) return;
    rule.remaining--;
    this.failures++;
    throw rule.error(texts);
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.check(texts);
    return this.inner.embedDocuments(texts);
  }

  async embedQuery(text: string): Promise<number[]> {
    this.check([text]);
    return this.inner.embedQuery(text);
  }
}

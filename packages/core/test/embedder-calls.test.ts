import { describe, expect, it } from "vitest";
import { deferred } from "@leann/testing";
import { DEFAULTS, EmbedderError, EmbedderTimeoutError, LeannIndex } from "../src/index.js";
import { clustered, exactTopK, rows, TableEmbedder, tempDir } from "./helpers.js";

function cosine(a: number[], b: number[]): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

function dataset(n: number, dims: number, seed: number) {
  const data = rows(clustered(n, dims, seed), dims);
  const texts = data.map((_, i) => `doc ${i}`);
  return { data, texts, emb: new TableEmbedder(texts, data) };
}

/**
 * Wraps an embedder so that every embedDocuments call waits until the test opens the gate;
 * `waitFor(k)` resolves once k calls are waiting at the same time.
 */
class GatedEmbedder {
  model = "table-embedder";
  inFlight = 0;
  maxInFlight = 0;
  private waiting: (() => void)[] = [];
  private watchers: { k: number; wake: () => void }[] = [];
  open = false;
  constructor(readonly inner: TableEmbedder) {}
  async embedDocuments(texts: string[]): Promise<number[][]> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (!this.open) {
      await new Promise<void>((wake) => {
        this.waiting.push(wake);
        this.watchers = this.watchers.filter((w) => (this.waiting.length >= w.k ? (w.wake(), false) : true));
      });
    }
    this.inFlight--;
    return this.inner.embedDocuments(texts);
  }
  async embedQuery(text: string): Promise<number[]> {
    return (await this.inner.embedDocuments([text]))[0]!;
  }
  waitFor(k: number): Promise<void> {
    return this.waiting.length >= k ? Promise.resolve() : new Promise((wake) => this.watchers.push({ k, wake }));
  }
  /** Lets the waiting calls go, and every later call too when `forever`. */
  release(forever = false): void {
    this.open = forever;
    const w = this.waiting;
    this.waiting = [];
    for (const wake of w) wake();
  }
}

const never = <T>() => new Promise<T>(() => {});

describe("embedder calls in flight", () => {
  it("keeps embedConcurrency calls in flight when building, and puts every row in its place", async () => {
    const { data, texts, emb } = dataset(300, 16, 1);
    const gated = new GatedEmbedder(emb);
    const built = LeannIndex.build(texts.map((text, i) => ({ id: String(i), text })), { embedder: gated, embedBatchSize: 20, embedConcurrency: 3 });
    // The first call runs alone (it tells the dimensions), then three at a time.
    await gated.waitFor(1);
    expect(gated.inFlight).toBe(1);
    gated.release();
    await gated.waitFor(3);
    expect(gated.inFlight).toBe(3);
    gated.release(true);
    const index = await built;
    expect(gated.maxInFlight).toBe(3);
    // Every row in its place: a row's own vector finds it first, and each hit's score is the
    // exact score of the vector embedded for that id's text.
    for (const q of [0, 77, 299]) {
      const { hits } = await index.search(data[q]!, { k: 5 });
      expect(hits[0]!.id).toBe(String(q));
      for (const h of hits) expect(h.score).toBeCloseTo(cosine(data[q]!, data[Number(h.id)]!), 5);
    }
  });

  it("starts the graph on the rows that have arrived while later embedder calls are still out", async () => {
    const { data, texts, emb } = dataset(300, 16, 8);
    const gated = new GatedEmbedder(emb);
    let graphStarted!: () => void;
    const graphProgress = new Promise<void>((r) => (graphStarted = r));
    const built = LeannIndex.build(texts.map((text, i) => ({ id: String(i), text })), {
      embedder: gated,
      embedBatchSize: 50,
      embedConcurrency: 2,
      onProgress: (p) => p.phase === "graph" && p.done > 1 && graphStarted(),
    });
    await gated.waitFor(1);
    gated.release();
    // Rows 0..49 are in; rows 50..149 are being embedded and stay out until released.
    await gated.waitFor(2);
    await graphProgress;
    expect(gated.inFlight).toBe(2);
    gated.release(true);
    const index = await built;
    const { hits } = await index.search(data[123]!, { k: 3 });
    expect(hits.map((h) => Number(h.id))).toEqual(exactTopK(data, data[123]!, 3));
  });

  it("keeps several calls in flight when adding, by default", async () => {
    const { texts, emb } = dataset(400, 16, 2);
    const index = await LeannIndex.build(texts.slice(0, 300).map((text, i) => ({ id: String(i), text })), { embedder: emb, embedBatchSize: 10 });
    const gated = new GatedEmbedder(emb);
    const loaded = tempDir();
    await index.save(loaded);
    const reopened = await LeannIndex.load(loaded, { embedder: gated, probe: false, embedBatchSize: 10 });
    const adding = reopened.add(texts.slice(300).map((text, j) => ({ id: String(300 + j), text })));
    await gated.waitFor(DEFAULTS.embedConcurrency);
    expect(gated.inFlight).toBe(DEFAULTS.embedConcurrency);
    gated.release(true);
    const r = await adding;
    expect(r.stats.embedded).toBe(100);
    expect(reopened.size).toBe(400);
  });
});

describe("a search's embedder calls", () => {
  it("sends a scan's first batch while the query is still being embedded", async () => {
    const { data, texts, emb } = dataset(300, 16, 7);
    const index = await LeannIndex.build(texts.map((text, i) => ({ id: String(i), text, metadata: { i } })), { embedder: emb, cacheBytes: 0 });
    let answerQuery!: () => void;
    const queryAsked = new Promise<void>((asked) => {
      emb.embedQuery = () => {
        asked();
        return new Promise<number[]>((r) => (answerQuery = () => r(data[40]!)));
      };
    });
    const original = emb.embedDocuments.bind(emb);
    let batchSent!: () => void;
    const batchAsked = new Promise<void>((r) => (batchSent = r));
    emb.embedDocuments = (t: string[]) => {
      batchSent();
      return original(t);
    };
    const searching = index.search("the query", { k: 3, filter: (m) => (m.i as number) % 50 === 0 });
    // Both calls are out before either answer is back.
    await Promise.all([queryAsked, batchAsked]);
    answerQuery();
    const { hits, stats } = await searching;
    expect(stats.path).toBe("scan");
    const matches = [0, 50, 100, 150, 200, 250];
    expect(hits.map((h) => Number(h.id))).toEqual(exactTopK(matches.map((i) => data[i]!), data[40]!, 3).map((j) => matches[j]!));
  });
});

describe("embedder time-outs", () => {
  it("fails a build, an add, a search and a load whose embedder hangs, naming the call and the limit", async () => {
    const { texts, data, emb } = dataset(60, 8, 3);
    const hung = { model: "hung", embedDocuments: () => never<number[][]>() };
    const building = LeannIndex.build([{ id: "a", text: "x" }], { embedder: hung, embedTimeoutMs: 5 });
    await expect(building).rejects.toBeInstanceOf(EmbedderTimeoutError);
    await expect(building).rejects.toMatchObject({ code: "EMBEDDER_FAILED", timeoutMs: 5, call: "embedder (hung).embedDocuments" });
    await expect(building).rejects.toThrow(/did not answer within 5 ms/);

    const index = await LeannIndex.build(texts.map((text, i) => ({ id: String(i), text })), { embedder: emb, embedTimeoutMs: 5 });
    const original = emb.embedDocuments.bind(emb);
    emb.embedDocuments = () => never();
    await expect(index.add([{ id: "new", text: "new" }])).rejects.toBeInstanceOf(EmbedderTimeoutError);
    // With recomputation hung, a search times out on its first batch; with the query embedding hung, on that.
    await expect(index.search("a query")).rejects.toMatchObject({ call: "TableEmbedder (table-embedder).embedDocuments" });
    emb.embedDocuments = original;
    const originalQuery = emb.embedQuery.bind(emb);
    emb.embedQuery = () => never();
    await expect(index.search("a query")).rejects.toMatchObject({ call: "TableEmbedder (table-embedder).embedQuery" });
    emb.embedQuery = originalQuery;
    expect(index.size).toBe(60);

    const dir = tempDir();
    await index.save(dir);
    const hangsOnLoad = Object.assign(new TableEmbedder(texts, data), { load: () => never<void>() });
    await expect(LeannIndex.load(dir, { embedder: hangsOnLoad, embedTimeoutMs: 1 })).rejects.toMatchObject({ call: "TableEmbedder (table-embedder).load", timeoutMs: 10 });
    const hangsOnProbe = { model: "table-embedder", embedDocuments: () => never<number[][]>() };
    await expect(LeannIndex.load(dir, { embedder: hangsOnProbe, embedTimeoutMs: 5 })).rejects.toBeInstanceOf(EmbedderTimeoutError);
  });

  it("lets an add, a save and close() run after a search whose embedder hangs", async () => {
    const { texts, data, emb } = dataset(80, 8, 4);
    const index = await LeannIndex.build(texts.map((text, i) => ({ id: String(i), text })), { embedder: emb, embedTimeoutMs: 5 });
    emb.embedQuery = () => never();
    const searching = index.search("hangs");
    const adding = index.add([{ id: "v", text: "v" }], { vectors: [data[0]!] });
    const saving = index.save(tempDir());
    const closing = index.close();
    await expect(searching).rejects.toBeInstanceOf(EmbedderError);
    await expect(adding).resolves.toMatchObject({ ids: ["v"] });
    await expect(saving).resolves.toBeUndefined();
    await expect(closing).resolves.toBeUndefined();
  });

  it("waits forever only when told to (embedTimeoutMs 0)", async () => {
    const called = deferred<(v: number[][]) => void>();
    const slow = { model: "slow", embedDocuments: () => new Promise<number[][]>((r) => called.resolve(r)) };
    const building = LeannIndex.build([{ id: "a", text: "x" }], { embedder: slow, embedTimeoutMs: 0 });
    // Nothing times out: the build completes whenever the model answers.
    (await called.promise)([[1, 0, 0, 0]]);
    await expect(building).resolves.toBeInstanceOf(LeannIndex);
  });
});

describe("committed state only", () => {
  it("shows the state before an add while the add's embeddings are in flight, then the new one", async () => {
    const { texts, emb } = dataset(200, 16, 5);
    const gated = new GatedEmbedder(emb);
    gated.release(true);
    const index = await LeannIndex.build(texts.slice(0, 150).map((text, i) => ({ id: String(i), text })), { embedder: gated });
    gated.open = false;
    const before = { size: index.size, ids: index.listIds(), sizes: index.sizes(), reachable: index.reachableCount() };
    const adding = index.add([...texts.slice(150).map((text, j) => ({ id: String(150 + j), text })), { id: "3", text: "replaced" }]);
    await gated.waitFor(1);
    expect(index.size).toBe(before.size);
    expect(index.listIds()).toEqual(before.ids);
    expect(index.has("160")).toBe(false);
    expect(index.get("3")?.text).toBe(texts[3]);
    expect(index.sizes()).toEqual(before.sizes);
    expect(index.reachableCount()).toBe(before.reachable);
    gated.release(true);
    await adding;
    expect(index.size).toBe(200);
    expect(index.has("160")).toBe(true);
    expect(index.get("3")?.text).toBe("replaced");
  });

  it("shows an empty created index as empty while its first add is in flight", async () => {
    const { texts, emb } = dataset(20, 8, 6);
    const gated = new GatedEmbedder(emb);
    const index = LeannIndex.create({ embedder: gated });
    const adding = index.add(texts.map((text, i) => ({ id: String(i), text })));
    await gated.waitFor(1);
    expect([index.size, index.dimensions, index.listIds().length]).toEqual([0, 0, 0]);
    gated.release(true);
    await adding;
    expect([index.size, index.dimensions]).toEqual([20, 8]);
  });
});

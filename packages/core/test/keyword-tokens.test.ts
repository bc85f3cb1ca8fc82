import { deferred, HashEmbedder, topicPassages } from "@leann/testing";
import { describe, expect, it } from "vitest";
import { KeywordTokens } from "../src/build/keyword-tokens.js";
import { LeannIndex } from "../src/index.js";
import { KeywordIndex } from "../src/keyword/keyword-index.js";
import { createTokenizer, type Tokenizer } from "../src/keyword/tokenize.js";
import type { IndexState } from "../src/state.js";
import { keywordIndexOf } from "../src/update/keywords.js";
import { InvalidInputError } from "../src/errors.js";
import { repliesWaiting, WorkerPool } from "../src/util/worker-pool.js";

const stateOf = (index: LeannIndex) => (index as unknown as { state: IndexState }).state;
/** The keyword section as tokenising every passage after the build, in node order, gives it. */
const tokenisedAfter = (state: IndexState) => keywordIndexOf(Array.from({ length: state.passages.count }, (_, i) => state.passages.get(i))).toBytes();

const PASSAGES = topicPassages(600, 3).map((p, i) => (i % 7 === 0 ? { ...p, text: `${p.text} reorderForLocality snake_case_name --rebase-merges 東京の天気` } : p));

describe("keyword tokens made while the build waits", () => {
  it("does tokenise every text in the background, before addTo is called", async () => {
    const texts = PASSAGES.map((p) => p.text);
    const inner = createTokenizer();
    const last = deferred();
    let calls = 0;
    const tokenizer: Tokenizer = {
      language: inner.language,
      tokenize: (t) => {
        if (++calls === texts.length) last.resolve();
        return inner.tokenize(t);
      },
    };
    const tokens = new KeywordTokens(texts, tokenizer);
    tokens.start();
    expect(tokens.tokenized).toBe(0); // the first slice waits for a turn of the event loop
    await last.promise;
    expect(tokens.tokenized).toBe(texts.length);
    const kw = KeywordIndex.create();
    tokens.addTo(kw);
    expect(calls).toBe(texts.length); // nothing tokenised twice
    const reference = KeywordIndex.create();
    texts.forEach((t, i) => reference.add(i, t));
    expect(kw.toBytes()).toEqual(reference.toBytes());
  });

  it("does add the texts in the given order under ids from firstId, tokenising what the background did not reach", () => {
    const texts = PASSAGES.slice(0, 50).map((p) => p.text);
    const order = Array.from(texts, (_, i) => (i * 17) % texts.length);
    const kw = KeywordIndex.create();
    const tokens = new KeywordTokens(texts, kw.tokenizer);
    tokens.addTo(kw, order, 0); // never started: all tokenised here
    const reference = KeywordIndex.create();
    order.forEach((row, j) => reference.add(j, texts[row]!));
    expect(kw.toBytes()).toEqual(reference.toBytes());
  });

  it("does add the rows in the background once given the order, leaving addTo nothing to do", async () => {
    const texts = PASSAGES.slice(0, 120).map((p) => p.text);
    const order = Array.from(texts, (_, i) => (i * 7) % texts.length);
    const kw = KeywordIndex.create();
    const tokens = new KeywordTokens(texts, kw.tokenizer);
    tokens.start();
    tokens.addInBackground(kw, order);
    // Turns of the event loop, not time: each turn runs at least one step.
    while (tokens.added < texts.length) await new Promise((r) => setImmediate(r));
    expect(tokens.tokenized).toBe(texts.length);
    tokens.addTo(kw, order);
    expect(tokens.added).toBe(texts.length);
    const reference = KeywordIndex.create();
    order.forEach((row, j) => reference.add(j, texts[row]!));
    expect(kw.toBytes()).toEqual(reference.toBytes());
  });

  it("does throw from addTo what a background add met, with the postings unchanged by it", async () => {
    const texts = PASSAGES.slice(0, 20).map((p) => p.text);
    const kw = KeywordIndex.create();
    kw.add(5, "already here");
    const before = kw.toBytes();
    const tokens = new KeywordTokens(texts, kw.tokenizer);
    tokens.addInBackground(kw, undefined, 5); // starts the background work: id 5 is taken
    for (let i = 0; i < 10 && tokens.added === 0; i++) await new Promise((r) => setImmediate(r));
    expect(tokens.added).toBe(0);
    expect(() => tokens.addTo(kw, undefined, 5)).toThrow(InvalidInputError);
    expect(kw.toBytes()).toEqual(before);
  });

  it("does report a worker's reply as waiting until the main thread takes it or the pool closes", async () => {
    const source = `require("node:worker_threads").parentPort.on("message", () => require("node:worker_threads").parentPort.postMessage({ ok: true }));`;
    const pool = new WorkerPool(source, 1, {});
    expect(repliesWaiting()).toBe(false);
    const reply = pool.request(0, {}, "test");
    // The main thread is busy here (this loop), as it is in a slice of tokenising: the reply is counted at once.
    while (!repliesWaiting());
    await reply;
    expect(repliesWaiting()).toBe(false);
    // A reply never taken (the pool closed first, as after an abort) does not keep the flag up.
    void pool.request(0, {}, "test");
    while (!repliesWaiting());
    await pool.close();
    expect(repliesWaiting()).toBe(false);
  });

  it("does not count a reply whose post failed in the worker", async () => {
    const source = `require("node:worker_threads").parentPort.on("message", () => require("node:worker_threads").parentPort.postMessage({ ok: true, f: () => 1 }));`;
    const pool = new WorkerPool(source, 1, {});
    try {
      await expect(pool.request(0, {}, "test")).rejects.toBeDefined();
      expect(repliesWaiting()).toBe(false);
    } finally {
      await pool.close();
    }
  });

  it("does build the same keyword section as tokenising after the build, embedding or with vectors given", async () => {
    const embedder = new HashEmbedder({ dims: 32 });
    const embedded = await LeannIndex.build(PASSAGES, { embedder, threads: 1 });
    expect(embedded.buildTimings!.keyword).toBeGreaterThanOrEqual(0);
    expect(stateOf(embedded).keyword!.toBytes()).toEqual(tokenisedAfter(stateOf(embedded)));
    const vectors = PASSAGES.map((p) => embedder.vector(p.text));
    const given = await LeannIndex.build(PASSAGES, { embedder, vectors, threads: 2 });
    expect(stateOf(given).keyword!.toBytes()).toEqual(tokenisedAfter(stateOf(given)));
  });

  it("does keep the keyword section as tokenising after each add gives it", async () => {
    const embedder = new HashEmbedder({ dims: 32 });
    const index = await LeannIndex.build(PASSAGES.slice(0, 400), { embedder, threads: 1 });
    for (const part of [PASSAGES.slice(400, 480), PASSAGES.slice(480, 600)]) {
      const r = await index.add(part);
      expect(r.stats.rebuilt).toBe(false);
      expect(stateOf(index).keyword!.toBytes()).toEqual(tokenisedAfter(stateOf(index)));
    }
    // An upsert: the new text is found, the old node's postings are retired.
    await index.add([{ ...PASSAGES[1]!, text: "replaced text about reorderForLocality" }]);
    const hits = await index.search("reorderForLocality", { k: 200, alpha: 0 });
    expect(hits.hits.map((h) => h.id)).toContain(PASSAGES[1]!.id);
    expect(hits.hits.filter((h) => h.id === PASSAGES[1]!.id)).toHaveLength(1);
  });
});

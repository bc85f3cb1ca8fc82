import { InvalidInputError } from "@leann/core";
import { describe, expect, it } from "vitest";
import { createRng as engineRng } from "../../core/src/util/rng.js";
import {
  bagOfWordsVector,
  bruteForceTopK,
  clusteredVectors,
  FailingEmbedder,
  GatedEmbedder,
  HashEmbedder,
  leannErrorOf,
  PlannedFailure,
  recall,
  rejectionOf,
  createRng,
  randomUnitVectors,
  smallCorpusParagraphs,
  TableEmbedder,
  topicPassages,
  topicQueries,
} from "../src/index.js";

const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i]!, 0) / (Math.hypot(...a) * Math.hypot(...b));

describe("seeded data", () => {
  it("gives the engine's stream for every seed, so seeded datasets did not move into the kit changed", () => {
    for (const seed of [0, 1, 42, 2 ** 32 - 1]) {
      const a = createRng(seed), b = engineRng(seed);
      expect(Array.from({ length: 50 }, a)).toEqual(Array.from({ length: 50 }, b));
    }
  });

  it("makes unit vectors and reproducible clustered vectors when given the same seed", () => {
    const u = randomUnitVectors(20, 12, 5);
    for (let i = 0; i < 20; i++) expect(Math.hypot(...u.subarray(i * 12, i * 12 + 12))).toBeCloseTo(1, 5);
    expect(clusteredVectors(50, 8, 3)).toEqual(clusteredVectors(50, 8, 3));
    expect(clusteredVectors(50, 8, 3)).not.toEqual(clusteredVectors(50, 8, 4));
  });

  it("generates the same topic passages and queries for a seed, with unique ids", () => {
    const a = topicPassages(40), b = topicPassages(40);
    expect(a).toEqual(b);
    expect(new Set(a.map((p) => p.id)).size).toBe(40);
    expect(a[3]!.metadata.topic).toBe("football");
    expect(topicQueries(5, 1)).toEqual(topicQueries(5, 1));
    expect(smallCorpusParagraphs().map((p) => p.id)).toContain("doc-cheese#1");
  });
});

describe("reference search", () => {
  it("ranks by cosine, inner product or distance, ties to the lower index", () => {
    const data = [[1, 0], [0, 1], [2, 0], [1, 0]];
    expect(bruteForceTopK(data, [1, 0], 3)).toEqual([0, 2, 3]);
    expect(bruteForceTopK(data, [1, 0], 2, "ip")).toEqual([2, 0]);
    expect(bruteForceTopK(data, [1.9, 0], 2, "l2")).toEqual([2, 0]);
    expect(recall([1, 2, 9], [1, 2, 3])).toBeCloseTo(2 / 3);
  });
});

describe("fake embedders", () => {
  it("gives texts that share words closer bag-of-words vectors than unrelated texts", () => {
    const a = bagOfWordsVector("cheddar cheese from england", 64);
    const b = bagOfWordsVector("a cheese called cheddar", 64);
    const c = bagOfWordsVector("rockets burn fuel in space", 64);
    expect(Math.hypot(...a)).toBeCloseTo(1, 10);
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c));
    expect(bagOfWordsVector("", 8)).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(bagOfWordsVector("to be or", 8, { minWordLength: 3 })).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("records every call and query, and forgets them on reset", async () => {
    const e = new HashEmbedder({ dims: 16 });
    const [v] = await e.embedDocuments(["one two"]);
    await e.embedDocuments(["three", "four"]);
    expect(await e.embedQuery("one two")).toEqual(v);
    expect([e.calls, e.embedded, e.queries]).toEqual([[["one two"], ["three", "four"]], 3, ["one two"]]);
    expect(e.model).toBe("hash-bag-of-words-16");
    e.reset();
    expect([e.calls.length, e.embedded, e.queries.length]).toEqual([0, 0, 0]);
  });

  it("returns the table's vectors for known texts and a fixed vector for others", async () => {
    const t = new TableEmbedder(["a", "b"], [[1, 2], [3, 4]]);
    const [x, y, z] = await t.embedDocuments(["b", "a", "zzz"]);
    expect([x, y]).toEqual([[3, 4], [1, 2]]);
    expect(z).toEqual(await t.embedQuery("zzz"));
    expect(() => new TableEmbedder(["a"], [])).toThrow(RangeError);
  });

  it("parks calls while held until the test releases or fails them", async () => {
    const inner = new HashEmbedder({ dims: 8 });
    const gated = new GatedEmbedder(inner);
    expect(gated.model).toBe(inner.model);
    await gated.embedDocuments(["open by default"]);
    gated.hold();
    const first = gated.embedDocuments(["first"]);
    const second = gated.embedQuery("second");
    const c1 = await gated.nextCall();
    const c2 = await gated.nextCall();
    expect([c1.kind, c1.texts, c2.kind, c2.texts]).toEqual(["documents", ["first"], "query", ["second"]]);
    // Nothing reached the inner embedder while parked.
    expect(inner.calls).toEqual([["open by default"]]);
    expect(inner.queries).toEqual([]);
    c2.fail(new Error("boom"));
    expect(await rejectionOf(second)).toEqual(new Error("boom"));
    c1.release();
    expect(await first).toEqual([inner.vector("first")]);
    // A call that arrives after nextCall() was asked for is handed to that waiter.
    const waiting = gated.nextCall();
    const third = gated.embedDocuments(["third"]);
    expect((await waiting).texts).toEqual(["third"]);
    gated.open();
    await third;
    expect(gated.waiting).toBe(0);
  });

  it("fails the chosen calls and passes the rest through", async () => {
    const f = new FailingEmbedder(new HashEmbedder({ dims: 8 })).failNext(1);
    expect(await rejectionOf(f.embedDocuments(["x"]))).toBeInstanceOf(PlannedFailure);
    expect(await f.embedDocuments(["x"])).toHaveLength(1);
    f.failWhen((texts) => texts.includes("poison"), () => new TypeError("bad text"));
    expect(await rejectionOf(f.embedDocuments(["ok", "poison"]))).toBeInstanceOf(TypeError);
    expect(await f.embedQuery("ok")).toHaveLength(8);
    expect(f.failures).toBe(2);
    f.heal();
    expect(await f.embedDocuments(["poison"])).toHaveLength(1);
  });

  it("rejectionOf throws when the promise resolves", async () => {
    await expect(rejectionOf(Promise.resolve(1))).rejects.toThrow(/expected it to reject/);
  });

  it("leannErrorOf returns a LeannError and throws on any other rejection", async () => {
    const err = await leannErrorOf(Promise.reject(new InvalidInputError("bad")));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.code).toBe("INVALID_INPUT");
    await expect(leannErrorOf(Promise.reject(new TypeError("x")))).rejects.toThrow(/expected a LeannError, got TypeError: x/);
  });
});

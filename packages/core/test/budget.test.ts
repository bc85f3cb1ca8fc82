import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUDGET_PRESETS, chooseLayout, presetBytes } from "../src/build/budget.js";
import { int8Codebook } from "../src/quantize/codebook-int8.js";
import { InvalidOptionsError, LeannIndex } from "../src/index.js";
import { estimateScoreError } from "../src/quantize/error.js";
import { decodePq, encodePq, pqScore, pqTable, trainPq } from "../src/quantize/pq.js";
import { normalTail, QueryError, twoLevelSearch, type SearchContext } from "../src/search/two-level.js";
import { crc32 } from "../src/util/crc32.js";
import { createRng } from "../src/util/rng.js";
import { normalizeRows } from "../src/util/vector.js";
import { clustered, exactTopK, rows, tempDir, TableEmbedder } from "./helpers.js";

/** Correlated vectors (a random linear map of clustered ones), unit length: the case a rotation is for. */
function correlated(n: number, dims: number, seed: number): Float32Array {
  const base = clustered(n, dims, seed);
  const rng = createRng(seed + 1);
  const mix = Float32Array.from({ length: dims * dims }, () => rng() * 2 - 1);
  const out = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) for (let r = 0; r < dims; r++) {
    let s = 0;
    for (let k = 0; k < dims; k++) s += mix[r * dims + k]! * base[i * dims + k]!;
    out[i * dims + r] = s;
  }
  normalizeRows(out, dims);
  return out;
}

describe("storage budget", () => {
  it("buys dims / 2 subspaces with an int8 codebook when more would need half floats that buy fewer", () => {
    // 128-d, 1,000 passages, 150 B: past 64 subspaces the codebook must be half floats, whose cost buys only 47.
    for (const [budget, n, dims] of [[150, 1000, 128], [100, 2000, 96]] as const) {
      const l = chooseLayout(budget, n, dims, {});
      expect(l.pqSubspaces).toBe(dims / 2);
      expect(int8Codebook(l.pqBits, dims, l.pqSubspaces)).toBe(true);
      expect(l.expectedBytes).toBeLessThanOrEqual(budget);
    }
  });

  it("chooses 8-bit codes after a rotation when many passages share their fixed cost", () => {
    const l = chooseLayout("balanced", 100_000, 64, {});
    expect(l).toMatchObject({ pqBits: 8, rotate: true, budget: presetBytes("balanced", 64), preset: "balanced" });
    expect(l.expectedBytes).toBeLessThanOrEqual(presetBytes("balanced", 64));
  });

  it("spends at most 1.5 bytes a dimension under balanced when the vectors are narrow, and the full preset when wide", () => {
    expect(presetBytes("balanced", 64)).toBe(96);
    expect(presetBytes("balanced", 16)).toBe(96);
    expect(presetBytes("balanced", 384)).toBe(BUDGET_PRESETS.balanced);
    expect(presetBytes("fast", 64)).toBe(BUDGET_PRESETS.fast);
    expect(presetBytes("tiny", 64)).toBe(BUDGET_PRESETS.tiny);
    expect(chooseLayout("balanced", 600, 64, {}).budget).toBe(96);
  });

  it("buys a rotation with 8-bit codes under fast and balanced once 10k passages of 512-d share their cost, while tiny stays unrotated", () => {
    const fast = chooseLayout("fast", 10_000, 512, {});
    expect(fast).toMatchObject({ pqBits: 8, rotate: true });
    expect(fast.expectedBytes).toBeLessThanOrEqual(BUDGET_PRESETS.fast);
    // The rotation and the 8-bit codebooks cost a byte a value (and a float32 scale a row or subspace): the codes
    // take what they and the graph leave.
    const fixed = (512 * 512 + 4 * 512 + 256 * 512 + 4 * fast.pqSubspaces) / 10_000;
    expect(fast.pqSubspaces).toBe(Math.floor(BUDGET_PRESETS.fast - fast.graphBytesPerPassage - fixed));
    expect(chooseLayout("balanced", 10_000, 512, {})).toMatchObject({ pqBits: 8, rotate: true });
    expect(chooseLayout("tiny", 10_000, 512, {})).toMatchObject({ rotate: false });
  });

  it("keeps 8-bit codebooks in half floats when their subspaces are one dimension wide, and 4-bit ones always, and counts them so", () => {
    // 100k x 64-d: 64 subspaces of one dimension each; int8 would put 256 levels on a grid of 255.
    const l = chooseLayout("balanced", 100_000, 64, {});
    expect(l).toMatchObject({ pqBits: 8, pqSubspaces: 64 });
    expect(int8Codebook(8, 64, 64)).toBe(false);
    expect(int8Codebook(8, 64, 32)).toBe(true);
    expect(int8Codebook(4, 64, 16)).toBe(false);
    expect(l.expectedBytes).toBeCloseTo(l.graphBytesPerPassage + 64 + (256 * 64 * 2 + 64 * 64 + 4 * 64) / 100_000, 1);
  });

  it("keeps 4-bit unrotated codes when a small collection cannot carry the codebooks", () => {
    const l = chooseLayout("balanced", 678, 384, {});
    expect(l).toMatchObject({ pqBits: 4, rotate: false });
    expect(l.reason).toMatch(/more than half the budget over 678 passages/);
    expect(chooseLayout("tiny", 678, 384, {}).expectedBytes).toBeLessThanOrEqual(64);
  });

  it("gives a pinched graph more bytes as neighbour ids grow wider with the collection", () => {
    expect(chooseLayout("tiny", 10_000, 384, {}).graphBytesPerPassage).toBe(16);
    expect(chooseLayout(55, 100_000, 64, {}).graphBytesPerPassage).toBe(20);
    expect(chooseLayout(55, 100_000, 64, {}).expectedBytes).toBeLessThanOrEqual(55);
    expect(chooseLayout("tiny", 1_000_000, 64, {}).graphBytesPerPassage).toBe(20);
    expect(chooseLayout("tiny", 100_000, 64, { graphBytesPerPassage: 12 }).graphBytesPerPassage).toBe(12);
  });

  it("keeps an expert's code layout exactly when pqBits or pqSubspaces is given", () => {
    const l = chooseLayout("fast", 100_000, 64, { pqSubspaces: 32 });
    expect(l).toMatchObject({ pqBits: 4, pqSubspaces: 32, rotate: false });
    expect(chooseLayout(200, 100_000, 64, { pqBits: 8, pqSubspaces: 16, pqRotation: true })).toMatchObject({ pqBits: 8, pqSubspaces: 16, rotate: true });
  });

  it("records what the budget chose, builds the layout it names, and answers the same after a save and load", async () => {
    const dims = 16;
    const data = rows(correlated(600, dims, 3), dims);
    const texts = data.map((_, i) => `p${i}`);
    const embedder = new TableEmbedder(texts, data);
    const index = await LeannIndex.build(texts.map((text) => ({ text })), { embedder, budget: "fast", threads: 1 });
    expect(index.params.budget).toBe("fast");
    expect(index.params.layout).toMatch(/^fast budget 192 B a passage: 8-bit PQ, 16 subspaces \(16 B\) after a learnt rotation/);
    expect(index.params.scoreErrorSd).toBeGreaterThan(0);
    const dir = tempDir("leann-budget-");
    await index.save(dir);
    const file = readdirSync(dir).find((f) => f.startsWith("index."))!;
    const header = readFileSync(join(dir, file)).toString("latin1", 0, 4096);
    expect(header).toContain('"pq.rotation"');
    expect(header).not.toContain('"pq.centroids"');
    const loaded = await LeannIndex.load(dir, { embedder, probe: false });
    for (const q of data.slice(0, 10)) expect((await loaded.search(q, { k: 5 })).hits).toEqual((await index.search(q, { k: 5 })).hits);
    expect(loaded.params).toEqual(index.params);
  });

  it("rejects a budget that is neither a preset nor a byte count in range with InvalidOptionsError", async () => {
    const embedder = new TableEmbedder(["a"], [[1, 0]]);
    await expect(LeannIndex.build([{ text: "a" }], { embedder, budget: "huge" as never })).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(LeannIndex.build([{ text: "a" }], { embedder, budget: 2 })).rejects.toBeInstanceOf(InvalidOptionsError);
  });
});

describe("rotation", () => {
  it("ranks better than unrotated codes of the same size when dimensions are correlated", () => {
    const dims = 32, n = 1500;
    const v = correlated(n, dims, 5);
    const err = (rotate: boolean) => {
      const pq = trainPq(v, dims, { subspaces: 8, bits: 4, seed: 1, sample: n, iterations: 10, rotate });
      const codes = encodePq(pq, v);
      let e = 0;
      for (let i = 0; i < 200; i++) {
        const d = decodePq(pq, codes, i);
        for (let j = 0; j < dims; j++) e += (d[j]! - v[i * dims + j]!) ** 2;
      }
      return e;
    };
    expect(err(true)).toBeLessThan(err(false) * 0.9);
  });

  it("scores a query against rotated codes as it would the decoded vectors", () => {
    const dims = 24, n = 400;
    const v = correlated(n, dims, 9);
    const pq = trainPq(v, dims, { subspaces: 6, bits: 8, seed: 2, sample: n, iterations: 8, rotate: true });
    const codes = encodePq(pq, v);
    const q = v.slice(0, dims);
    const table = pqTable(pq, q, "ip");
    for (let i = 0; i < 20; i++) {
      const d = decodePq(pq, codes, i);
      let s = 0;
      for (let j = 0; j < dims; j++) s += d[j]! * q[j]!;
      expect(pqScore(pq, codes, i, table)).toBeCloseTo(s, 2);
    }
  });
});

describe("re-ranking stop rule", () => {
  /** A context over a ring graph (each node linked to 6 on each side) with exact vectors counted. */
  function ringContext(v: Float32Array, dims: number, bits: 4 | 8, subspaces: number) {
    const n = v.length / dims;
    const pq = trainPq(v, dims, { subspaces, bits, seed: 3, sample: n, iterations: 8 });
    const codes = encodePq(pq, v);
    let exact = 0;
    const ctx: SearchContext = {
      n, dims, metric: "cosine", maxDegree: 12, seeds: Uint32Array.of(0), pq, codes,
      neighbors: (u, out) => {
        for (let j = 1; j <= 6; j++) { out[2 * j - 2] = (u + j) % n; out[2 * j - 1] = (u - j + n) % n; }
        return 12;
      },
      exact: async (ids) => {
        exact += ids.length;
        const out = new Float32Array(ids.length * dims);
        ids.forEach((id, i) => out.set(v.subarray(id * dims, (id + 1) * dims), i * dims));
        return out;
      },
    };
    return { ctx, pq, codes, count: () => exact };
  }

  it("recomputes fewer candidates with the build's error bound and still returns the exact top k", async () => {
    const dims = 16, n = 800;
    const v = correlated(n, dims, 13);
    const data = rows(v, dims);
    for (const k of [3, 10]) {
      const plain = ringContext(v, dims, 8, 16);
      const bounded = ringContext(v, dims, 8, 16);
      const scoreError = estimateScoreError(bounded.pq, bounded.codes, v, dims, "cosine", 1);
      const q = v.slice(5 * dims, 6 * dims);
      const opts = { k, ef: n, maxRecompute: 200, rerankShare: 1, batchSize: 32, patience: 3 };
      const a = await twoLevelSearch(plain.ctx, q, opts);
      expect(scoreError).not.toBeNull();
      const b = await twoLevelSearch(bounded.ctx, q, { ...opts, scoreError: scoreError! });
      expect(b.ids).toEqual(exactTopK(data, Array.from(q), k));
      expect(a.ids).toEqual(b.ids);
      expect(bounded.count()).toBeLessThan(plain.count());
    }
  });

  it("re-ranks fewer candidates when the codes are more accurate, at the same k, and finds the top k with either", async () => {
    const dims = 16, n = 800;
    const v = correlated(n, dims, 17);
    const data = rows(v, dims);
    for (const k of [3, 10]) {
      let fine = 0, coarse = 0, found = 0;
      for (const qi of [11, 222, 433, 644]) {
        const q = v.slice(qi * dims, (qi + 1) * dims);
        const opts = { k, ef: n, maxRecompute: 400, rerankShare: 1, batchSize: 32, patience: 1 };
        const truth = exactTopK(data, Array.from(q), k);
        const accurate = ringContext(v, dims, 8, 16);
        const rough = ringContext(v, dims, 4, 4);
        const a = await twoLevelSearch(accurate.ctx, q, { ...opts, scoreError: estimateScoreError(accurate.pq, accurate.codes, v, dims, "cosine", 1)! });
        const b = await twoLevelSearch(rough.ctx, q, { ...opts, scoreError: estimateScoreError(rough.pq, rough.codes, v, dims, "cosine", 1)! });
        expect(a.ids).toEqual(truth);
        // Coarse codes may leave a few of the top k behind (the rule allows EXPECTED_MISSES of them), not more.
        found += b.ids.filter((id) => truth.includes(id)).length;
        fine += accurate.count();
        coarse += rough.count();
      }
      expect(found / (4 * k)).toBeGreaterThanOrEqual(0.9);
      expect(fine).toBeLessThan(coarse);
      // Accurate codes hardly re-rank past the k the first batch fills.
      expect(fine).toBeLessThanOrEqual(4 * (k + 4));
    }
  });

  it("re-ranks more when asked for more patience, never less", async () => {
    const dims = 16, n = 800;
    const v = correlated(n, dims, 19);
    const counts: number[] = [];
    for (const patience of [1, 4]) {
      const c = ringContext(v, dims, 4, 4);
      const scoreError = estimateScoreError(c.pq, c.codes, v, dims, "cosine", 1)!;
      await twoLevelSearch(c.ctx, v.slice(0, dims), { k: 10, ef: n, maxRecompute: 400, rerankShare: 1, batchSize: 32, patience, scoreError });
      counts.push(c.count());
    }
    expect(counts[1]).toBeGreaterThan(counts[0]!);
  });

  it("widens the build's error estimate when a query's re-ranked candidates err more, and never narrows it", () => {
    const worse = new QueryError({ mean: 0.05, sd: 0.02 });
    expect(worse.mean).toBe(0.05);
    expect(worse.sd).toBe(0.02);
    for (let i = 0; i < 36; i++) worse.add(i % 2 === 0 ? 0.05 : 0.15);
    // 36 observations (0.10 +- 0.05) against the estimate's weight of 4: the query's errors dominate.
    expect(worse.mean).toBeCloseTo((4 * 0.05 + 36 * 0.1) / 40, 10);
    expect(worse.sd).toBeGreaterThan(0.04);
    const better = new QueryError({ mean: 0.05, sd: 0.02 });
    for (let i = 0; i < 36; i++) better.add(i % 2 === 0 ? 0.009 : 0.011);
    expect(better.mean).toBe(0.05);
    expect(better.sd).toBe(0.02);
  });

  it("computes the normal upper tail it weighs candidates with", () => {
    const table: [number, number][] = [[0, 0.5], [1, 0.158655254], [2, 0.022750132], [3, 0.001349898], [-1, 0.841344746], [5, 2.866516e-7]];
    for (const [x, p] of table) expect(Math.abs(normalTail(x) - p)).toBeLessThan(1e-7);
    expect(normalTail(40)).toBe(0);
  });
});

describe("files written before budgets", () => {
  it("loads an index whose header has no budget or error bound and re-ranks in full batches, as before", async () => {
    const dims = 16;
    const data = rows(correlated(400, dims, 21), dims);
    const texts = data.map((_, i) => `p${i}`);
    const embedder = new TableEmbedder(texts, data);
    const index = await LeannIndex.build(texts.map((text) => ({ text })), { embedder, pqBits: 4, pqSubspaces: 8, threads: 1 });
    const dir = tempDir("leann-old-");
    await index.save(dir);
    // Blank the keys this version added (same length, so section offsets stay) and re-sign the header.
    const file = join(dir, readdirSync(dir).find((f) => f.startsWith("index."))!);
    const buf = readFileSync(file);
    const len = buf.readUInt32LE(12);
    let json = buf.toString("utf8", 20, 20 + len);
    for (const key of ["budget", "given", "layout", "scoreErrorMean", "scoreErrorSd"]) {
      json = json.replace(new RegExp(`,"${key}":("(?:[^"\\\\]|\\\\.)*"|[^,}]*)`), (m) => " ".repeat(m.length));
    }
    expect(json).not.toMatch(/budget|scoreError/);
    buf.write(json, 20, "utf8");
    buf.writeUInt32LE(crc32(buf.subarray(20, 20 + len)), 16);
    writeFileSync(file, buf);
    const old = await LeannIndex.load(dir, { embedder, probe: false });
    expect(old.params.budget).toBeUndefined();
    expect(old.params.scoreErrorSd).toBeUndefined();
    const r = await old.search(data[7]!, { k: 3 });
    const truth = exactTopK(data, data[7]!, 3).map((i) => texts[i]!);
    expect(r.hits.map((h) => h.text)).toEqual(truth);
    // No error bound: the first batch is a full one (32), as every search did before budgets.
    expect(r.stats.recomputed).toBeGreaterThanOrEqual(32);
  });
});

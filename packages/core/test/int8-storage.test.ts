import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CorruptIndexError, LeannIndex } from "../src/index.js";
import { learnRotation } from "../src/quantize/rotation.js";
import { codebookFromInt8 } from "../src/quantize/codebook-int8.js";
import { int8Rotation, rotationBytes, rotationFromInt8, rotationToInt8, roundRotationToInt8 } from "../src/quantize/rotation-int8.js";
import { decodeHalf, encodeHalf } from "../src/util/f16.js";
import { createRng } from "../src/util/rng.js";
import { clustered, rows, tempDir, TableEmbedder } from "./helpers.js";
import { rewriteSections } from "./hostile/craft.js";

/** A learnt rotation of correlated vectors (what a build rounds), d x d. */
function learnt(dims: number, seed: number): Float32Array {
  const v = clustered(800, dims, seed);
  const rng = createRng(seed + 7);
  // Correlate the dimensions so the rotation is far from the identity.
  for (let i = 0; i < 800; i++) for (let j = 1; j < dims; j++) v[i * dims + j]! += 0.6 * v[i * dims + j - 1]! + 0.1 * (rng() - 0.5);
  const bounds = Uint32Array.from({ length: dims / 4 + 1 }, (_, s) => s * 4);
  return learnRotation(v, dims, bounds, Uint32Array.from({ length: 800 }, (_, i) => i));
}

function header(dir: string): string {
  const file = readdirSync(dir).find((f) => f.startsWith("index."))!;
  return readFileSync(join(dir, file)).toString("latin1", 0, 4096);
}

/**
 * Saves `old` (loaded from a file of the older half-float form) and checks that the section `name` is written again
 * in that form, not as int8 (`name` + "8"), and that the reloaded index answers `data`'s first 10 as `before`.
 * Closes `old`.
 */
async function expectResavedInOldForm(old: LeannIndex, embedder: TableEmbedder, data: number[][], before: { hits: unknown[] }[], name: string): Promise<void> {
  const again = tempDir("leann-f16-again-");
  await old.save(again);
  await old.close();
  expect(header(again)).toContain(`"${name}"`);
  expect(header(again)).not.toContain(`"${name}8"`);
  const reloaded = await LeannIndex.load(again, { embedder, probe: false });
  for (let i = 0; i < 10; i++) expect((await reloaded.search(data[i]!, { k: 5 })).hits).toEqual(before[i]!.hits);
  await reloaded.close();
}

describe("int8 rotation", () => {
  it("moves each entry by at most half its row's step and inner products by no more than that error allows when a learnt rotation is rounded", () => {
    const dims = 32;
    const exact = learnt(dims, 3);
    const r = exact.slice();
    const scales = roundRotationToInt8(r, dims);
    // |<R'x, R'y> - <x, y>| <= 2 |E| + |E|^2 for unit x, y, with E = R' - R and |E| its Frobenius norm.
    const frobenius = Math.sqrt(scales.reduce((s, step) => s + dims * (step / 2) ** 2, 0));
    for (let row = 0; row < dims; row++) {
      let max = 0;
      for (let c = 0; c < dims; c++) max = Math.max(max, Math.abs(exact[row * dims + c]!));
      expect(scales[row]).toBeCloseTo(max / 127, 7);
      for (let c = 0; c < dims; c++) expect(Math.abs(r[row * dims + c]! - exact[row * dims + c]!)).toBeLessThanOrEqual(scales[row]! / 2 + 1e-7);
    }
    // <R'x, R'y> against <x, y> for unit x, y: the rounded matrix is nearly orthogonal.
    const rng = createRng(5);
    const unit = () => {
      const x = Float64Array.from({ length: dims }, () => rng() - 0.5);
      const n = Math.hypot(...x);
      return x.map((a) => a / n);
    };
    const rot = (x: Float64Array) => Float64Array.from({ length: dims }, (_, row) => x.reduce((s, a, c) => s + a * r[row * dims + c]!, 0));
    let worst = 0;
    for (let t = 0; t < 50; t++) {
      const x = unit(), y = unit();
      const dot = x.reduce((s, a, c) => s + a * y[c]!, 0);
      const rx = rot(x), ry = rot(y);
      worst = Math.max(worst, Math.abs(rx.reduce((s, a, c) => s + a * ry[c]!, 0) - dot));
    }
    expect(worst).toBeLessThanOrEqual(2 * frobenius + frobenius ** 2);
  });

  it("stores a rounded rotation in dims^2 + 4 dims bytes and rebuilds it bit for bit", () => {
    const dims = 16;
    const r = learnt(dims, 4);
    const scales = roundRotationToInt8(r, dims);
    const bytes = rotationToInt8(r, scales, dims)!;
    expect(bytes.length + scales.byteLength).toBe(dims * dims + 4 * dims);
    expect(rotationFromInt8(bytes, scales, dims)).toEqual(r);
  });

  it("stores rotations of 128 dimensions and wider as int8 and narrower ones as half floats, and counts their bytes so", () => {
    expect(int8Rotation(127)).toBe(false);
    expect(int8Rotation(128)).toBe(true);
    expect(rotationBytes(16)).toBe(16 * 16 * 2);
    expect(rotationBytes(512)).toBe(512 * 512 + 4 * 512);
  });

  it("refuses to store as int8 a rotation that was never rounded, so it is not rounded twice", () => {
    const dims = 16;
    const r = learnt(dims, 6);
    const scales = roundRotationToInt8(r.slice(), dims);
    expect(rotationToInt8(r, scales, dims)).toBeNull();
  });

  it("rejects stored bytes that no writer makes: the byte -128, negative, non-finite or too large scales, wrong sizes", () => {
    const dims = 4;
    const bytes = new Uint8Array(dims * dims).fill(1);
    const scales = new Float32Array(dims).fill(0.005);
    expect(rotationFromInt8(bytes, scales, dims)).not.toBeNull();
    expect(rotationFromInt8(Uint8Array.from(bytes, (b, i) => (i === 5 ? 0x80 : b)), scales, dims)).toBeNull();
    expect(rotationFromInt8(bytes, Float32Array.from(scales, (s, i) => (i === 2 ? -s : s)), dims)).toBeNull();
    expect(rotationFromInt8(bytes, Float32Array.from(scales, (s, i) => (i === 2 ? Number.NaN : s)), dims)).toBeNull();
    // 127 x 0.01 > 1: no entry of a rotation's unit rows is that large.
    expect(rotationFromInt8(bytes, Float32Array.from(scales, (s, i) => (i === 2 ? 0.01 : s)), dims)).toBeNull();
    expect(rotationFromInt8(bytes.subarray(1), scales, dims)).toBeNull();
    expect(rotationFromInt8(bytes, scales.subarray(1), dims)).toBeNull();
  });

  it("rejects sizes that do not match a header's dims before allocating for them, however large the dims", () => {
    const bytes = new Uint8Array(16).fill(1), scales = new Float32Array(4).fill(0.005);
    for (const dims of [2 ** 26, 2 ** 33, 2 ** 40, 0, -4, 4.5]) expect(rotationFromInt8(bytes, scales, dims)).toBeNull();
  });
});

describe("int8 rotation in the index file", () => {
  async function rotatedIndex() {
    // 128-d: narrower rotations keep half floats.
    const dims = 128;
    const data = rows(clustered(400, dims, 8), dims);
    const texts = data.map((_, i) => `p${i}`);
    const embedder = new TableEmbedder(texts, data);
    const index = await LeannIndex.build(texts.map((text) => ({ text })), { embedder, pqRotation: true, pqBits: 8, pqSubspaces: 32, threads: 1, keywordIndex: false });
    return { index, embedder, data, dims };
  }

  it("saves a new build's rotation as int8 rows and answers the same after a load", async () => {
    const { index, embedder, data } = await rotatedIndex();
    const dir = tempDir("leann-rot8-");
    await index.save(dir);
    expect(header(dir)).toContain('"pq.rotation8"');
    expect(header(dir)).not.toContain('"pq.rotation"');
    const loaded = await LeannIndex.load(dir, { embedder, probe: false });
    for (const q of data.slice(0, 10)) expect((await loaded.search(q, { k: 5 })).hits).toEqual((await index.search(q, { k: 5 })).hits);
    await loaded.close();
    await index.close();
  });

  it("loads a file whose rotation is half floats (written before int8 rotations) and saves it again in that form", async () => {
    const { index, embedder, data } = await rotatedIndex();
    const dir = tempDir("leann-rot16-");
    await index.save(dir);
    await index.close();
    // The older writer's form: the same rotation as half floats under "pq.rotation".
    rewriteSections(dir, (s) => {
      const r = rotationFromInt8(s.get("pq.rotation8") as Uint8Array, s.get("pq.rotation8.scales") as Float32Array, 128)!;
      s.delete("pq.rotation8");
      s.delete("pq.rotation8.scales");
      s.set("pq.rotation", encodeHalf(r));
    });
    const old = await LeannIndex.load(dir, { embedder, probe: false });
    const before = await Promise.all(data.slice(0, 10).map((q) => old.search(q, { k: 5 })));
    expect(before.every((r) => r.hits.length === 5)).toBe(true);
    expect(old.sizes().rotation).toBe(128 * 128 * 2);
    await expectResavedInOldForm(old, embedder, data, before, "pq.rotation");
  });

  it("rejects with CorruptIndexError a file with both rotations, or with int8 bytes and no scales", async () => {
    const { index, embedder } = await rotatedIndex();
    const dir = tempDir("leann-rot-bad-"), pristine = tempDir("leann-rot-pristine-");
    await index.save(dir);
    await index.save(pristine);
    await index.close();
    rewriteSections(dir, (s) => s.set("pq.rotation", encodeHalf(decodeHalf(new Uint16Array(128 * 128)))));
    await expect(LeannIndex.load(dir, { embedder, probe: false })).rejects.toBeInstanceOf(CorruptIndexError);
    rewriteSections(pristine, (s) => s.delete("pq.rotation8.scales"));
    await expect(LeannIndex.load(pristine, { embedder, probe: false })).rejects.toBeInstanceOf(CorruptIndexError);
  });
});

describe("int8 codebook in the index file", () => {
  async function built(pqRotation: boolean) {
    const dims = 16;
    const data = rows(clustered(400, dims, 12), dims);
    const texts = data.map((_, i) => `p${i}`);
    const embedder = new TableEmbedder(texts, data);
    const index = await LeannIndex.build(texts.map((text) => ({ text })), { embedder, pqRotation, pqBits: 8, pqSubspaces: 8, threads: 1, keywordIndex: false });
    return { index, embedder, data };
  }

  it.each([
    ["unrotated", false, "pq.centroids"],
    ["rotated", true, "opq.centroids"],
  ] as const)("saves a new %s build's centroids as int8 with a scale a subspace and answers the same after a load", async (_, rotate, name) => {
    const { index, embedder, data } = await built(rotate);
    expect(index.sizes().pqCodebooks).toBe(256 * 16 + 4 * 8 + 9 * 4);
    const dir = tempDir("leann-cb8-");
    await index.save(dir);
    expect(header(dir)).toContain(`"${name}8"`);
    expect(header(dir)).toContain(`"${name}8.scales"`);
    expect(header(dir)).not.toContain(`"${name}"`);
    const loaded = await LeannIndex.load(dir, { embedder, probe: false });
    for (const q of data.slice(0, 10)) expect((await loaded.search(q, { k: 5 })).hits).toEqual((await index.search(q, { k: 5 })).hits);
    await loaded.close();
    await index.close();
  });

  it("loads a file whose centroids are half floats (written before int8 codebooks) and saves it again in that form", async () => {
    const { index, embedder, data } = await built(false);
    const dir = tempDir("leann-cb16-");
    await index.save(dir);
    await index.close();
    rewriteSections(dir, (s) => {
      const bounds = s.get("pq.bounds") as Uint32Array;
      const c = codebookFromInt8(s.get("pq.centroids8") as Uint8Array, s.get("pq.centroids8.scales") as Float32Array, bounds, 8)!;
      s.delete("pq.centroids8");
      s.delete("pq.centroids8.scales");
      s.set("pq.centroids", encodeHalf(c));
    });
    const old = await LeannIndex.load(dir, { embedder, probe: false });
    const before = await Promise.all(data.slice(0, 10).map((q) => old.search(q, { k: 5 })));
    expect(old.sizes().pqCodebooks).toBe(256 * 16 * 2 + 9 * 4);
    await expectResavedInOldForm(old, embedder, data, before, "pq.centroids");
  });

  it("rejects with CorruptIndexError a file with both codebooks, or with int8 centroids and no scales", async () => {
    const { index, embedder } = await built(false);
    const dir = tempDir("leann-cb-bad-"), other = tempDir("leann-cb-bad2-");
    await index.save(dir);
    await index.save(other);
    await index.close();
    rewriteSections(dir, (s) => s.set("pq.centroids", new Uint16Array(256 * 16)));
    await expect(LeannIndex.load(dir, { embedder, probe: false })).rejects.toBeInstanceOf(CorruptIndexError);
    rewriteSections(other, (s) => s.delete("pq.centroids8.scales"));
    await expect(LeannIndex.load(other, { embedder, probe: false })).rejects.toBeInstanceOf(CorruptIndexError);
  });

  it("rejects with CorruptIndexError an int8 codebook whose scale is finite but decodes past float32's range", async () => {
    const { index, embedder } = await built(false);
    const big = tempDir("leann-cb-big-");
    await index.save(big);
    await index.close();
    // Finite, but 127 x 3e38 is Infinity in float32: the centroids would rank every passage wrongly. (Half-float
    // sections holding Infinity or NaN are refused by the file reader itself, format/index-file.ts.)
    rewriteSections(big, (s) => s.set("pq.centroids8.scales", Float32Array.from(s.get("pq.centroids8.scales") as Float32Array, (x, i) => (i === 0 ? 3e38 : x))));
    await expect(LeannIndex.load(big, { embedder, probe: false })).rejects.toBeInstanceOf(CorruptIndexError);
  });
});

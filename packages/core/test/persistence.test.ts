import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CorruptIndexError,
  DimensionMismatchError,
  DuplicateIdError,
  EmbedderError,
  IndexNotFoundError,
  InvalidInputError,
  InvalidOptionsError,
  LeannError,
  LeannIndex,
  ModelMismatchError,
} from "../src/index.js";
import { clustered, rows, TableEmbedder, tempDir } from "./helpers.js";

function corpus(n = 600, dims = 16, seed = 21) {
  const data = rows(clustered(n, dims, seed), dims);
  const texts = data.map((_, i) => `text ${i} — ünïcode ✓`);
  const passages = texts.map((text, i) => ({ id: `id-${i}`, text, metadata: { i, even: i % 2 === 0, tags: [`t${i % 3}`] } }));
  return { data, texts, passages, emb: new TableEmbedder(texts, data) };
}

async function expectError(p: Promise<unknown> | (() => unknown), cls: new (...a: never[]) => LeannError, code: string): Promise<LeannError> {
  let err: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(cls);
  expect((err as LeannError).code).toBe(code);
  expect(LeannError.isInstance(err)).toBe(true);
  return err as LeannError;
}

describe("save and load", () => {
  it("round-trips: same hits and scores, text and metadata from the passage file", async () => {
    const { data, passages, emb } = corpus();
    const index = await LeannIndex.build(passages, { embedder: emb });
    const dir = tempDir();
    await index.save(dir);
    const loaded = await LeannIndex.load(dir, { embedder: emb });
    expect(loaded.size).toBe(600);
    expect(loaded.dimensions).toBe(16);
    expect(loaded.model).toBe("table-embedder");
    for (const q of [data[0]!, data[123]!, data[599]!]) {
      const a = await index.search(q, { k: 5 });
      const b = await loaded.search(q, { k: 5 });
      expect(b.hits).toEqual(a.hits);
    }
    expect(loaded.get("id-7")).toEqual({ id: "id-7", text: passages[7]!.text, metadata: passages[7]!.metadata });
    expect(readdirSync(dir).sort()).toEqual(["CURRENT", "index.1.leann", "passages.1.leann"]);
    loaded.close();
  });

  it("keeps index structures far smaller than the text", async () => {
    const { passages, emb } = corpus(2000, 16, 3);
    const long = passages.map((p) => ({ ...p, text: `${p.text} ${"lorem ipsum dolor sit amet ".repeat(30)}` }));
    const e2 = new TableEmbedder(long.map((p) => p.text), [...emb.table.values()]);
    const index = await LeannIndex.build(long, { embedder: e2 });
    const sizes = index.sizes();
    const raw = long.reduce((s, p) => s + Buffer.byteLength(p.text), 0);
    expect((sizes.indexTotal - sizes.keyword) / 2000).toBeLessThan(64);
    // The keyword index: a compressed fraction of the text it indexes.
    expect(sizes.keyword).toBeGreaterThan(0);
    expect(sizes.keyword).toBeLessThan(raw * 0.1);
    expect(sizes.passages).toBeLessThan(raw * 1.1);
    expect(sizes.graph + sizes.pqCodes + sizes.pqCodebooks + sizes.rotation + sizes.storedVectors + sizes.keyword + sizes.other).toBe(sizes.indexTotal);
  });

  it("raises IndexNotFoundError for a directory without an index", async () => {
    const { emb } = corpus(10);
    await expectError(LeannIndex.load(tempDir(), { embedder: emb }), IndexNotFoundError, "INDEX_NOT_FOUND");
    await expectError(LeannIndex.load(join(tempDir(), "missing"), { embedder: emb }), IndexNotFoundError, "INDEX_NOT_FOUND");
  });

  it("raises ModelMismatchError for another model, unless overridden", async () => {
    const { passages, emb } = corpus(100);
    const dir = tempDir();
    await (await LeannIndex.build(passages, { embedder: emb })).save(dir);
    const other = Object.assign(new TableEmbedder([...emb.table.keys()], [...emb.table.values()]), { model: "other-model" });
    await expectError(LeannIndex.load(dir, { embedder: other }), ModelMismatchError, "MODEL_MISMATCH");
    const ok = await LeannIndex.load(dir, { embedder: other, allowModelMismatch: true });
    expect(ok.size).toBe(100);
  });

  it("raises DimensionMismatchError when the embedder's dimensions differ", async () => {
    const { passages, emb } = corpus(100);
    const dir = tempDir();
    await (await LeannIndex.build(passages, { embedder: emb })).save(dir);
    const wrong = { model: "table-embedder", embedDocuments: async (t: string[]) => t.map(() => [1, 2, 3]) };
    await expectError(LeannIndex.load(dir, { embedder: wrong }), DimensionMismatchError, "DIMENSION_MISMATCH");
  });

  it("raises CorruptIndexError naming the file for truncated, flipped, foreign and wrong-version files", async () => {
    const { passages, emb } = corpus(300);
    const dir = tempDir();
    await (await LeannIndex.build(passages, { embedder: emb })).save(dir);
    for (const file of ["index.1.leann", "passages.1.leann"]) {
      const path = join(dir, file);
      const good = readFileSync(path);
      const cases: [string, Buffer][] = [
        ["truncated", good.subarray(0, Math.floor(good.length / 2))],
        ["empty", Buffer.alloc(0)],
        ["flipped", Buffer.from(good.map((b, i) => (i === Math.floor(good.length * 0.6) ? b ^ 0x10 : b)))],
        ["magic", Buffer.concat([Buffer.from("NOTLEANN"), good.subarray(8)])],
        ["version", Buffer.from(good.map((b, i) => (i === 8 ? 99 : b)))],
        ["foreign", Buffer.from("{\"hello\": \"world\"}\n".repeat(20))],
      ];
      for (const [, bytes] of cases) {
        writeFileSync(path, bytes);
        const err = await expectError(
          (async () => {
            const idx = await LeannIndex.load(dir, { embedder: emb });
            // A passage file damaged inside a record is caught when the record is read.
            for (let i = 0; i < 300; i++) idx.get(`id-${i}`);
            await idx.search(passages[0]!.text, { k: 5 });
          })(),
          CorruptIndexError,
          "CORRUPT_INDEX",
        );
        expect(err.message).toContain(file);
      }
      writeFileSync(path, good);
    }
    writeFileSync(join(dir, "CURRENT"), "garbage");
    await expectError(LeannIndex.load(dir, { embedder: emb }), CorruptIndexError, "CORRUPT_INDEX");
  });

  it("saves again into the same directory as a new generation and removes the old one", async () => {
    const { passages, emb } = corpus(200);
    const dir = tempDir();
    const index = await LeannIndex.build(passages, { embedder: emb });
    await index.save(dir);
    await index.add([{ id: "new", text: passages[0]!.text + " copy" }], { vectors: [[...emb.table.values()][0]!] });
    await index.save(dir);
    expect(readdirSync(dir).sort()).toEqual(["CURRENT", "index.2.leann", "passages.2.leann"]);
    const loaded = await LeannIndex.load(dir, { embedder: emb, probe: false });
    expect(loaded.size).toBe(201);
    expect(loaded.get("new")?.text).toBe(passages[0]!.text + " copy");
    expect(existsSync(join(dir, "index.1.leann"))).toBe(false);
  });
});

describe("bad input", () => {
  const { passages, emb, data } = corpus(50);
  it("rejects empty passage lists, empty text and duplicate ids", async () => {
    await expectError(LeannIndex.build([], { embedder: emb }), InvalidInputError, "INVALID_INPUT");
    await expectError(LeannIndex.build([{ text: "  " }], { embedder: emb }), InvalidInputError, "INVALID_INPUT");
    await expectError(LeannIndex.build([{ id: "a", text: "x" }, { id: "a", text: "y" }], { embedder: emb }), DuplicateIdError, "DUPLICATE_ID");
  });
  it("rejects metadata that JSON cannot round-trip", async () => {
    await expectError(LeannIndex.build([{ text: "x", metadata: { d: new Date() } }], { embedder: emb }), InvalidInputError, "INVALID_INPUT");
    await expectError(LeannIndex.build([{ text: "x", metadata: { n: NaN } }], { embedder: emb }), InvalidInputError, "INVALID_INPUT");
  });
  it("rejects unknown options and a k that is not a positive integer", async () => {
    await expectError(LeannIndex.build(passages, { embedder: emb, bogus: 1 } as never), InvalidOptionsError, "INVALID_OPTIONS");
    await expectError(LeannIndex.build(passages, { embedder: emb, M: 1 }), InvalidOptionsError, "INVALID_OPTIONS");
    const index = await LeannIndex.build(passages, { embedder: emb });
    for (const k of [0, -1, 1.5, Number.NaN]) await expectError(index.search(data[0]!, { k }), InvalidOptionsError, "INVALID_OPTIONS");
    await expectError(index.search(data[0]!, { mode: "stored" }), InvalidOptionsError, "INVALID_OPTIONS");
    await expectError(index.search([1, 2]), DimensionMismatchError, "DIMENSION_MISMATCH");
    await expectError(index.search(data[0]!.map(() => Number.NaN)), InvalidInputError, "INVALID_INPUT");
  });
  it("rejects a missing embedder and vectors that do not fit", async () => {
    await expectError(LeannIndex.build(passages, {} as never), InvalidOptionsError, "INVALID_OPTIONS");
    await expectError(LeannIndex.build(passages, { embedder: emb, vectors: [[1]] }), InvalidInputError, "INVALID_INPUT");
    await expectError(LeannIndex.build(passages.slice(0, 2), { embedder: emb, vectors: [[1, 2], [1, 2, 3]] }), DimensionMismatchError, "DIMENSION_MISMATCH");
    await expectError(LeannIndex.build(passages.slice(0, 1), { embedder: emb, vectors: [[1, Infinity]] }), InvalidInputError, "INVALID_INPUT");
  });
  it("names the embedder when it throws, returns too few vectors, or NaN", async () => {
    const throwing = { embedDocuments: async () => { throw new Error("boom"); } };
    const short = { embedDocuments: async (t: string[]) => t.slice(1).map(() => [1, 2]) };
    const nan = { embedDocuments: async (t: string[]) => t.map(() => [1, Number.NaN]) };
    const slow = { embedDocuments: () => new Promise<number[][]>(() => {}) };
    for (const bad of [throwing, short, nan]) await expectError(LeannIndex.build(passages, { embedder: bad }), EmbedderError, "EMBEDDER_FAILED");
    await expectError(LeannIndex.build(passages, { embedder: slow, embedTimeoutMs: 50 }), EmbedderError, "EMBEDDER_FAILED");
  });
});

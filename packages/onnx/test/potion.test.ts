/**
 * The real potion-base-2M (int8) shipped in packages/onnx/models, against a reference
 * computed here from the raw file bytes. These tests fail, never skip, when the
 * folder is missing.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { Tokenizer } from "@huggingface/tokenizers";
import { LocalEmbeddings } from "../src/index.js";
import { requirePotion } from "./helpers/potion.js";

/** The reference reads the safetensors bytes itself: header JSON, then I8 rows times F32 row scales. */
function referenceModel(dir: string) {
  const buf = readFileSync(join(dir, "model.int8.safetensors"));
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8")) as Record<string, { shape: number[]; data_offsets: [number, number] }>;
  const emb = header["embeddings"]!;
  const sc = header["scales"]!;
  const [rows, dims] = emb.shape as [number, number];
  const base = 8 + n;
  const row = (r: number): number[] => {
    const scale = buf.readFloatLE(base + sc.data_offsets[0] + 4 * r);
    return Array.from({ length: dims }, (_, j) => buf.readInt8(base + emb.data_offsets[0] + r * dims + j) * scale);
  };
  const tokJson = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")) as { added_tokens: Array<{ id: number; special: boolean }> };
  const special = new Set(tokJson.added_tokens.filter((t) => t.special).map((t) => t.id));
  const tokenizer = new Tokenizer(tokJson, {});
  const embed = (text: string): number[] => {
    const ids = tokenizer.encode(text, { add_special_tokens: false }).ids.filter((i) => !special.has(i));
    const acc = new Array<number>(dims).fill(0);
    for (const id of ids) row(id).forEach((x, j) => (acc[j]! += x));
    const norm = Math.sqrt(acc.reduce((s, x) => s + x * x, 0));
    return acc.map((x) => x / norm);
  };
  return { rows, dims, embed };
}

const cos = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

describe("potion-base-2M (the shipped int8 model)", () => {
  let dir: string;
  let embeddings: LocalEmbeddings;
  beforeAll(() => {
    dir = requirePotion();
    embeddings = new LocalEmbeddings({ model: dir });
  });

  it("matches the reference computed from the raw file to 1e-6", async () => {
    const ref = referenceModel(dir);
    const texts = [
      "The cat sat on the mat.",
      "LEANN recomputes embeddings at search time instead of storing them.",
      "Überraschung! Ça va? 東京 is a city; naïve café résumé",
      "a",
      "Quarterly revenue rose 12% to $4.5bn, beating analysts' expectations.",
      Array.from({ length: 120 }, (_, i) => ["graph", "index", "vector", "search", "prune"][i % 5]).join(" "),
    ];
    const got = await embeddings.embedBatch(texts);
    expect(embeddings.dimensions).toBe(64);
    expect(embeddings.modelId).toBe("potion-base-2M-int8");
    texts.forEach((t, i) => {
      const want = ref.embed(t);
      for (let j = 0; j < 64; j++) expect(Math.abs(got[i]![j]! - want[j]!)).toBeLessThan(1e-6);
    });
  });

  it("scores paraphrases well above unrelated pairs", async () => {
    const [a, b, c, d] = await embeddings.embedBatch([
      "How do I reset my password?",
      "I forgot my password and need to change it.",
      "The stock market closed higher on Friday.",
      "Shares rallied at the end of the trading week.",
    ]);
    expect(cos(a!, b!)).toBeGreaterThan(cos(a!, c!) + 0.2);
    expect(cos(c!, d!)).toBeGreaterThan(cos(b!, d!) + 0.2);
  });
});

import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LeannIndex } from "../src/index.js";
import { clustered, rows, TableEmbedder, tempDir } from "./helpers.js";

function corpus(n: number, dims = 16, seed = 5) {
  const data = rows(clustered(n, dims, seed), dims);
  const texts = data.map((_, i) => `passage ${i}`);
  return { passages: texts.map((text, i) => ({ id: `p${i}`, text })), emb: new TableEmbedder(texts, data) };
}

function savedIndexBytes(dir: string): number {
  const file = readdirSync(dir).find((f) => /^index\.\d+\.leann$/.test(f))!;
  return statSync(join(dir, file)).size;
}

describe("sizes()", () => {
  it("reports the index file a save writes (to within a few bytes) without encoding it, also after changes", async () => {
    const { passages, emb } = corpus(700);
    const index = await LeannIndex.build(passages.slice(0, 600), { embedder: emb });
    // Checksums are counted at their longest decimal form: never less than the file, at most a few bytes more.
    const near = (reported: number, written: number) => {
      expect(reported).toBeGreaterThanOrEqual(written);
      expect(reported - written).toBeLessThan(128);
    };
    const check = async () => {
      const dir = tempDir();
      const before = index.sizes().indexTotal;
      await index.save(dir);
      const written = savedIndexBytes(dir);
      near(index.sizes().indexTotal, written);
      return { before, written };
    };
    let r = await check();
    near(r.before, r.written);
    await index.add(passages.slice(600));
    r = await check();
    near(r.before, r.written);
    await index.delete(passages.slice(0, 50).map((p) => p.id));
    // Deleted passages stay in the structures until compaction, which a save runs first.
    r = await check();
    expect(r.before).toBeGreaterThan(r.written);
    await index.close();
  });
});

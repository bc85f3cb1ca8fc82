import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The example's own dependencies come from `pnpm install` (it is a workspace package).
 * Looks for llamaindex as ESM resolution does, from this folder up (NODE_PATH, which the
 * pnpm bin shims set, would find the store's hoisted copy that main.ts cannot import).
 */
function resolvable(pkg: string): boolean {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "node_modules", pkg, "package.json"))) return true;
    if (dirname(dir) === dir) return false;
  }
}
const installed = resolvable("llamaindex");

describe.skipIf(!installed)("examples/llamaindex-query (needs pnpm install)", () => {
  it("indexes the folder, agrees with SimpleVectorStore, answers from the nodes, and takes far fewer bytes", async () => {
    const { main } = await import("./main.js");
    const r = await main({ log: () => undefined });
    expect(r.files).toBe(5);
    expect(r.nodes).toBeGreaterThanOrEqual(15);
    for (const q of r.queries) {
      expect(q.leann).toHaveLength(3);
      expect(q.simple).toHaveLength(3);
      // The best node is the one SimpleVectorStore ranks first.
      expect(q.leann[0]).toBe(q.simple[0]);
    }
    expect(r.agreement).toBeGreaterThanOrEqual(0.9);
    expect(r.filteredFiles).toEqual(["hnsw.txt", "hnsw.txt"]);
    expect(r.answer).toMatch(/^At search time LEANN walks the graph/);
    // LEANN keeps no embeddings: smaller than SimpleVectorStore's JSON, and than its embeddings as float32.
    expect(r.bytes.leannTotal).toBeLessThan(r.bytes.simple["vector_store.json"]!);
    expect(r.bytes.leannTotal).toBeLessThan(r.bytes.simpleTotal / 2);
    expect(r.bytes.perNode.leann).toBeLessThan(r.bytes.perNode.simple / 4);
    expect(Object.keys(r.bytes.leann)).toContain("CURRENT");
    expect(r.lines.join("\n")).toContain("Bytes on disk");
  });

  it("indexes the user's own folder (subfolders, .md and .txt) and answers the user's questions", async () => {
    const { main } = await import("./main.js");
    const dir = mkdtempSync(join(tmpdir(), "leann-li-query-"));
    try {
      mkdirSync(join(dir, "garden"));
      writeFileSync(join(dir, "garden", "tomatoes.md"), "# Tomatoes\n\nWater tomatoes deeply twice a week and stake them when they reach knee height.\n");
      writeFileSync(join(dir, "bikes.txt"), "Oil the bicycle chain every two hundred kilometres and after riding in the rain.\n");
      writeFileSync(join(dir, "photo.png"), "not text");
      const r = await main({ dataDir: dir, questions: ["How often should I oil my bike chain?", "When do tomatoes need stakes?"], log: () => undefined });
      expect(r.files).toBe(2);
      expect(r.queries.map((q) => q.query)).toEqual(["How often should I oil my bike chain?", "When do tomatoes need stakes?"]);
      expect(r.queries[0]!.leann[0]).toBe(r.queries[0]!.simple[0]);
      expect(r.filteredFiles).toEqual([]);
      expect(r.answer).toContain("bicycle chain");
      expect(r.lines[0]).toContain(`Indexed 2 files from ${dir}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("asks for questions when given a folder without any, and for a folder that exists", async () => {
    const { main } = await import("./main.js");
    await expect(main({ dataDir: join(dirname(fileURLToPath(import.meta.url)), "data"), questions: [], log: () => undefined })).rejects.toThrow(/No questions: pass them after the folder/);
    await expect(main({ dataDir: "/no/such/folder", questions: ["q"], log: () => undefined })).rejects.toThrow(/is not a folder/);
  });
});

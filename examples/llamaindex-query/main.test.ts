import { existsSync } from "node:fs";
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
    expect(r.answer).toMatch(/^The price of the small index is latency/);
    // LEANN keeps no embeddings: smaller than SimpleVectorStore's JSON, and than its embeddings as float32.
    expect(r.bytes.leannTotal).toBeLessThan(r.bytes.simple["vector_store.json"]!);
    expect(r.bytes.leannTotal).toBeLessThan(r.bytes.simpleTotal / 2);
    expect(r.bytes.perNode.leann).toBeLessThan(r.bytes.perNode.simple / 4);
    expect(Object.keys(r.bytes.leann)).toContain("CURRENT");
    expect(r.lines.join("\n")).toContain("Bytes on disk");
  });
});

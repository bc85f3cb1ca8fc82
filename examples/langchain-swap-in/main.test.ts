import { describe, expect, it } from "vitest";
import { main } from "./main.js";

describe("examples/langchain-swap-in", () => {
  it("runs the same chain on both stores: same top-k within the recall target, far fewer bytes for LEANN", async () => {
    const r = await main({ log: () => undefined });
    expect(r.documents).toBe(600);
    expect(r.retrieved.memory).toHaveLength(4);
    expect(r.retrieved.leann).toHaveLength(4);
    expect(r.agreement).toBeGreaterThanOrEqual(0.9);
    expect(r.bytes.leann).toBeGreaterThan(0);
    // No embeddings on disk: smaller than the float32 embeddings alone, let alone the JSON.
    expect(r.bytes.leann).toBeLessThan(r.bytes.embeddingsFloat32);
    expect(r.bytes.memoryJson).toBeGreaterThan(r.bytes.embeddingsFloat32);
    expect(r.lines.join("\n")).toContain("LeannVectorStore.save(dir)");
  });
});

import { describe, expect, it } from "vitest";
import { fuzzIndex, fuzzSection } from "./fixtures/fuzz-harness.js";
import { tempDir } from "./helpers.js";

describe("damaged files", () => {
  it("rejects every damaged index with CorruptIndexError or answers exactly as before (400 mutations)", async () => {
    const report = await fuzzIndex(400, 7, tempDir("leann-fuzz-"));
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(400);
    expect(report.rejected).toBeGreaterThan(300);
  });

  it("rejects every damaged index or answers exactly as before when its codes use a learnt rotation (150 mutations)", async () => {
    const report = await fuzzIndex(150, 11, tempDir("leann-fuzz-rot-"), { pqRotation: true, pqBits: 8 });
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(150);
    expect(report.rejected).toBeGreaterThan(100);
  });

  it("rejects a damaged keyword section with CorruptIndexError, or loads and answers, even with its checksum made valid (200 mutations)", async () => {
    const report = await fuzzSection("keyword", 200, 5, tempDir("leann-fuzz-kw-"));
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(200);
    expect(report.rejected).toBeGreaterThan(100);
  });

  it.each(["pq.rotation8", "pq.rotation8.scales", "opq.centroids8", "opq.centroids8.scales"])("rejects a damaged %s with CorruptIndexError, or loads and answers, even with its checksum made valid (60 mutations)", async (section) => {
    // 128-d: narrower rotations keep half floats.
    const report = await fuzzSection(section, 60, 17, tempDir("leann-fuzz-rot8-"), { pqRotation: true, pqBits: 8, pqSubspaces: 32 }, 128);
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(60);
  });

  it("rejects every damaged index or answers exactly as before when its passage file carries a trained dictionary (150 mutations)", async () => {
    const dir = tempDir("leann-fuzz-dict-");
    const report = await fuzzIndex(150, 13, dir, {}, true);
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(150);
    expect(report.rejected).toBeGreaterThan(100);
  });
});

import { describe, expect, it } from "vitest";
import { fuzzIndex } from "./fixtures/fuzz-harness.js";
import { tempDir } from "./helpers.js";

describe("damaged files", () => {
  it("rejects every damaged index with CorruptIndexError or answers exactly as before (400 mutations)", async () => {
    const report = await fuzzIndex(400, 7, tempDir("leann-fuzz-"));
    expect(report.failures).toEqual([]);
    expect(report.cases).toBe(400);
    expect(report.rejected).toBeGreaterThan(300);
  });
});

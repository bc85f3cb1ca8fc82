import { describe, expect, it } from "vitest";
import { CASES } from "./cases.js";
import { formatReport, runHostile } from "./runner.js";

describe("hostile-input suite (issue 14)", () => {
  it(`ends all ${CASES.length} attacks with a typed error or the right answer: 0 crashes, hangs, over-bound allocations, untyped errors, wrong answers, data lost`, async () => {
    const report = await runHostile(CASES);
    console.log(formatReport(report));
    expect(report.results.filter((r) => r.outcome !== "ok")).toEqual([]);
    expect(report.results).toHaveLength(CASES.length);
    expect(new Set(CASES.map((c) => c.cls)).size).toBe(8);
  }, 240_000);
});

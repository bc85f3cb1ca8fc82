import { LeannIndex } from "@leann/core";
import { HashEmbedder, IDENTIFIER_CORPUS, rejectionOf } from "@leann/testing";
import { describe, expect, it } from "vitest";
import { CliError } from "../src/exit-codes.js";
import { checkAlpha, hybridJson, hybridLine, parseAlpha } from "../src/hybrid.js";

const { query: QUERY, needle: NEEDLE, distractors: DISTRACTORS } = IDENTIFIER_CORPUS;

function build(keywordIndex = true) {
  return LeannIndex.build([...DISTRACTORS, NEEDLE], { embedder: new HashEmbedder(), threads: 1, keywordIndex });
}

describe("parseAlpha", () => {
  it.each([
    ["0", 0],
    ["1", 1],
    ["0.4", 0.4],
    [" .25 ", 0.25],
    ["1.0", 1],
  ])("does accept %j as %d", (raw, want) => {
    expect(parseAlpha(raw)).toBe(want);
  });

  it.each(["1.5", "-0.1", "abc", "", "0x1", "1e-1", "NaN", "Infinity"])("does throw a usage CliError for %j", (raw) => {
    let err: unknown;
    try {
      parseAlpha(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).code).toBe("USAGE");
    expect((err as CliError).message).toContain("--alpha must be a number from 0 to 1");
  });
});

describe("keyword index checks", () => {
  it("does refuse --alpha below 1 on an index without a keyword index, and allow 1 or the default", async () => {
    const without = await build(false);
    const err = await rejectionOf(checkAlpha(without, "kb", 0.3));
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).code).toBe("NO_KEYWORD_INDEX");
    expect((err as CliError).hint).toContain("leann build kb --force");
    await checkAlpha(without, "kb", 1);
    await checkAlpha(without, "kb", undefined);
    await checkAlpha(await build(), "kb", 0.3);
  });
});

describe("what each side contributed", () => {
  it("does report a default hybrid search: alpha, the keyword side and where the hits came from", async () => {
    const index = await build();
    const r = await index.search(QUERY, { k: 3 });
    expect(r.hits[0]!.id).toBe(NEEDLE.id);
    const j = hybridJson(r.stats);
    expect(j.alpha).toBe(0.4);
    expect(j.keyword!.termsMatched).toBeGreaterThan(0);
    expect(j.fused!.both + j.fused!.fromDense + j.fused!.fromKeyword).toBe(3);
    const line = hybridLine(r, undefined);
    expect(line).toMatch(/^Hybrid \(alpha 0\.4, the default\): \d+ query words found in \d+ passages; hits from both sides \d+, dense only \d+, keyword only \d+\.$/);
  });

  it("does report keyword-only and dense-only searches, and why a default search was dense only", async () => {
    const index = await build();
    const kw = await index.search(QUERY, { k: 3, alpha: 0 });
    expect(hybridLine(kw, 0)).toMatch(/^Keyword only \(--alpha 0\): \d+ query words found in \d+ passages; no embeddings computed\.$/);
    expect(hybridJson(kw.stats).fused).toBeNull();
    const dense = await index.search(QUERY, { k: 3, alpha: 1 });
    expect(hybridLine(dense, 1)).toBe("Dense only (--alpha 1).");
    expect(hybridJson(dense.stats)).toEqual({ alpha: 1, keyword: null, fused: null });
    const noKw = await (await build(false)).search(QUERY, { k: 3 });
    expect(hybridLine(noKw, undefined)).toContain("this index has no keyword index");
  });
});

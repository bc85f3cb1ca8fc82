/** End-to-end tests of the `leann` command (helpers: helpers/cli-workspace.ts). The `leann` executable run from source, and the chunker. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { chunkText, estimateTokens } from "../packages/cli/src/index.js";
import { ROOT } from "./helpers/cli-workspace.js";

// ---- the executable and the chunker ----------------------------------------------------

describe("the leann executable", () => {
  it("runs from source with tsx and exits with the command's code", () => {
    const home = mkdtempSync(join(tmpdir(), "leann-bin-"));
    try {
      const r = spawnSync(process.execPath, ["--conditions=leann-source", "--import", "tsx", join(ROOT, "packages/cli/src/bin.ts"), "search", "missing", "q", "--json"], {
        cwd: ROOT,
        env: { ...process.env, LEANN_HOME: home },
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(r.status).toBe(2);
      expect(JSON.parse(r.stdout).error.code).toBe("INDEX_NOT_FOUND");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("chunkText", () => {
  const prose = readFileSync(join(ROOT, "packages/cli/README.md"), "utf8").repeat(3);

  it("keeps every chunk within the token budget and covers the whole text", () => {
    const chunks = chunkText(prose, { chunkTokens: 128, overlapTokens: 16 });
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) {
      expect(c.tokens).toBeLessThanOrEqual(128);
      expect(estimateTokens(c.text)).toBeLessThanOrEqual(c.tokens);
      expect(prose.slice(c.start, c.end)).toBe(c.text);
    }
    expect(chunks[0]!.start).toBe(0);
    expect(chunks.at(-1)!.end).toBe(prose.trimEnd().length);
    // No text is lost: between two chunks there is at most whitespace (a chunk ending in a word longer
    // than the overlap, like a long Markdown link, is followed without overlap, past the line break).
    for (let i = 1; i < chunks.length; i++) expect(prose.slice(chunks[i - 1]!.end, Math.max(chunks[i - 1]!.end, chunks[i]!.start)).trim()).toBe("");
  });

  it("overlaps consecutive chunks by about the overlap, and not at all with overlap 0", () => {
    const chunks = chunkText(prose, { chunkTokens: 128, overlapTokens: 24 });
    const shared = chunks.slice(1).map((c, i) => estimateTokens(prose.slice(c.start, Math.max(c.start, chunks[i]!.end))));
    expect(Math.max(...shared)).toBeLessThanOrEqual(24);
    expect(shared.filter((t) => t > 0).length).toBeGreaterThan(shared.length / 2);
    const none = chunkText(prose, { chunkTokens: 128, overlapTokens: 0 });
    for (let i = 1; i < none.length; i++) expect(none[i]!.start).toBeGreaterThanOrEqual(none[i - 1]!.end);
  });

  it("cuts at paragraph ends when one falls in the chunk's second half", () => {
    const para = (w: string) => Array.from({ length: 40 }, () => w).join(" ") + ".";
    const text = [para("alpha"), para("beta"), para("gamma")].join("\n\n");
    const chunks = chunkText(text, { chunkTokens: 100, overlapTokens: 0 });
    expect(chunks.map((c) => c.text)).toEqual([`${para("alpha")}\n\n${para("beta")}`, para("gamma")]);
    expect(chunks[1]!.startLine).toBe(5);
  });

  it("splits a single overlong word, and gives no chunks for blank text", () => {
    const chunks = chunkText("x".repeat(5000), { chunkTokens: 64, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.tokens).toBeLessThanOrEqual(64);
    expect(chunks.map((c) => c.text).join("")).toBe("x".repeat(5000));
    expect(chunkText(" \n\t ")).toEqual([]);
  });

  it("estimates tokens: punctuation 1, words by 6 letters, CJK by character", () => {
    expect(estimateTokens("the")).toBe(1);
    expect(estimateTokens("internationalization")).toBe(4);
    expect(estimateTokens("a, b.")).toBe(4);
    expect(estimateTokens("東京都")).toBe(3);
    expect(() => chunkText("x", { chunkTokens: 100, overlapTokens: 50 })).toThrow(RangeError);
  });
});

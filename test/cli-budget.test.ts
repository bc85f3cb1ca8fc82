/** End-to-end tests of the `leann` command (helpers: helpers/cli-workspace.ts). `leann build --budget` and what `leann info` says it bought. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../packages/cli/src/exit-codes.js";
import { leann, makeWorkspace, removeWorkspace, type Workspace } from "./helpers/cli-workspace.js";

const TOPICS = ["boiler", "pump", "grinder", "valve", "gasket", "filter", "tamper", "steam wand", "drip tray", "reservoir"];
const ACTIONS = ["descale", "inspect", "replace", "clean", "tighten", "calibrate", "lubricate", "flush"];

/**
 * A folder of a few hundred small passages: enough that the shared codebooks no longer
 * dominate the bytes a passage, so the budgets choose different layouts.
 */
function writeManual(dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (let f = 0; f < 4; f++) {
    const lines: string[] = [];
    for (let i = 0; i < 90; i++) {
      const topic = TOPICS[(i * 7 + f) % TOPICS.length]!;
      const action = ACTIONS[(i * 3 + f * 5) % ACTIONS.length]!;
      lines.push(`Step ${f}.${i}: ${action} the ${topic} every ${2 + ((i + f) % 11)} weeks, then record the ${topic} reading number ${i * 13 + f} in the log.`);
      lines.push("");
    }
    writeFileSync(join(dir, `manual-${f}.md`), lines.join("\n"));
  }
}

let ws: Workspace;
beforeAll(() => {
  ws = makeWorkspace();
  writeManual(join(ws.dir, "manual"));
});
afterAll(() => removeWorkspace(ws));

const SMALL_CHUNKS = ["--chunk-tokens", "32", "--overlap", "0"];

describe("leann build --budget and leann info", () => {
  it("records the budget and layout when built with --budget tiny and fast, and info shows fast spending at least the bytes a passage of tiny", async () => {
    const tiny = await leann(ws, ["build", "tiny", "manual", "--budget", "tiny", ...SMALL_CHUNKS, "--json"]);
    expect(tiny.code).toBe(0);
    expect(tiny.json().budget).toBe("tiny");
    expect(tiny.json().layout).toMatch(/^tiny budget 64 B a passage: /);
    const fast = await leann(ws, ["build", "fast", "manual", "--budget", "FAST", ...SMALL_CHUNKS, "--json"]);
    expect(fast.code).toBe(0);
    expect(fast.json().budget).toBe("fast");

    const t = (await leann(ws, ["info", "tiny", "--json"])).json();
    const f = (await leann(ws, ["info", "fast", "--json"])).json();
    expect(t.passages).toBeGreaterThan(200);
    expect(f.passages).toBe(t.passages);
    expect(t.budget).toBe("tiny");
    expect(f.budget).toBe("fast");
    expect(t.layout).toMatch(/^tiny budget 64 B a passage: \d-bit PQ, \d+ subspaces/);
    expect(f.layout).toMatch(/^fast budget 192 B a passage: \d-bit PQ, \d+ subspaces/);
    for (const x of [t, f]) {
      const per = x.bytesPerPassage;
      expect(per.graph).toBeCloseTo(x.bytes.graph / x.passages, 1);
      expect(per.pqCodes).toBeCloseTo(x.bytes.pqCodes / x.passages, 1);
      expect(per.pqCodebooks).toBeCloseTo(x.bytes.pqCodebooks / x.passages, 1);
      expect(per.rotation).toBeCloseTo(x.bytes.rotation / x.passages, 1);
      expect(per.storedVectors).toBeCloseTo(x.bytes.storedVectors / x.passages, 1);
      expect(per.other).toBeCloseTo(x.bytes.other / x.passages, 1);
      expect(per.indexTotal).toBeCloseTo(x.bytes.indexTotal / x.passages, 1);
      expect(x.shareOfRawText).toBeCloseTo(x.bytes.total / x.rawTextBytes, 6);
    }
    expect(f.bytesPerPassage.indexTotal).toBeGreaterThanOrEqual(t.bytesPerPassage.indexTotal);
    // Over a few hundred passages, fast's extra bytes buy what tiny cannot carry: 8-bit codebooks, a rotation or
    // stored hub vectors, whichever its layout chose at this size; tiny stores no hub vectors.
    const extras = (x: typeof f) => x.bytesPerPassage.pqCodebooks + x.bytesPerPassage.rotation + x.bytesPerPassage.other + x.bytesPerPassage.storedVectors;
    expect(extras(f)).toBeGreaterThan(extras(t));
    expect(f.layout).toMatch(/8-bit PQ|after a learnt rotation|hub vectors stored/);
    expect(t.bytesPerPassage.storedVectors).toBe(0);
    // tiny keeps the index structures within its 64 B a passage (the target), headers included, with slack for
    // rounding; the keyword index is the hybrid side's, outside the budget.
    expect(t.bytesPerPassage.indexTotal - t.bytesPerPassage.keyword).toBeLessThanOrEqual(64 * 1.1);

    const text = await leann(ws, ["info", "fast"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Budget\s+fast$/m);
    expect(text.stdout).toContain(`Layout     ${f.layout}`);
    expect(text.stdout).toMatch(new RegExp(`^Per passage ${f.bytesPerPassage.indexTotal} B of index: graph ${f.bytesPerPassage.graph} B, PQ codes ${f.bytesPerPassage.pqCodes} B, codebooks [\\d.]+ B, rotation [\\d.]+ B, stored vectors [\\d.]+ B, keyword index [\\d.]+ B, other [\\d.]+ B$`, "m"));
  });

  it("keeps the recorded budget when rebuilt with --force and no --budget, and takes a number of bytes", async () => {
    expect((await leann(ws, ["build", "kept", "manual", "--budget", "fast", ...SMALL_CHUNKS, "--quiet"])).code).toBe(0);
    const again = await leann(ws, ["build", "kept", "manual", "--force", ...SMALL_CHUNKS, "--json"]);
    expect(again.code).toBe(0);
    expect(again.json().budget).toBe("fast");
    expect((await leann(ws, ["info", "kept", "--json"])).json().budget).toBe("fast");
    const bytes = await leann(ws, ["build", "kept", "manual", "--force", "--budget", "128", ...SMALL_CHUNKS, "--json"]);
    expect(bytes.code).toBe(0);
    expect(bytes.json().budget).toBe(128);
    expect((await leann(ws, ["info", "kept", "--json"])).json().layout).toMatch(/^custom budget 128 B a passage: /);
  });

  it("records the balanced default when built without --budget", async () => {
    const r = await leann(ws, ["build", "plain", "manual/manual-0.md", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json().budget).toBe("balanced");
    expect((await leann(ws, ["info", "plain"])).stdout).toMatch(/^Budget\s+balanced$/m);
  });

  it("refuses a bad --budget with the usage exit code before indexing anything", async () => {
    for (const bad of ["huge", "4", "70000", "1e3", "-64", "12.5", ""]) {
      // The = form, so a value like -64 reaches the check instead of parsing as a flag.
      const r = await leann(ws, ["build", "bad", "manual", `--budget=${bad}`, "--json"]);
      expect(r.code, bad).toBe(EXIT.USAGE);
      const err = r.json().error;
      expect(err.code).toBe("USAGE");
      expect(err.message).toContain("--budget must be tiny, balanced, fast or whole bytes a passage from 8 to 65536");
      expect(err.message).toContain(JSON.stringify(bad));
      expect(existsSync(join(ws.home, "bad"))).toBe(false);
    }
    const help = await leann(ws, ["build", "--help"]);
    expect(help.stdout).toContain("--budget B");
  });
});

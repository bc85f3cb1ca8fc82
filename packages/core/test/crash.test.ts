import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LeannIndex } from "../src/index.js";
import { HashEmbedder } from "./fixtures/hash-embedder.js";
import { tempDir } from "./helpers.js";
import { createRng } from "../src/util/rng.js";

const child = fileURLToPath(new URL("./fixtures/crash-child.ts", import.meta.url));
const KILLS = 50;

/** Runs the saving loop and SIGKILLs it after `delayMs` from its first save; returns the last size it reported saved. */
function runAndKill(dir: string, delayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", child, dir], { stdio: ["ignore", "pipe", "pipe"] });
    let last = -1;
    let buf = "";
    let err = "";
    let timer: NodeJS.Timeout | undefined;
    p.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) if (l.startsWith("saved ")) last = Number(l.slice(6));
      if (last >= 0 && !timer) timer = setTimeout(() => p.kill("SIGKILL"), delayMs);
    });
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(last);
      else reject(new Error(`child exited with ${code}: ${err}`));
    });
  });
}

describe("crash safety", () => {
  it(`leaves the previous or the new state after each of ${KILLS} kills during saves and updates`, async () => {
    const dir = tempDir("leann-crash-");
    const rng = createRng(2024);
    const embedder = new HashEmbedder();
    let lastSaved = 0;
    for (let i = 0; i < KILLS; i++) {
      const reported = await runAndKill(dir, Math.floor(rng() * 120));
      expect(reported).toBeGreaterThanOrEqual(lastSaved);
      const index = await LeannIndex.load(dir, { embedder, probe: false });
      // Either the last state the child reported, or the one it was saving when killed.
      expect([reported, reported + 1]).toContain(index.size);
      for (let k = 0; k < index.size; k++) expect(index.get(`n${k}`)?.text).toMatch(new RegExp(`^passage ${k} `));
      expect(index.reachableCount()).toBe(index.size);
      // The keyword section came with the same generation: it knows the last passage saved.
      expect(index.hasKeywordIndex).toBe(true);
      const last = index.size - 1;
      expect((await index.search(`passage ${last}`, { k: 1, alpha: 0 })).hits[0]?.id).toBe(`n${last}`);
      index.close();
      lastSaved = index.size;
    }
    expect(lastSaved).toBeGreaterThan(40);
  }, 240_000);
});

/** The build checkpoint never writes through a link planted in the index folder. */
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Checkpoint, textKey } from "../src/ingest.js";

describe("Checkpoint", () => {
  it("discards a checkpoint whose files are planted links, and leaves their targets alone", () => {
    const dir = mkdtempSync(join(tmpdir(), "leann-checkpoint-"));
    try {
      const victim = join(dir, "victim.bin");
      writeFileSync(victim, "precious");
      const partial = join(dir, ".partial");
      mkdirSync(partial);
      writeFileSync(join(partial, "checkpoint.json"), JSON.stringify({ modelId: "m", dims: 2 }));
      symlinkSync(victim, join(partial, "vectors.bin"));
      const cp = Checkpoint.open(partial, "m", 2, false);
      expect(cp.load().size).toBe(0);
      cp.append([textKey("a")], Float32Array.of(1, 2));
      expect(readFileSync(victim, "utf8")).toBe("precious");
      expect(lstatSync(join(partial, "vectors.bin")).isFile()).toBe(true);
      expect([...Checkpoint.open(partial, "m", 2, false).load().keys()]).toEqual([textKey("a")]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("discards a checkpoint folder that is a link, without touching what it points to", () => {
    const dir = mkdtempSync(join(tmpdir(), "leann-checkpoint-"));
    try {
      const elsewhere = join(dir, "elsewhere");
      mkdirSync(elsewhere);
      writeFileSync(join(elsewhere, "checkpoint.json"), JSON.stringify({ modelId: "m", dims: 2 }));
      writeFileSync(join(elsewhere, "vectors.bin"), "");
      symlinkSync(elsewhere, join(dir, ".partial"));
      const cp = Checkpoint.open(join(dir, ".partial"), "m", 2, false);
      cp.append([textKey("b")], Float32Array.of(3, 4));
      expect(lstatSync(join(dir, ".partial")).isDirectory()).toBe(true);
      expect(readFileSync(join(elsewhere, "vectors.bin")).length).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

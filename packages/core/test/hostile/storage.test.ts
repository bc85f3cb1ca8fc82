import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { writeFileAtomic } from "../../src/format/atomic.js";
import { acquireLock } from "../../src/format/lock.js";
import { LeannIndex, StorageError } from "../../src/index.js";
import { HashEmbedder } from "../fixtures/hash-embedder.js";
import { tempDir } from "../helpers.js";

/**
 * Fault injection: while `fault` is set, the named fs call fails with that errno the way
 * a full disk, a read-only mount or a permission problem makes it fail.
 */
const fault: { call?: "openSync" | "writeSync" | "renameSync" | "linkSync"; code?: string; after?: number } = {};
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const wrap = <K extends "openSync" | "writeSync" | "renameSync" | "linkSync">(name: K) =>
    ((...args: unknown[]) => {
      if (fault.call === name && fault.code) {
        if ((fault.after ?? 0) > 0) fault.after!--;
        else throw Object.assign(new Error(`${fault.code}: injected, ${name}`), { code: fault.code, syscall: name });
      }
      return (fs[name] as (...a: unknown[]) => unknown)(...args);
    }) as (typeof fs)[K];
  const patched = { ...fs, openSync: wrap("openSync"), writeSync: wrap("writeSync"), renameSync: wrap("renameSync"), linkSync: wrap("linkSync") };
  return { ...patched, default: patched };
});

afterEach(() => {
  delete fault.call;
  delete fault.code;
  delete fault.after;
});

const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.includes(".tmp") || f.includes("stale"));

describe("storage faults", () => {
  it.each([
    ["writeSync", "ENOSPC"],
    ["openSync", "EROFS"],
    ["openSync", "EACCES"],
    ["renameSync", "EIO"],
  ] as const)("raises StorageError and leaves the target and no temporary file when %s fails with %s", (call, code) => {
    const dir = tempDir();
    const target = join(dir, "CURRENT");
    writeFileSync(target, "old");
    fault.call = call;
    fault.code = code;
    let caught: unknown;
    try {
      writeFileAtomic(target, [Buffer.from("new contents")]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StorageError);
    expect(caught).toMatchObject({ code: "STORAGE", errno: code, path: target, cause: expect.objectContaining({ code }) });
    expect(readFileSync(target, "utf8")).toBe("old");
    expect(leftovers(dir)).toEqual([]);
  });

  it("raises StorageError and leaves no LOCK temporary file when the lock cannot be written", () => {
    const dir = tempDir();
    fault.call = "writeSync";
    fault.code = "ENOSPC";
    expect(() => acquireLock(dir)).toThrow(expect.objectContaining({ code: "STORAGE", errno: "ENOSPC" }));
    expect(readdirSync(dir)).toEqual([]);
    fault.call = "linkSync";
    fault.code = "EPERM";
    expect(() => acquireLock(dir)).toThrow(expect.objectContaining({ code: "STORAGE", errno: "EPERM" }));
    expect(readdirSync(dir)).toEqual([]);
  });

  it("keeps the last saved state when a save fails with ENOSPC midway, and the next save succeeds", async () => {
    const embedder = new HashEmbedder();
    const dir = tempDir();
    const index = await LeannIndex.build(Array.from({ length: 50 }, (_, k) => ({ id: `n${k}`, text: `passage ${k}` })), { embedder });
    await index.save(dir);
    await index.add([{ id: "extra", text: "one more passage" }]);
    fault.call = "writeSync";
    fault.code = "ENOSPC";
    fault.after = 3;
    await expect(index.save(dir)).rejects.toMatchObject({ code: "STORAGE", errno: "ENOSPC" });
    delete fault.call;
    const before = await LeannIndex.load(dir, { embedder, probe: false });
    expect(before.size).toBe(50);
    expect(before.has("extra")).toBe(false);
    await before.close();
    expect(leftovers(dir)).toEqual([]);
    await index.save(dir);
    const after = await LeannIndex.load(dir, { embedder, probe: false });
    expect(after.has("extra")).toBe(true);
    await after.close();
    expect(existsSync(join(dir, "LOCK"))).toBe(false);
  });
});

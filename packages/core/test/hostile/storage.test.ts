import fs, { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../src/format/atomic.js";
import { acquireLock } from "../../src/format/lock.js";
import { LeannIndex, StorageError } from "../../src/index.js";
import { HashEmbedder } from "../fixtures/hash-embedder.js";
import { tempDir } from "../helpers.js";

type Call = "openSync" | "writeSync" | "renameSync" | "linkSync";
const real = { openSync: fs.openSync, writeSync: fs.writeSync, renameSync: fs.renameSync, linkSync: fs.linkSync };
const fault: { call?: Call; code?: string; after?: number } = {};

/**
 * Fault injection: while `fault` is set, the named fs call fails with that errno the way a
 * full disk, a read-only mount or a permission problem makes it fail. The functions are
 * swapped on the fs module itself and synced to its ESM exports (no module mock, so the
 * test also holds where files share one module cache), and restored after each test.
 */
function inject(call: Call, code: string, after = 0): void {
  Object.assign(fault, { call, code, after });
  for (const name of Object.keys(real) as Call[]) {
    (fs as unknown as Record<Call, unknown>)[name] = (...args: unknown[]) => {
      if (fault.call === name && fault.code) {
        if ((fault.after ?? 0) > 0) fault.after!--;
        else throw Object.assign(new Error(`${fault.code}: injected, ${name}`), { code: fault.code, syscall: name });
      }
      return (real[name] as (...a: unknown[]) => unknown)(...args);
    };
  }
  syncBuiltinESMExports();
}

afterEach(() => {
  delete fault.call;
  Object.assign(fs, real);
  syncBuiltinESMExports();
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
    inject(call, code);
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
    inject("writeSync", "ENOSPC");
    expect(() => acquireLock(dir)).toThrow(expect.objectContaining({ code: "STORAGE", errno: "ENOSPC" }));
    expect(readdirSync(dir)).toEqual([]);
    inject("linkSync", "EPERM");
    expect(() => acquireLock(dir)).toThrow(expect.objectContaining({ code: "STORAGE", errno: "EPERM" }));
    expect(readdirSync(dir)).toEqual([]);
  });

  it("keeps the last saved state when a save fails with ENOSPC midway, and the next save succeeds", async () => {
    const embedder = new HashEmbedder();
    const dir = tempDir();
    const index = await LeannIndex.build(Array.from({ length: 50 }, (_, k) => ({ id: `n${k}`, text: `passage ${k}` })), { embedder });
    await index.save(dir);
    await index.add([{ id: "extra", text: "one more passage" }]);
    inject("writeSync", "ENOSPC", 3);
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

/**
 * Reading files the CLI did not write: only regular files, the one that was scanned,
 * never more than allowed; a FIFO or a device is refused at once instead of blocking or
 * streaming forever.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliError } from "../src/exit-codes.js";
import { readRegularFile, readRegularFileSync } from "../src/safe-read.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "leann-safe-read-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const codeOf = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return (err as CliError).code;
  }
  throw new Error("expected a CliError");
};

describe("readRegularFile", () => {
  it("reads a regular file whole, or only its first bytes when limited", async () => {
    const p = join(dir, "a.txt");
    writeFileSync(p, "hello world");
    expect((await readRegularFile(p, { maxBytes: 100 })).toString()).toBe("hello world");
    expect((await readRegularFile(p, { maxBytes: 100, limit: 5 })).toString()).toBe("hello");
    expect(readRegularFileSync(p, 100).toString()).toBe("hello world");
  });

  it("refuses a FIFO, a device and a folder with NOT_A_FILE instead of blocking on them", async () => {
    const fifo = join(dir, "pipe");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const linked = join(dir, "link-to-pipe.txt");
    symlinkSync(fifo, linked);
    mkdirSync(join(dir, "folder"));
    for (const p of [fifo, linked, "/dev/zero", "/dev/null", join(dir, "folder")]) {
      expect(await codeOf(readRegularFile(p, { maxBytes: 100 }))).toBe("NOT_A_FILE");
      expect(await codeOf(() => readRegularFileSync(p, 100))).toBe("NOT_A_FILE");
    }
  });

  it("refuses a file larger than allowed with FILE_TOO_LARGE", async () => {
    const p = join(dir, "big.txt");
    writeFileSync(p, "x".repeat(1000));
    expect(await codeOf(readRegularFile(p, { maxBytes: 999 }))).toBe("FILE_TOO_LARGE");
    expect(await codeOf(() => readRegularFileSync(p, 999))).toBe("FILE_TOO_LARGE");
  });

  it("refuses with FILE_CHANGED a path that names another file than the one scanned", async () => {
    const p = join(dir, "scanned.txt"), other = join(dir, "other.txt");
    writeFileSync(p, "scanned");
    const identity = statSync(p);
    writeFileSync(other, "swapped in");
    renameSync(other, p); // same path, another file
    expect(await codeOf(readRegularFile(p, { maxBytes: 100, expect: identity }))).toBe("FILE_CHANGED");
    expect((await readRegularFile(p, { maxBytes: 100, expect: statSync(p) })).toString()).toBe("swapped in");
  });
});

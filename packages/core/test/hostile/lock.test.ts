import { readdirSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { acquireLock, processStart } from "../../src/format/lock.js";
import { tempDir } from "../helpers.js";

const DEAD_PID = 2 ** 22 + 4321;
const lockOf = (pid: number, token: string, start?: string) => JSON.stringify({ pid, host: hostname(), since: "earlier", token, ...(start ? { start } : {}) });

describe("writer lock", () => {
  it("recovers a stale LOCK that names this process's own pid but a token it does not hold (a restarted container's PID 1)", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "LOCK"), lockOf(process.pid, `${process.pid}-0123456789abcdef`));
    const release = acquireLock(dir);
    // Still exclusive within the process: the token now held is live.
    expect(() => acquireLock(dir)).toThrow(expect.objectContaining({ code: "LOCKED" }));
    release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.runIf(process.platform === "linux")("recovers a LOCK whose pid now belongs to a different, later process", () => {
    const dir = tempDir();
    const parent = process.ppid;
    expect(processStart(parent)).toBeDefined();
    writeFileSync(join(dir, "LOCK"), lockOf(parent, "0-0", "another-boot:1"));
    acquireLock(dir)();
    // The same live process with its true start identity keeps its lock.
    writeFileSync(join(dir, "LOCK"), lockOf(parent, "0-0", processStart(parent)));
    expect(() => acquireLock(dir)).toThrow(expect.objectContaining({ code: "LOCKED" }));
  });

  it("removes temporary lock files and data files left by killed or failed writers when a later writer locks", () => {
    const dir = tempDir();
    const left = [
      `LOCK.${DEAD_PID}-00112233445566ff.tmp`,
      `LOCK.stale-${DEAD_PID}-00112233445566ff-0`,
      `LOCK.${process.pid}-aabbccddeeff0011.tmp`,
      "index.3.leann.tmp-123-abcdef12",
      "passages.3.leann.tmp-123-0badc0de",
      "CURRENT.tmp-99-00000000",
    ];
    for (const f of left) writeFileSync(join(dir, f), "");
    // A live contender's file is kept while fresh, removed once older than any contender keeps one.
    const live = `LOCK.${process.ppid}-ffeeddccbbaa9988.tmp`;
    writeFileSync(join(dir, live), "");
    const keep = ["index.3.leann", "notes.tmp"];
    for (const f of keep) writeFileSync(join(dir, f), "x");
    acquireLock(dir)();
    expect(readdirSync(dir).sort()).toEqual([...keep, live].sort());
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, live), old, old);
    acquireLock(dir)();
    expect(readdirSync(dir).sort()).toEqual(keep.sort());
  });

  it("takes a lock file of another name independently of the writer lock, with the same staleness rules and cleanup", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "watch.lock"), lockOf(process.pid, `${process.pid}-0123456789abcdef`));
    const left = [`watch.lock.${DEAD_PID}-00112233445566ff.tmp`, `watch.lock.stale-${DEAD_PID}-00112233445566ff-0`];
    for (const f of left) writeFileSync(join(dir, f), "");
    const writer = acquireLock(dir);
    const watcher = acquireLock(dir, "watch.lock");
    expect(() => acquireLock(dir, "watch.lock")).toThrow(expect.objectContaining({ code: "LOCKED", holder: expect.objectContaining({ pid: process.pid }) }));
    expect(readdirSync(dir).sort()).toEqual(["LOCK", "watch.lock"]);
    watcher();
    writer();
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each(["../LOCK", "sub/LOCK", ".hidden", ""])("refuses the lock file name %j", (name) => {
    expect(() => acquireLock(tempDir(), name)).toThrow(expect.objectContaining({ code: "INVALID_OPTIONS" }));
  });
});

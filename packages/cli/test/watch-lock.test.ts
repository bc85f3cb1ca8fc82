/** One watcher per index: `watch.lock`, taken with the core's lock (the same staleness rules as the writer lock). */
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { acquireLock } from "@leann/core";
import { tempDirs } from "@leann/testing";
import { takeWatchLock, WATCH_LOCK } from "../src/commands/watch.js";
import { CliError, EXIT } from "../src/exit-codes.js";

const dirs = tempDirs("leann-watch-lock-");
afterEach(() => dirs.cleanup());

/** A pid no process has (above Linux's pid_max). */
const DEAD_PID = 2 ** 22 + 4321;
const plant = (dir: string, holder: Record<string, unknown>) => writeFileSync(join(dir, WATCH_LOCK), JSON.stringify({ host: hostname(), since: "earlier", ...holder }));

/** The CliError `fn` throws. */
function cliErrorOf(fn: () => unknown): CliError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error("expected a CliError, nothing was thrown");
}

describe("takeWatchLock", () => {
  it("refuses a second watcher of the same index with CONFLICT, naming the watching process", () => {
    const dir = dirs.make();
    const release = takeWatchLock(dir, "notes");
    const err = cliErrorOf(() => takeWatchLock(dir, "notes"));
    expect(err.exitCode).toBe(EXIT.CONFLICT);
    expect(err.code).toBe("LOCKED");
    expect(err.message).toContain(`already watched by process ${process.pid} on ${hostname()}`);
    release();
    expect(existsSync(join(dir, WATCH_LOCK))).toBe(false);
    takeWatchLock(dir, "notes")();
  });

  it.each([
    ["names this process's own pid with a token it does not hold (a restarted container's PID 1)", { pid: process.pid, token: `${process.pid}-0123456789abcdef` }],
    ["names this process's own pid without a token (written by an older leann)", { pid: process.pid }],
    ["names a process that no longer runs", { pid: DEAD_PID, token: `${DEAD_PID}-0123456789abcdef` }],
  ])("takes over a stale lock that %s", (_, holder) => {
    const dir = dirs.make();
    plant(dir, holder);
    const release = takeWatchLock(dir, "notes");
    // Now really held: a second watcher is refused.
    expect(cliErrorOf(() => takeWatchLock(dir, "notes")).code).toBe("LOCKED");
    release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("keeps the lock of a live watcher on this host, and of any watcher on another host", () => {
    const dir = dirs.make();
    plant(dir, { pid: process.ppid });
    expect(cliErrorOf(() => takeWatchLock(dir, "notes")).message).toContain(`process ${process.ppid}`);
    plant(dir, { pid: DEAD_PID, host: "another-host" });
    expect(cliErrorOf(() => takeWatchLock(dir, "notes")).message).toContain("on another-host");
  });

  it("is independent of the index's writer lock and leaves a writer's temporary files alone", () => {
    const dir = dirs.make();
    const writer = acquireLock(dir);
    // A save in flight under the writer lock.
    const saving = "index.3.leann.tmp-123-abcdef12";
    writeFileSync(join(dir, saving), "");
    const watching = takeWatchLock(dir, "notes");
    expect(readdirSync(dir).sort()).toEqual(["LOCK", saving, WATCH_LOCK].sort());
    watching();
    writer();
    expect(readdirSync(dir)).toEqual([saving]);
  });
});

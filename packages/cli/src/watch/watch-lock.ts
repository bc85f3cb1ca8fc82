/**
 * One watcher per index: two would both see each change and both try to add it. A
 * `watch.lock` file in the index folder names the watching process; a lock left by a
 * process that no longer runs on this host (a crash, a kill -9) is taken over.
 * Other writers (`leann add`, `leann delete`) are kept apart by the index's own writer
 * lock at save time.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { CliError, EXIT } from "../exit-codes.js";

export const WATCH_LOCK = "watch.lock";

interface Holder {
  pid: number;
  host: string;
  since: string;
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the watch lock of the index in `dir`; returns its release.
 * @throws CliError CONFLICT when a live process already watches this index
 */
export function takeWatchLock(dir: string, name: string): () => void {
  const path = join(dir, WATCH_LOCK);
  const me: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // "wx": created only if absent, so of two watchers starting together one wins.
      writeFileSync(path, JSON.stringify(me), { flag: "wx" });
      return () => {
        try {
          if ((JSON.parse(readFileSync(path, "utf8")) as Holder).pid === me.pid) rmSync(path, { force: true });
        } catch {
          // Already gone.
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder: Holder | undefined;
    try {
      holder = JSON.parse(readFileSync(path, "utf8")) as Holder;
    } catch {
      holder = undefined; // Unreadable: a watcher that died while writing it.
    }
    if (holder && (holder.host !== me.host || running(holder.pid))) {
      throw new CliError(
        EXIT.CONFLICT,
        "LOCKED",
        `Index "${name}" is already watched by process ${holder.pid} on ${holder.host} (since ${holder.since}).`,
        `Stop that watcher first; if it is gone, delete ${path}.`,
      );
    }
    rmSync(path, { force: true });
  }
  throw new CliError(EXIT.CONFLICT, "LOCKED", `Could not take the watch lock ${path}: another watcher keeps taking it.`);
}

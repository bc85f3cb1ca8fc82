/**
 * `leann watch NAME`: keeps an index in step with the folders it was built from. Each
 * sync is exactly `leann add NAME --prune` (new and changed files indexed, deleted and
 * renamed-away files dropped), run after changes settle, one at a time; so the index on
 * disk is always a complete saved generation, and a watcher killed at any point loses
 * nothing: the next start catches up with one sync.
 */
import { join } from "node:path";
import { acquireLock, LeannError, type LockedError } from "@leann/core";
import { num, type Ctx } from "../context.js";
import { CliError, classify, EXIT } from "../exit-codes.js";
import { indexDir, readMeta } from "../home.js";
import type { CollectOptions } from "../sources.js";
import { SyncScheduler } from "../watch/scheduler.js";
import { watchRoots } from "../watch/fs-events.js";
import { add } from "./update.js";

/**
 * One watcher per index: two would both see each change and both try to add it. This lock
 * file in the index folder names the watching process; it is taken like the index's writer
 * lock (packages/core format/lock.ts), so one left by a process that no longer runs (a
 * crash, a kill -9, or a restarted container whose new process has the same pid) is taken
 * over. Other writers (`leann add`, `leann delete`) are kept apart by the writer lock at save.
 */
export const WATCH_LOCK = "watch.lock";

/**
 * Takes the watch lock of the index in `dir`; returns its release.
 * @throws CliError CONFLICT (code LOCKED) when a live process already watches this index
 */
export function takeWatchLock(dir: string, name: string): () => void {
  try {
    return acquireLock(dir, WATCH_LOCK);
  } catch (err) {
    if (!LeannError.isInstance(err) || err.code !== "LOCKED") throw err;
    const h = (err as LockedError).holder;
    throw new CliError(
      EXIT.CONFLICT,
      "LOCKED",
      h ? `Index "${name}" is already watched by process ${h.pid} on ${h.host} (since ${h.since}).` : `Index "${name}" is already watched (${err.message})`,
      `Stop that watcher first; if it is gone, delete ${join(dir, WATCH_LOCK)}.`,
    );
  }
}

/** Quiet time before a sync: long enough to cover a burst (a save, a checkout), short enough to feel live. */
export const DEFAULT_DEBOUNCE_MS = 500;

export interface WatchArgs {
  name: string;
  model: string | undefined;
  baseUrl?: string | undefined;
  collect: CollectOptions;
  debounceMs: number;
}

/** The report `leann add --json` emits. */
interface AddReport {
  added: { files: number; passages: number };
  updated: { files: number; passages: number };
  removed: { files: number };
  unchanged: number;
  embedded: number;
  passages: number;
  ms: number;
}

const clock = () => new Date().toTimeString().slice(0, 8);

/** Failures that mean another writer had the index: the next sync reloads it and goes again. */
const WRITER_CONFLICTS = new Set(["LOCKED", "CONCURRENT_WRITE"]);
/** First wait before a sync retried after a writer conflict; doubles per conflict in a row, up to the cap. */
const CONFLICT_RETRY_MS = 1000;
const CONFLICT_RETRY_CAP_MS = 30_000;

/** One line for a sync that changed something, e.g. `+1 new file (3 passages), 0 changed, -2 removed; 40 passages in 812 ms`. */
export function describeSync(r: AddReport): string {
  const files = (n: number) => `${num(n)} file${n === 1 ? "" : "s"}`;
  return (
    `+${files(r.added.files)} new (${num(r.added.passages)} passages), ~${files(r.updated.files)} changed (${num(r.updated.passages)} passages), ` +
    `-${files(r.removed.files)} removed; ${num(r.passages)} passages in ${num(r.ms)} ms`
  );
}

/**
 * Watches until `ctx.io.signal` aborts (Ctrl-C), then finishes the sync in flight and returns.
 * @throws CliError NOT_FOUND when there is no such index; CliError CONFLICT when another watcher has it
 */
export async function watch(ctx: Ctx, a: WatchArgs): Promise<void> {
  const meta = readMeta(ctx.home, a.name);
  const release = takeWatchLock(indexDir(ctx.home, a.name), a.name);
  const print = (line: string) => (ctx.json ? undefined : ctx.io.stdout.write(`[${clock()}] ${line}\n`));
  let syncs = 0;
  // Another writer (a `leann add`, a build, a program saving the index) had it: the
  // changes are still unsynced, so a retry is scheduled even if no file changes again.
  let conflicts = 0;
  let retry: NodeJS.Timeout | undefined;

  const sync = async () => {
    let report: AddReport | undefined;
    // `leann add --json --prune` as it is; its one JSON document is captured, not printed.
    const quiet: Ctx = { ...ctx, json: true, quiet: true, emit: (v) => void (report = v as AddReport) };
    try {
      await add(quiet, { name: a.name, paths: [], model: a.model, baseUrl: a.baseUrl, collect: a.collect, prune: true });
    } catch (err) {
      // The watcher outlives a failed sync (a model hiccup, another writer holding the
      // lock, a change that would empty the index): the next change tries again.
      const c = classify(err);
      if (WRITER_CONFLICTS.has(c.code)) {
        const waitMs = Math.min(CONFLICT_RETRY_CAP_MS, CONFLICT_RETRY_MS * 2 ** conflicts);
        conflicts++;
        clearTimeout(retry);
        retry = setTimeout(() => scheduler.poke(), waitMs);
        if (ctx.json) ctx.io.stdout.write(JSON.stringify({ event: "conflict", code: c.code, message: c.message, retryMs: waitMs }) + "\n");
        // Said once per streak: a long build by another process would otherwise print a line a second.
        if (conflicts === 1) print(`sync deferred (${c.code}): another writer has "${a.name}"; nothing was changed. Reloading it and syncing again when it is free (or at the next change).`);
        return;
      }
      if (ctx.json) ctx.io.stdout.write(JSON.stringify({ event: "error", code: c.code, message: c.message }) + "\n");
      print(`sync failed (${c.code}): ${c.message}${c.hint ? ` ${c.hint}` : ""}`);
      return;
    }
    if (conflicts > 0) print(`"${a.name}" is free again; synced after ${num(conflicts)} deferred ${conflicts === 1 ? "try" : "tries"}.`);
    conflicts = 0;
    clearTimeout(retry);
    syncs++;
    if (!report || report.embedded + report.removed.files + report.updated.files === 0) return;
    if (ctx.json) ctx.io.stdout.write(JSON.stringify({ event: "sync", index: a.name, ...report }) + "\n");
    print(`synced "${a.name}": ${describeSync(report)}`);
  };

  const scheduler = new SyncScheduler(a.debounceMs, sync);
  let watching: ReturnType<typeof watchRoots> | undefined;
  try {
    // Catch up with what changed while nobody watched (or before a crash).
    await scheduler.runNow();
    if (ctx.io.signal?.aborted) return;
    watching = watchRoots(meta.sources, [ctx.home], () => scheduler.poke(), (err) => print(`a watcher failed: ${err.message}; restart leann watch.`));
    for (const m of watching.missing) ctx.note(`leann watch: ${ctx.show(m)} does not exist; it is not watched.`);
    if (ctx.json) ctx.io.stdout.write(JSON.stringify({ event: "watching", index: a.name, roots: watching.roots }) + "\n");
    print(`Watching "${a.name}": ${watching.roots.map((r) => ctx.show(r)).join(", ")} (Ctrl-C stops)`);
    await new Promise<void>((resolve) => {
      if (!ctx.io.signal) return; // Without a signal (a program calling main), nothing stops it but the process.
      if (ctx.io.signal.aborted) resolve();
      ctx.io.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    watching?.close();
    await scheduler.stop();
    // After stop: the last sync may have scheduled a retry, whose timer would keep the process alive.
    clearTimeout(retry);
    release();
  }
  if (ctx.json) ctx.io.stdout.write(JSON.stringify({ event: "stopped", index: a.name, syncs }) + "\n");
  print(`Stopped watching "${a.name}" after ${num(syncs)} sync${syncs === 1 ? "" : "s"}.`);
}

/**
 * The change signal: node's fs.watch on every source root (recursive for folders; a
 * file root is watched through its folder so a rename-over by an editor is still seen).
 * It only says "something under the roots changed"; what changed is worked out by the
 * sync, which compares the files with the index's record, so lost or coalesced events
 * cannot make the index wrong, only later.
 */
import { existsSync, statSync, watch, type FSWatcher } from "node:fs";
import { basename, dirname, join, sep } from "node:path";

export interface Watching {
  /** The roots being watched (those that exist). */
  roots: string[];
  /** Roots that do not exist now (and are not watched). */
  missing: string[];
  close(): void;
}

/** Folders whose churn never changes what is indexed (git touches .git/index on every `git status`). */
const NOISE = new Set([".git", ".hg", ".svn"]);

const inside = (path: string, dir: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);

/**
 * Calls `onChange(path)` for changes under `roots`, except under `exclude` (the index
 * home: the sync's own saves must not trigger the next sync).
 * @param onError a watcher that failed (its folder was deleted, the inotify limit)
 */
export function watchRoots(roots: string[], exclude: string[], onChange: (path: string) => void, onError: (err: Error) => void): Watching {
  const watchers: FSWatcher[] = [];
  const watched: string[] = [];
  const missing: string[] = [];
  for (const root of roots) {
    if (!existsSync(root)) {
      missing.push(root);
      continue;
    }
    const isDir = statSync(root).isDirectory();
    const base = isDir ? root : dirname(root);
    const w = watch(base, { recursive: isDir, persistent: true }, (_event, file) => {
      const path = file ? join(base, file.toString()) : base;
      if (!isDir && file && basename(path) !== basename(root)) return;
      if (exclude.some((x) => inside(path, x))) return;
      if (file && file.toString().split(/[\\/]/).some((part) => NOISE.has(part))) return;
      onChange(path);
    });
    w.on("error", onError);
    watchers.push(w);
    watched.push(root);
  }
  return { roots: watched, missing, close: () => watchers.forEach((w) => w.close()) };
}

/**
 * One writer per index for a whole command: `leann add`, `delete` and `build` each hold
 * the index's writer lock from before they read leann.json until after they wrote it, so
 * a second writer (another `leann` process, a program saving through @leann/core) can
 * neither interleave with nor overwrite the command's load -> change -> save.
 */
import { LeannError, withWriterLock } from "@leann/core";
import type { Ctx } from "./context.js";
import { CliError, EXIT } from "./exit-codes.js";
import { indexDir, readMeta } from "./home.js";
import { openIndex, type ModelFlags, type OpenIndex } from "./open-index.js";

/**
 * Runs `fn` holding the writer lock of the index folder `dir` (created if missing). Fails
 * at once instead of waiting: a writer can take minutes (a build), and a command that
 * waits silently looks hung.
 * @throws CliError LOCKED (exit 6, CONFLICT) when another process holds the lock; `fn` does not run
 */
export async function withIndexLock<T>(name: string, dir: string, fn: () => Promise<T>): Promise<T> {
  let entered = false;
  try {
    return await withWriterLock(dir, () => {
      entered = true;
      return fn();
    });
  } catch (err) {
    // Only the lock taken here is reworded; a LockedError from inside fn keeps its own message.
    if (!entered && LeannError.isInstance(err) && err.code === "LOCKED") {
      throw new CliError(
        EXIT.CONFLICT,
        "LOCKED",
        `Another leann process is writing index "${name}" (${err.message})`,
        `Nothing was changed. Try again when it ends (\`leann add ${name}\` rescans and picks up every file).`,
      );
    }
    throw err;
  }
}

/**
 * Opens the index `name` under its writer lock, runs `fn` with it, closes it and lets the
 * lock go: the load, the change and both writes (the index, then leann.json) are one
 * writer's. The lock is taken after the index is known to exist, so a mistyped name
 * creates no folder.
 * @throws CliError NOT_FOUND when there is no such index; CliError LOCKED as withIndexLock; what openIndex throws
 */
export async function withOpenIndex<T>(ctx: Ctx, name: string, flags: ModelFlags, fn: (opened: OpenIndex) => Promise<T>): Promise<T> {
  readMeta(ctx.home, name);
  return withIndexLock(name, indexDir(ctx.home, name), async () => {
    const opened = await openIndex(ctx, name, flags);
    try {
      return await fn(opened);
    } finally {
      await opened.index.close();
    }
  });
}

/**
 * The indexes a long-running server keeps open: loading a model and an index costs far
 * more than a search, so each is opened once and reused, and opened again only when its
 * files change on disk (a `leann add` or `leann watch` saved a new generation).
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Ctx } from "../context.js";
import { indexDir, META_FILE } from "../home.js";
import { openIndex, type OpenIndex } from "../open-index.js";

interface Entry {
  stamp: string;
  opening: Promise<OpenIndex>;
}

/** What changes whenever the index is saved: CURRENT names the generation, leann.json the files. */
function stampOf(dir: string): string {
  try {
    return `${readFileSync(join(dir, "CURRENT"), "utf8")}|${statSync(join(dir, META_FILE)).mtimeMs}`;
  } catch {
    // Missing: openIndex will say why.
    return "";
  }
}

export class IndexPool {
  private readonly open = new Map<string, Entry>();

  constructor(private readonly ctx: Ctx) {}

  /**
   * The index `name`, open with its own model; reopened when it was saved since.
   * @throws the errors of openIndex (CliError NOT_FOUND, model and index errors)
   */
  async get(name: string): Promise<OpenIndex> {
    const stamp = stampOf(indexDir(this.ctx.home, name));
    const cached = this.open.get(name);
    if (cached && cached.stamp === stamp) {
      try {
        return await cached.opening;
      } catch {
        // A failed open is not cached: the next call tries again (the model may be there now).
      }
    }
    if (cached) this.release(name, cached);
    const opening = openIndex(this.ctx, name, undefined);
    this.open.set(name, { stamp, opening });
    return opening;
  }

  /** Closes every open index (searches in flight finish first). */
  async close(): Promise<void> {
    const entries = [...this.open.entries()];
    this.open.clear();
    await Promise.all(entries.map(([, e]) => e.opening.then((o) => o.index.close(), () => undefined)));
  }

  private release(name: string, entry: Entry): void {
    if (this.open.get(name) === entry) this.open.delete(name);
    // LeannIndex.close waits for the searches still running on the old generation.
    entry.opening.then((o) => o.index.close(), () => undefined);
  }
}

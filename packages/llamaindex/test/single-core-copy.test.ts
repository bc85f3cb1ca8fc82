import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as llamaindex from "llamaindex";
import * as llamaindexVectorStore from "llamaindex/vector-store";
import { describe, expect, it } from "vitest";
import { LeannVectorStore } from "../src/index.js";
import { HashEmbedding, tempDir } from "./helpers.js";

/**
 * Two copies of @llamaindex/core in one app break LlamaIndex: each has its own Settings
 * and its own classes, so `instanceof` fails and "llamaindex was already imported" is
 * thrown. llamaindex 0.12.1 pins core 0.6.22 exactly; installing another core beside it
 * is how apps end up with two. These tests fail if this workspace ever does.
 */
const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = resolve(here, "..");

/** The nearest ancestor directory holding node_modules/.pnpm (the workspace's virtual store). */
function virtualStore(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const store = join(dir, "node_modules", ".pnpm");
    if (existsSync(store)) return store;
    if (dirname(dir) === dir) throw new Error(`no node_modules/.pnpm above ${from}`);
  }
}

/** The @llamaindex/core packages a pnpm virtual store holds (one directory per version and peer set). */
function coreCopies(store: string): string[] {
  return readdirSync(store).filter((d) => d.startsWith("@llamaindex+core@"));
}

/** The real directory of `@llamaindex/core` as seen from the package in `fromDir`. */
function coreDirFrom(fromDir: string): string {
  const entry = createRequire(join(fromDir, "package.json")).resolve("@llamaindex/core/schema");
  for (let dir = dirname(entry); dirname(dir) !== dir; dir = dirname(dir)) {
    const pj = join(dir, "package.json");
    if (existsSync(pj) && (JSON.parse(readFileSync(pj, "utf8")) as { name?: string }).name === "@llamaindex/core") return realpathSync(dir);
  }
  throw new Error(`@llamaindex/core resolved to ${entry}, but no package.json names it`);
}

const llamaindexDir = realpathSync(join(pkgDir, "node_modules", "llamaindex"));

describe("one copy of @llamaindex/core", () => {
  it("the virtual store holds exactly one @llamaindex/core", () => {
    const copies = coreCopies(virtualStore(pkgDir));
    expect(copies, `copies of @llamaindex/core installed: ${copies.join(", ")}`).toHaveLength(1);
  });

  it("the check sees a second copy, whether another version or the same one with other peers", () => {
    const store = tempDir();
    for (const d of ["@llamaindex+core@0.6.22", "@llamaindex+core@0.6.22_zod@4.0.0", "@llamaindex+env@0.1.30"]) mkdirSync(join(store, d));
    expect(coreCopies(store)).toHaveLength(2);
  });

  it("is the exact version llamaindex pins, resolved from llamaindex and from every example using it", () => {
    const pinned = (JSON.parse(readFileSync(join(llamaindexDir, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies["@llamaindex/core"];
    const coreDir = coreDirFrom(llamaindexDir);
    expect((JSON.parse(readFileSync(join(coreDir, "package.json"), "utf8")) as { version: string }).version).toBe(pinned);
    const example = resolve(pkgDir, "../../examples/llamaindex-query/node_modules/llamaindex");
    if (existsSync(example)) expect(coreDirFrom(realpathSync(example))).toBe(coreDir);
  });

  it("LeannVectorStore extends the BaseVectorStore the app's llamaindex exports", () => {
    expect(Object.getPrototypeOf(LeannVectorStore)).toBe(llamaindex.BaseVectorStore);
    expect(llamaindexVectorStore.BaseVectorStore).toBe(llamaindex.BaseVectorStore);
    const store = new LeannVectorStore({ embedModel: new HashEmbedding() });
    expect(store).toBeInstanceOf(llamaindexVectorStore.BaseVectorStore);
  });
});

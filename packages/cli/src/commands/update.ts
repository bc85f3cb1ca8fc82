/** The incremental commands: add (new and changed files) and delete (files or passage ids). */
import { existsSync } from "node:fs";
import { resolve, sep } from "node:path";
import { num, type Ctx } from "../context.js";
import { CliError, EXIT, usage } from "../exit-codes.js";
import { chunkId, writeMeta, type IndexMeta } from "../home.js";
import { embedPassages, filesToPassages } from "../ingest.js";
import { withOpenIndex } from "../index-lock.js";
import { compareWithIndex, fileOfChunkId } from "../reconcile.js";
import { collectFiles, type CollectOptions } from "../sources.js";
import { describeSkips } from "./build.js";

export interface AddArgs {
  name: string;
  /** Default: the paths the index was built from. */
  paths: string[];
  model: string | undefined;
  /** `--base-url`: the server of an openai: or ollama: model. */
  baseUrl?: string | undefined;
  collect: CollectOptions;
  /** Also drop indexed files under the scanned folders that no longer exist. */
  prune: boolean;
}

const under = (file: string, root: string) => file === root || file.startsWith(root.endsWith(sep) ? root : root + sep);

function idsOf(meta: IndexMeta, path: string): string[] {
  const n = meta.files[path]?.chunks ?? 0;
  return Array.from({ length: n }, (_, i) => chunkId(path, i));
}

/** The indexed file a passage id belongs to (ids are `${path}#${chunk}`), if any. */
function fileOfId(meta: IndexMeta, id: string): string | undefined {
  const f = fileOfChunkId(id);
  return f !== undefined && meta.files[f] ? f : undefined;
}

export async function add(ctx: Ctx, a: AddArgs): Promise<void> {
  const t0 = performance.now();
  await withOpenIndex(ctx, a.name, a, async ({ meta, index, embedder, dir }) => {
    const roots = a.paths.length ? a.paths.map((p) => resolve(ctx.io.cwd, p)) : meta.sources;
    const found = await collectFiles(roots, ctx.io.cwd, { ...a.collect, exclude: [ctx.home] });
    if (found.missing.length > 0 && a.paths.length > 0) {
      throw new CliError(EXIT.NOT_FOUND, "PATH_NOT_FOUND", `Path not found: ${found.missing.join(", ")}.`, "Check the spelling; paths are relative to the current folder.");
    }
    // A command that failed between its two writes left leann.json and the index apart:
    // files whose passages are not what leann.json records are read again as new, passages
    // of files it does not record go unless their file is scanned. Files outside the scanned
    // folders that still exist wait for a scan of their own folder.
    const inScope = (p: string) => roots.some((r) => under(p, r)) || !existsSync(p);
    const disagreement = compareWithIndex(meta.files, index.listIds());
    const mismatched = disagreement.mismatched.filter(inScope);
    const unrecorded = disagreement.unrecorded.filter(inScope);
    for (const p of mismatched) delete meta.files[p];
    if (mismatched.length + unrecorded.length > 0) {
      ctx.note(`  leann.json and the index of "${a.name}" disagreed on ${num(mismatched.length + unrecorded.length)} files (an earlier command failed between its writes); re-indexing them.`);
    }
    const indexedIds = (p: string) => disagreement.idsByFile.get(p) ?? [];
    // Unchanged files (same size and modification time) are skipped without reading them.
    const changed = found.files.filter((f) => {
      const e = meta.files[f.path];
      return !e || e.size !== f.size || e.mtimeMs !== f.mtimeMs;
    });
    const { read, skipped } = await filesToPassages(ctx, changed, { chunkTokens: meta.chunkTokens, overlapTokens: meta.overlapTokens });
    describeSkips(ctx, [...found.skipped, ...skipped], found.ignored, found.unsupported);
    const seen = new Set(found.files.map((f) => f.path));
    const vanished = Object.keys(meta.files).filter((p) => roots.some((r) => under(p, r)) && !seen.has(p) && !existsSync(p));
    const gone = a.prune ? vanished : [];
    // Without --prune the passages of vanished files stay searchable: say so, never keep them silently.
    const kept = a.prune ? [] : vanished;
    if (kept.length > 0) {
      ctx.note(`  ${num(kept.length)} indexed ${kept.length === 1 ? "file no longer exists" : "files no longer exist"}; ${kept.length === 1 ? "its" : "their"} passages are kept:`);
      for (const p of kept.slice(0, 5)) ctx.note(`    ${ctx.show(p)}`);
      if (kept.length > 5) ctx.note(`    ... and ${num(kept.length - 5)} more`);
      ctx.note(`  Drop them with \`leann add ${a.name} --prune\`.`);
    }
    const replaced = read.filter((r) => meta.files[r.file.path]);
    const added = read.filter((r) => !meta.files[r.file.path] && r.passages.length > 0);
    const passages = read.flatMap((r) => r.passages);
    const orphans = [...mismatched, ...unrecorded].filter((p) => !seen.has(p));
    // What the index holds for each file, not what leann.json says: the two may have disagreed.
    const stale = [...new Set([...read.map((r) => r.file.path), ...gone, ...orphans])].flatMap(indexedIds);
    const liveAfter = index.size - stale.length + passages.length;
    if (liveAfter <= 0) throw usage(`That would leave "${a.name}" empty.`, `Remove it with \`leann remove ${a.name}\`.`);

    let embedded = 0;
    if (passages.length > 0 || stale.length > 0 || mismatched.length > 0) {
      // Old chunks of changed files go first: a file may now have fewer chunks.
      if (stale.length) await index.delete(stale);
      if (passages.length) {
        const { vectors } = await embedPassages(ctx, embedder, index.dimensions, passages, undefined);
        embedded = passages.length;
        const bar = ctx.progress("passages");
        bar.start("insert", passages.length);
        // Insert in slices so the bar moves; each add links its passages into the graph.
        const SLICE = 64;
        for (let s = 0; s < passages.length; s += SLICE) {
          await index.add(passages.slice(s, s + SLICE), { vectors: vectors.slice(s, s + SLICE) });
          bar.update(Math.min(passages.length, s + SLICE));
        }
        bar.finish();
      }
      for (const p of gone) delete meta.files[p];
      for (const r of read) {
        if (r.passages.length) meta.files[r.file.path] = r.entry;
        else delete meta.files[r.file.path];
      }
      await index.save(dir);
      meta.passages = index.size;
      meta.updatedAt = new Date().toISOString();
      if (a.paths.length) for (const r of roots) if (!meta.sources.some((s) => under(r, s))) meta.sources.push(r);
      writeMeta(dir, meta);
    }
    const report = {
      index: a.name,
      added: { files: added.length, passages: added.reduce((s, r) => s + r.passages.length, 0) },
      updated: { files: replaced.length, passages: replaced.reduce((s, r) => s + r.passages.length, 0) },
      removed: { files: gone.length },
      /** Files that no longer exist but keep their passages (no --prune). */
      vanished: { files: kept.length, kept: kept.length > 0, paths: kept },
      unchanged: found.files.length - changed.length,
      embedded,
      /** Files re-indexed or dropped because leann.json and the index disagreed. */
      repaired: { files: mismatched.length + unrecorded.length },
      passages: index.size,
      ms: Math.round(performance.now() - t0),
    };
    if (ctx.json) ctx.emit(report);
    else if (passages.length === 0 && stale.length === 0) {
      ctx.out(`Nothing to add: ${num(report.unchanged)} files unchanged in "${a.name}"${kept.length ? `; ${num(kept.length)} vanished kept (--prune drops them)` : ""}.`);
    }
    else {
      ctx.out(
        `Updated "${a.name}": ${num(report.added.files)} new files (${num(report.added.passages)} passages), ${num(report.updated.files)} changed files re-indexed, ` +
          `${num(report.removed.files)} removed, ${num(report.unchanged)} unchanged${kept.length ? `, ${num(kept.length)} vanished kept (--prune drops them)` : ""}; ${num(report.passages)} passages now.`,
      );
    }
  });
}

export interface DeleteArgs {
  name: string;
  paths: string[];
  ids: string[];
  model: string | undefined;
  baseUrl?: string | undefined;
}

export async function del(ctx: Ctx, a: DeleteArgs): Promise<void> {
  if (a.paths.length === 0 && a.ids.length === 0) {
    throw usage("leann delete: name the files or folders to drop, or passage ids with --id.", `Usage: leann delete ${a.name} PATH... | --id ID...`);
  }
  await withOpenIndex(ctx, a.name, a, async ({ meta, index, dir }) => {
    const roots = a.paths.map((p) => resolve(ctx.io.cwd, p));
    const files = Object.keys(meta.files).filter((f) => roots.some((r) => under(f, r)));
    const unmatched = roots.filter((r) => !files.some((f) => under(f, r)));
    const ids = [...files.flatMap((f) => idsOf(meta, f)), ...a.ids];
    const missingIds = a.ids.filter((id) => !index.has(id));
    if (unmatched.length > 0 || missingIds.length > 0) {
      const what = [...unmatched.map((p) => ctx.show(p)), ...missingIds.map((id) => `id ${JSON.stringify(id)}`)];
      throw new CliError(EXIT.NOT_FOUND, "NOT_IN_INDEX", `Not in "${a.name}": ${what.join(", ")}.`, `See what it holds with \`leann info ${a.name}\` or \`leann search ${a.name} ...\`.`);
    }
    const live = [...new Set(ids.filter((id) => index.has(id)))];
    if (live.length >= index.size) throw usage(`That would leave "${a.name}" empty.`, `Remove it with \`leann remove ${a.name}\`.`);
    const { deleted } = await index.delete(live);
    await index.save(dir);
    // The files touched: those named, and those whose passages --id removed; a file left without passages is dropped.
    const touched = new Set(files);
    for (const id of a.ids) {
      const f = fileOfId(meta, id);
      if (f) touched.add(f);
    }
    const whole = [...touched].filter((f) => idsOf(meta, f).every((id) => !index.has(id)));
    const partial = [...touched].filter((f) => !whole.includes(f));
    for (const f of whole) delete meta.files[f];
    // Recorded so that the next rescan knows these chunks went on purpose, not in a failed write.
    for (const f of partial) {
      const entry = meta.files[f]!;
      entry.dropped = Array.from({ length: entry.chunks }, (_, i) => i).filter((i) => !index.has(chunkId(f, i)));
    }
    meta.passages = index.size;
    meta.updatedAt = new Date().toISOString();
    writeMeta(dir, meta);
    if (ctx.json) ctx.emit({ index: a.name, deleted, files: touched.size, wholeFiles: whole, partialFiles: partial, passages: index.size });
    else {
      const parts = [whole.length ? `${num(whole.length)} whole` : "", partial.length ? `${num(partial.length)} in part` : ""].filter(Boolean).join(", ");
      ctx.out(`Deleted ${num(deleted)} passages from ${num(touched.size)} ${touched.size === 1 ? "file" : "files"}${parts ? ` (${parts})` : ""} in "${a.name}"; ${num(index.size)} passages left.`);
    }
  });
}

/**
 * Turning files into passages, and embedding passages with a progress bar and a
 * checkpoint: the shared part of `build` and `add`.
 */
import { createHash } from "node:crypto";
import { closeSync, constants, existsSync, lstatSync, mkdirSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { extname, join } from "node:path";
import type { PassageInput } from "@leann/core";
import { chunkText } from "./chunk.js";
import { num, type Ctx } from "./context.js";
import type { CliEmbedder } from "./embedder.js";
import { chunkId, type FileEntry } from "./home.js";
import { abortable, interrupted } from "./interrupt.js";
import { readRegularFileSync } from "./safe-read.js";
import { readSource, type Skipped, type SourceFile } from "./sources.js";

/** The checkpoint's files are only ever appended to in place: never through a planted link. */
const APPEND_NO_FOLLOW = constants.O_WRONLY | constants.O_APPEND | (constants.O_NOFOLLOW ?? 0);
/** A checkpoint file is read whole; the largest a CLI build makes stays far below this. */
const MAX_CHECKPOINT_BYTES = 2 ** 31;

export interface Chunking {
  chunkTokens: number;
  overlapTokens: number;
}

export interface FilePassages {
  file: SourceFile;
  passages: PassageInput[];
  entry: FileEntry;
}

/**
 * Reads and chunks files. Ids are `${path}#${i}`; metadata holds `source` (absolute
 * path), `ext`, `chunk`, `line`/`endLine` and, for PDFs, `page`. Files that cannot be
 * read are reported in `skipped` instead of failing the whole run.
 * @throws CliError INTERRUPTED when the context's signal aborts (checked before each file)
 */
export async function filesToPassages(ctx: Ctx, files: SourceFile[], chunking: Chunking): Promise<{ read: FilePassages[]; skipped: Skipped[] }> {
  const read: FilePassages[] = [];
  const skipped: Skipped[] = [];
  const bar = ctx.progress("files");
  bar.start("read", files.length);
  for (const [n, file] of files.entries()) {
    if (ctx.io.signal?.aborted) {
      bar.finish();
      throw interrupted(`Interrupted while reading files (${num(n)} of ${num(files.length)} read); nothing was indexed.`);
    }
    let text: string, pageStarts: number[] | undefined;
    try {
      ({ text, pageStarts } = await readSource(file));
    } catch (err) {
      skipped.push({ path: file.path, reason: `cannot be read: ${(err as Error).message ?? err}` });
      continue;
    }
    const ext = extname(file.path).slice(1).toLowerCase();
    const passages: PassageInput[] = [];
    if (pageStarts) {
      // PDFs: pages are chunked one by one, so a passage cites exactly one page.
      pageStarts.forEach((start, p) => {
        const end = p + 1 < pageStarts.length ? pageStarts[p + 1]! : text.length;
        for (const c of chunkText(text.slice(start, end), chunking)) {
          const i = passages.length;
          passages.push({ id: chunkId(file.path, i), text: c.text, metadata: { source: file.path, ext, chunk: i, page: p + 1 } });
        }
      });
    } else {
      for (const [i, c] of chunkText(text, chunking).entries()) {
        passages.push({ id: chunkId(file.path, i), text: c.text, metadata: { source: file.path, ext, chunk: i, line: c.startLine, endLine: c.endLine } });
      }
    }
    if (passages.length === 0) skipped.push({ path: file.path, reason: "no text" });
    read.push({ file, passages, entry: { mtimeMs: file.mtimeMs, size: file.size, chunks: passages.length, textBytes: Buffer.byteLength(text) } });
    bar.update(n + 1);
  }
  bar.finish();
  return { read, skipped };
}

/**
 * Embedded chunks of an unfinished build, kept in `<index>/.partial/`: `checkpoint.json`
 * (model and dimensions) and `vectors.bin`, records of a 32-byte SHA-256 of the chunk
 * text followed by its float32 vector, appended after every batch. A record cut short by
 * a crash is dropped on reopening; a checkpoint of another model is discarded.
 */
export class Checkpoint {
  private readonly file: string;
  private readonly record: number;

  private constructor(
    readonly dir: string,
    private readonly dims: number,
  ) {
    this.file = join(dir, "vectors.bin");
    this.record = 32 + dims * 4;
  }

  static open(dir: string, modelId: string, dims: number, fresh: boolean): Checkpoint {
    const metaFile = join(dir, "checkpoint.json");
    let ok = false;
    if (!fresh && existsSync(metaFile)) {
      try {
        // A checkpoint is only ever a real folder of regular files that leann made:
        // anything else (a link planted in its place) is discarded, never written through.
        const real = (p: string, dirOk = false) => {
          const st = lstatSync(p);
          return dirOk ? st.isDirectory() : st.isFile();
        };
        const m = JSON.parse(readRegularFileSync(metaFile, 64 * 1024).toString("utf8")) as { modelId?: unknown; dims?: unknown };
        ok = real(dir, true) && real(metaFile) && real(join(dir, "vectors.bin")) && m.modelId === modelId && m.dims === dims;
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      // The folder is new: "wx" creates each file here, never through something planted.
      writeFileSync(metaFile, JSON.stringify({ modelId, dims }) + "\n", { flag: "wx" });
      writeFileSync(join(dir, "vectors.bin"), "", { flag: "wx" });
    }
    return new Checkpoint(dir, dims);
  }

  /** Vectors saved so far, by key. */
  load(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    if (!existsSync(this.file)) return out;
    const size = statSync(this.file).size;
    const whole = Math.floor(size / this.record) * this.record;
    if (whole !== size) truncateSync(this.file, whole);
    const buf = readRegularFileSync(this.file, MAX_CHECKPOINT_BYTES);
    for (let off = 0; off + this.record <= buf.length; off += this.record) {
      const key = buf.toString("hex", off, off + 32);
      const v = new Float32Array(this.dims);
      for (let d = 0; d < this.dims; d++) v[d] = buf.readFloatLE(off + 32 + d * 4);
      out.set(key, v);
    }
    return out;
  }

  append(keys: string[], flat: Float32Array): void {
    const buf = Buffer.alloc(keys.length * this.record);
    keys.forEach((k, i) => {
      const off = i * this.record;
      buf.write(k, off, "hex");
      for (let d = 0; d < this.dims; d++) buf.writeFloatLE(flat[i * this.dims + d]!, off + 32 + d * 4);
    });
    const fd = openSync(this.file, APPEND_NO_FOLLOW);
    try {
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    } finally {
      closeSync(fd);
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const textKey = (text: string) => createHash("sha256").update(text).digest("hex");

/** Texts per embedder call: small enough that the bar moves and an interrupt loses little. */
const EMBED_BATCH = 32;

/**
 * Embeds passages in batches with a progress bar (rate, ETA), reusing and extending a
 * checkpoint when given. Returns one vector per passage and how many came from the checkpoint.
 * @throws CliError INTERRUPTED when the context's signal aborts (the checkpoint keeps the work done)
 */
export async function embedPassages(
  ctx: Ctx,
  embedder: CliEmbedder,
  dims: number,
  passages: PassageInput[],
  checkpoint: Checkpoint | undefined,
): Promise<{ vectors: Float32Array[]; resumed: number }> {
  const n = passages.length;
  const flat = new Float32Array(n * dims);
  const keys = passages.map((p) => textKey(p.text));
  const saved = checkpoint?.load() ?? new Map<string, Float32Array>();
  const todo: number[] = [];
  keys.forEach((k, i) => {
    const v = saved.get(k);
    if (v) flat.set(v, i * dims);
    else todo.push(i);
  });
  const resumed = n - todo.length;
  if (resumed > 0) ctx.note(`Resuming: ${num(resumed)} of ${num(n)} chunks were already embedded.`);
  const bar = ctx.progress("chunks");
  bar.start("embed", n, resumed);
  const stopped = (done: number) => {
    bar.finish();
    return interrupted(
      `Interrupted after embedding ${num(done)} of ${num(n)} chunks${checkpoint ? "; they are saved" : ""}.`,
      checkpoint ? "Run the same command again to resume." : undefined,
    );
  };
  for (let s = 0; s < todo.length; s += EMBED_BATCH) {
    if (ctx.io.signal?.aborted) throw stopped(resumed + s);
    const batch = todo.slice(s, s + EMBED_BATCH);
    // A slow model must not hold an interrupt until its batch ends: the batch in flight is dropped.
    const out = await abortable(embedder.embedFlat(batch.map((i) => passages[i]!.text)), ctx.io.signal, () => stopped(resumed + s));
    batch.forEach((i, j) => flat.set(out.subarray(j * dims, (j + 1) * dims), i * dims));
    checkpoint?.append(batch.map((i) => keys[i]!), out);
    bar.update(resumed + s + batch.length);
  }
  bar.finish();
  const vectors = Array.from({ length: n }, (_, i) => flat.subarray(i * dims, (i + 1) * dims));
  return { vectors, resumed };
}

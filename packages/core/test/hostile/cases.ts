import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { createDeflateRaw, deflateRawSync } from "node:zlib";
import { readCurrent } from "../../src/format/current.js";
import { checkPassagePairing, readIndexFile } from "../../src/format/index-file.js";
import { acquireLock } from "../../src/format/lock.js";
import { AbortedError, compileFilter, LeannIndex, type BuildPhase, type SearchFilter } from "../../src/index.js";
import { FilePassageStore, MemoryPassageStore, writePassageFile } from "../../src/store/passages.js";
import { encodeCompressed } from "../../src/store/record-codec.js";
import { HashEmbedder } from "../fixtures/hash-embedder.js";
import { craftBlock, footerBytesOf, refooter, replaceV4Tail, rewriteSections, v3PassageFile, v3Table, varint } from "./craft.js";

/** The defect classes of issue 14. */
export type HostileClass = "foreign files" | "unbounded work" | "untyped errors" | "filters" | "ids" | "locks and temp files" | "memory" | "interrupts";

export interface HostileCase {
  cls: HostileClass;
  name: string;
  /** Error codes that count as the right answer; absent: the call must succeed and `check` pass. */
  rejects?: string[];
  /** Largest growth of the resident set allowed while the case runs, MiB. */
  boundMb?: number;
  /** The attack, in a fresh work directory; returns what `check` inspects. */
  run(work: string): Promise<unknown>;
  /** A description of what is wrong with the answer, or undefined. */
  check?(result: unknown): string | undefined;
  /** After the attack: a description of saved data that was lost, or undefined. */
  intact?(work: string): Promise<string | undefined>;
}

export const embedder = new HashEmbedder();
export const LONE = "lone-\uD800";
const passages = Array.from({ length: 60 }, (_, k) => ({
  id: k === 7 ? LONE : `n${k}`,
  text: `passage ${k} about topic ${k % 7}`,
  metadata: { k, flag: k % 2 === 0, loc: { lines: { from: k, to: k + 3 } } },
}));

let pristine: string | undefined;
/** A saved index in `work/index`, copied from one built once per process. */
async function savedIndex(work: string): Promise<string> {
  if (!pristine) {
    pristine = join(work, "..", "pristine");
    rmSync(pristine, { recursive: true, force: true });
    await (await LeannIndex.build(passages, { embedder })).save(pristine);
  }
  const dir = join(work, "index");
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

const current = (dir: string) => readCurrent(dir)!;
const load = (dir: string) => LeannIndex.load(dir, { embedder, probe: false });

async function searchWith(work: string, filter: SearchFilter): Promise<string[]> {
  const index = await load(await savedIndex(work));
  try {
    return (await index.search("passage 3", { k: 60, filter })).hits.map((h) => h.id);
  } finally {
    await index.close();
  }
}

/** The saved index still loads and holds every passage as built. */
async function unchanged(work: string): Promise<string | undefined> {
  const index = await load(join(work, "index"));
  try {
    for (const p of passages) if (index.get(p.id)?.text !== p.text) return `passage ${JSON.stringify(p.id)} lost`;
    return index.size === passages.length ? undefined : `size ${index.size}, expected ${passages.length}`;
  } finally {
    await index.close();
  }
}

/**
 * Replaces the index's passage file with one whose passage 0 has the given text and
 * metadata blocks as stored (valid checksums), the other passages in blocks of their own.
 */
async function plantRecord(work: string, text: Uint8Array, meta: Uint8Array, dictionary?: Uint8Array): Promise<string> {
  const dir = await savedIndex(work);
  const rest = passages.slice(1);
  const block = (entries: string[]) => ({ bytes: craftBlock(entries.map((e) => enc.encode(e))), count: entries.length });
  const file = v3PassageFile({
    dictionary,
    text: [{ bytes: text, count: 1 }, block(rest.map((p) => p.text))],
    meta: [{ bytes: meta, count: 1 }, block(rest.map((p) => JSON.stringify(p.metadata)))],
    ids: passages.map((p) => p.id),
  });
  writeFileSync(join(dir, current(dir).passages), file);
  return dir;
}

/** A version-4 passage file of the passages with its ids or order block replaced (valid checksums). */
function plantedTail(work: string, o: { ids?: Uint8Array; order?: Uint8Array }): string {
  const path = join(work, "passages.1.leann");
  writePassageFile(path, new MemoryPassageStore(passages));
  writeFileSync(path, replaceV4Tail(readFileSync(path), o));
  return path;
}

/** The passage file of a saved index, opened the way a load opens it (planted files fail the index's pairing check first). */
function passageStore(dir: string): FilePassageStore {
  return new FilePassageStore(join(dir, current(dir).passages));
}

function withStore<T>(dir: string, fn: (s: FilePassageStore) => T): T {
  const store = passageStore(dir);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

const expectIds = (want: string[]) => (r: unknown) => {
  const got = [...(r as string[])].sort();
  return JSON.stringify(got) === JSON.stringify([...want].sort()) ? undefined : `returned ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`;
};
const CORRUPT = ["CORRUPT_INDEX"];

/** Raw DEFLATE of `times` copies of `chunk`, compressed a chunk at a time so making it stays small. */
async function deflatedRepeats(chunk: Buffer, times: number, dictionary?: Buffer): Promise<Buffer> {
  const z = createDeflateRaw(dictionary ? { dictionary } : {});
  const out: Buffer[] = [];
  z.on("data", (d: Buffer) => out.push(d));
  const done = new Promise((r) => z.on("end", r));
  for (let i = 0; i < times; i++) if (!z.write(chunk)) await new Promise((r) => z.once("drain", r));
  z.end();
  await done;
  return Buffer.concat(out);
}

/** Raw DEFLATE of 1 GiB of zeros (about 1 MB). */
const gibibyteOfZeros = () => deflatedRepeats(Buffer.alloc(1 << 20), 1024);
const enc = new TextEncoder();

/**
 * Ctrl-C in the middle of a synchronous build step: the abort comes from the event loop (as
 * a SIGINT handler runs), scheduled when `phase` begins, so it is seen only if the step lets
 * the loop run. Returns where the build stopped.
 */
async function interruptIn(phase: BuildPhase): Promise<{ code?: string; phase?: string; finished: boolean }> {
  const controller = new AbortController();
  let finished = false;
  const many = Array.from({ length: 800 }, (_, k) => ({ id: `i${k}`, text: `interrupted passage ${k} on topic ${k % 13}` }));
  try {
    await LeannIndex.build(many, {
      embedder,
      pqRotation: true,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === phase && p.done === 0) setImmediate(() => controller.abort());
        if (p.phase === phase && p.done === p.total) finished = true;
      },
    });
    return { finished: true };
  } catch (err) {
    if (!(err instanceof AbortedError)) throw err;
    return { code: err.code, phase: err.phase, finished };
  }
}
const stoppedIn = (phase: BuildPhase) => (r: unknown) => {
  const { code, phase: at, finished } = r as { code?: string; phase?: string; finished: boolean };
  if (code !== "ABORTED") return "the build ran to its end after the abort";
  return at === phase && !finished ? undefined : `stopped in the ${at} step${finished ? ` after the ${phase} step had finished` : ""}, expected inside ${phase}`;
};

export const CASES: HostileCase[] = [
  {
    cls: "foreign files",
    name: "passage file of another index with the same count",
    rejects: CORRUPT,
    async run(work) {
      const a = join(work, "a.leann"), b = join(work, "b.leann");
      const recorded = writePassageFile(a, new MemoryPassageStore(passages));
      writePassageFile(b, new MemoryPassageStore(passages.map((p) => ({ ...p, text: `other ${p.text}` }))));
      checkPassagePairing({ passages: recorded }, b, new FilePassageStore(b).identity);
    },
  },
  {
    cls: "foreign files",
    name: "passage file of an earlier save of the same index",
    rejects: CORRUPT,
    async run(work) {
      const old = join(work, "old.leann"), now = join(work, "now.leann");
      writePassageFile(old, new MemoryPassageStore(passages));
      const recorded = writePassageFile(now, new MemoryPassageStore(passages));
      checkPassagePairing({ passages: recorded }, old, new FilePassageStore(old).identity);
    },
  },
  {
    cls: "unbounded work",
    name: "1 MB record claiming to inflate to 1 GiB",
    rejects: CORRUPT,
    boundMb: 96,
    async run(work) {
      const dir = await plantRecord(work, Uint8Array.from([...varint(2 ** 31 + 1), ...(await gibibyteOfZeros())]), craftBlock([new Uint8Array(0)]));
      return withStore(dir, (s) => s.get(0));
    },
  },
  {
    cls: "unbounded work",
    name: "stored order of a passage file claiming to inflate to 1 GiB",
    rejects: CORRUPT,
    boundMb: 96,
    async run(work) {
      return new FilePassageStore(plantedTail(work, { order: Uint8Array.from([...varint(2 ** 31 + 1), ...(await gibibyteOfZeros())]) })).count;
    },
  },
  {
    cls: "unbounded work",
    name: "front-coded ids sharing one 50 KB id 60 times (3 MB from a 3 KB file)",
    rejects: CORRUPT,
    boundMb: 96,
    async run(work) {
      const coded = Buffer.concat([Buffer.from([0, ...varint(50_000)]), Buffer.alloc(50_000, 65), Buffer.from(Array.from({ length: passages.length - 1 }, () => [...varint(50_000), 0]).flat())]);
      return new FilePassageStore(plantedTail(work, { ids: encodeCompressed(coded) })).count;
    },
  },
  {
    cls: "unbounded work",
    name: "record whose stream inflates past its stated length",
    rejects: CORRUPT,
    boundMb: 96,
    async run(work) {
      const dir = await plantRecord(work, Uint8Array.from([...varint(2 * 64 + 1), ...deflateRawSync(Buffer.alloc(8 << 20, 0x61))]), craftBlock([new Uint8Array(0)]));
      return withStore(dir, (s) => s.get(0));
    },
  },
  {
    cls: "unbounded work",
    name: "block inflating through its preset dictionary far past its stated length (dictionary bomb)",
    rejects: CORRUPT,
    boundMb: 96,
    async run(work) {
      const dictionary = randomBytes(16 * 1024);
      // 256 MiB made by repeating the random dictionary: back-references into it, a few hundred kB.
      const bomb = await deflatedRepeats(dictionary, 16384, dictionary);
      const dir = await plantRecord(work, Uint8Array.from([...varint(2 * 200 + 1), ...bomb]), craftBlock([new Uint8Array(0)]), dictionary);
      return withStore(dir, (s) => s.get(0));
    },
  },
  {
    cls: "unbounded work",
    name: "passage file stating a 4 GiB dictionary",
    rejects: CORRUPT,
    boundMb: 96,
    async run(work) {
      const dir = await savedIndex(work);
      const file = join(dir, current(dir).passages);
      const buf = readFileSync(file);
      buf.writeUInt32LE(2 ** 32 - 1, buf.length - footerBytesOf(buf) + 80);
      refooter(buf, footerBytesOf(buf));
      writeFileSync(file, buf);
      return withStore(dir, (s) => s.get(0));
    },
  },
  ...(["/dev/zero", "fifo"] as const).flatMap((target): HostileCase[] =>
    (["passages", "index"] as const).map((which) => ({
      cls: "unbounded work",
      name: `${which === "index" ? "index" : "passage"} file replaced by ${target === "fifo" ? "a FIFO" : "a link to /dev/zero"}`,
      rejects: CORRUPT,
      boundMb: 64,
      async run(work) {
        const dir = await savedIndex(work);
        const file = join(dir, current(dir)[which]);
        rmSync(file);
        if (target === "fifo") execFileSync("mkfifo", [file]);
        else symlinkSync(target, file);
        // The passage file is opened by load itself; the index file through the reader a load uses once wired.
        return which === "passages" ? load(dir) : readIndexFile(file);
      },
    })),
  ),
  {
    cls: "unbounded work",
    name: "CURRENT replaced by a FIFO",
    rejects: CORRUPT,
    async run(work) {
      const dir = await savedIndex(work);
      rmSync(join(dir, "CURRENT"));
      execFileSync("mkfifo", [join(dir, "CURRENT")]);
      return readCurrent(dir);
    },
  },
  {
    cls: "unbounded work",
    name: "keyword section claiming 2^27 passages in 8 bytes",
    rejects: CORRUPT,
    boundMb: 64,
    async run(work) {
      const dir = await savedIndex(work);
      // Magic, version, empty meta, then the document count.
      rewriteSections(dir, (s) => s.set("keyword", Uint8Array.from([0x4c, 0x4b, 0x57, 1, 0, ...varint(2 ** 27)])));
      return load(dir);
    },
  },
  {
    cls: "unbounded work",
    name: "1 MB keyword query of distinct words",
    boundMb: 128,
    async run(work) {
      const index = await load(await savedIndex(work));
      try {
        const words = Array.from({ length: 120_000 }, (_, i) => `w${i.toString(36)}`).join(" ") + " passage topic";
        return (await index.search(words, { k: 5, alpha: 0 })).hits.length;
      } finally {
        await index.close();
      }
    },
    check: (n) => (n === 5 ? undefined : `${String(n)} hits, expected 5`),
  },
  {
    cls: "untyped errors",
    name: "fractional block offset",
    rejects: CORRUPT,
    async run(work) {
      const dir = await savedIndex(work);
      const file = join(dir, current(dir).passages);
      const buf = readFileSync(file);
      const { at: tableAt } = v3Table(buf);
      buf.writeDoubleLE(buf.readDoubleLE(tableAt) + 0.5, tableAt);
      refooter(buf, footerBytesOf(buf));
      writeFileSync(file, buf);
      return withStore(dir, (s) => s.get(0));
    },
  },
  {
    cls: "untyped errors",
    name: "metadata JSON null, read by a filter",
    rejects: CORRUPT,
    async run(work) {
      const dir = await plantRecord(work, craftBlock([enc.encode(passages[0]!.text)]), craftBlock([enc.encode("null")]));
      const filter = compileFilter({ filters: [{ key: "k", operator: "!=", value: -1 }] })!;
      return withStore(dir, (s) => filter(s.metadata(0), s.id(0)));
    },
  },
  ...[1e300, 1e39, 1e6].map(
    (x): HostileCase => ({
      cls: "untyped errors",
      name: `embedder component ${x} at build`,
      rejects: ["EMBEDDER_FAILED"],
      async run() {
        const bad = { async embedDocuments(t: string[]) { return t.map((_, i) => [1, i === 0 ? x : 0.5, 0.25]); } };
        return LeannIndex.build([{ text: "a" }, { text: "b" }], { embedder: bad });
      },
    }),
  ),
  {
    cls: "untyped errors",
    name: "embedder component 1e300 in a query",
    rejects: ["EMBEDDER_FAILED"],
    async run(work) {
      const index = await load(await savedIndex(work));
      const evil = Object.assign(Object.create(embedder) as HashEmbedder, { embedQuery: async () => [1e300, ...new Array(15).fill(0)] });
      const swapped = await LeannIndex.load(join(work, "index"), { embedder: evil, probe: false });
      try {
        return await swapped.search("x");
      } finally {
        await swapped.close();
        await index.close();
      }
    },
  },
  {
    cls: "untyped errors",
    name: "CURRENT holding generation 2^53-1",
    rejects: CORRUPT,
    async run(work) {
      const dir = await savedIndex(work);
      writeFileSync(join(dir, "CURRENT"), JSON.stringify({ ...current(dir), generation: 2 ** 53 - 1 }));
      return readCurrent(dir);
    },
  },
  ...(["constructor", "__proto__", "hasOwnProperty", "toString"] as const).map(
    (key): HostileCase => ({
      cls: "filters",
      name: `inherited key ${key} with !=`,
      run: (work) => searchWith(work, { filters: [{ key, operator: "!=", value: "x" }] }),
      check: expectIds([]),
    }),
  ),
  ...[
    ["returning 1", () => 1],
    ["returning a promise", async () => true],
    ["returning undefined", () => undefined],
  ].map(
    ([what, fn]): HostileCase => ({
      cls: "filters",
      name: `predicate ${what as string}`,
      rejects: ["INVALID_OPTIONS"],
      run: (work) => searchWith(work, fn as never),
    }),
  ),
  {
    cls: "filters",
    name: "boolean value with ==",
    run: (work) => searchWith(work, { filters: [{ key: "flag", operator: "==", value: true }, { key: "k", operator: "<", value: 6 }] }),
    check: expectIds(["n0", "n2", "n4"]),
  },
  {
    cls: "filters",
    name: "dotted key into nested metadata (loc.lines.from)",
    run: (work) => searchWith(work, { filters: [{ key: "loc.lines.from", operator: "==", value: 5 }] }),
    check: expectIds(["n5"]),
  },
  {
    cls: "ids",
    name: "lone surrogate id after save and reload",
    async run(work) {
      const index = await load(await savedIndex(work));
      try {
        const found = index.has(LONE) && index.get(LONE)?.text === passages[7]!.text;
        await index.delete([LONE]);
        return found && !index.has(LONE);
      } finally {
        await index.close();
      }
    },
    check: (r) => (r === true ? undefined : "the id no longer matches has/get/delete"),
  },
  {
    cls: "locks and temp files",
    name: "stale LOCK holding this process's own pid",
    async run(work) {
      const dir = await savedIndex(work);
      writeFileSync(join(dir, "LOCK"), JSON.stringify({ pid: process.pid, host: hostname(), since: "before a restart", token: `${process.pid}-00000000deadbeef` }));
      const index = await load(dir);
      try {
        await index.save(dir);
      } finally {
        await index.close();
      }
      return existsSync(join(dir, "LOCK"));
    },
    check: (r) => (r === false ? undefined : "LOCK was left behind"),
    intact: unchanged,
  },
  {
    cls: "locks and temp files",
    name: "temporary files of killed and failed writers",
    async run(work) {
      const dir = await savedIndex(work);
      const left = [`LOCK.${2 ** 22 + 1}-0011223344556677.tmp`, `LOCK.stale-${2 ** 22 + 1}-0011223344556677-0`, "index.9.leann.tmp-77-0badc0de", "CURRENT.tmp-77-12345678"];
      for (const f of left) writeFileSync(join(dir, f), "");
      const index = await load(dir);
      try {
        await index.add([{ id: "late", text: "a later passage" }]);
        await index.delete(["late"]);
        await index.save(dir);
      } finally {
        await index.close();
      }
      return readdirSync(dir).filter((f) => left.includes(f));
    },
    check: (r) => ((r as string[]).length === 0 ? undefined : `left: ${(r as string[]).join(", ")}`),
    intact: unchanged,
  },
  {
    cls: "locks and temp files",
    name: "stale lock file of another name (watch.lock) holding this process's own pid",
    async run(work) {
      const dir = await savedIndex(work);
      writeFileSync(join(dir, "watch.lock"), JSON.stringify({ pid: process.pid, host: hostname(), since: "before a restart", token: `${process.pid}-00000000deadbeef` }));
      acquireLock(dir, "watch.lock")();
      return existsSync(join(dir, "watch.lock"));
    },
    check: (r) => (r === false ? undefined : "watch.lock was not taken over or was left behind"),
    intact: unchanged,
  },
  { cls: "interrupts", name: "Ctrl-C while the graph is pruned", run: () => interruptIn("prune"), check: stoppedIn("prune") },
  { cls: "interrupts", name: "Ctrl-C while the rotation and codebooks are trained", run: () => interruptIn("quantize"), check: stoppedIn("quantize") },
  {
    cls: "memory",
    name: "metadata read without the text (8 MiB text beside it)",
    async run(work) {
      const dir = await plantRecord(work, craftBlock([enc.encode(randomBytes(6 << 20).toString("base64"))], {}), craftBlock([enc.encode(JSON.stringify({ k: 0 }))]));
      return withStore(dir, (store) => {
        const before = process.memoryUsage().arrayBuffers;
        const metadata = store.metadata(0);
        return { metadata, allocated: process.memoryUsage().arrayBuffers - before };
      });
    },
    check(r) {
      const { metadata, allocated } = r as { metadata: { k?: number }; allocated: number };
      if (metadata.k !== 0) return `metadata ${JSON.stringify(metadata)}`;
      return allocated < 1 << 20 ? undefined : `reading the metadata allocated ${allocated} bytes of buffers (the text was read)`;
    },
  },
];

import { closeSync } from "node:fs";
import { ClosedError, CorruptIndexError } from "../errors.js";
import { openRegularFile, readAt } from "../format/read.js";
import { crc32 } from "../util/crc32.js";
import { decodeWtf8, hasSurrogate } from "../util/wtf8.js";
import { blockEntry, decodeBlock, decodeIds, maxIdsBytes, type DecodedBlock } from "./block-codec.js";
import { BlockIndex } from "./block-index.js";
import { MAX_DICTIONARY_BYTES } from "./dictionary.js";
import { expandFrontCoded } from "./front-coding.js";
import { decodeOrder, invertOrder } from "./order-codec.js";
import { FOOTER_BYTES, passageFileBytes, PSG_END_MAGIC, PSG_MAGIC, TABLE_PER_BLOCK, type PassageFileIdentity } from "./passage-file.js";
import { decodeLegacyRecord, decodeMeta, decodeText, parseMetadata, type Metadata } from "./record-codec.js";

export type { Metadata } from "./record-codec.js";
export { encodePassageFile, passageFileBytes, writePassageFile, type PassageFileIdentity } from "./passage-file.js";

export interface PassageRecord {
  id: string;
  text: string;
  metadata: Metadata;
}

/** A record as stored in a version-2 passage file: its text part and its metadata part. */
export interface StoredParts {
  text: Uint8Array;
  meta: Uint8Array;
}

/** A block of a version-3 or 4 passage file as stored (checksum verified): saves copy it as it is. */
export interface StoredBlock {
  bytes: Uint8Array;
  crc: number;
  /** Passages it holds, from the stored position it was asked for. */
  count: number;
}

/** Passages by internal id, with random access to one at a time. */
export interface PassageStore {
  readonly count: number;
  id(i: number): string;
  get(i: number): PassageRecord;
  /** The metadata of passage i alone: a filter reads no text. */
  metadata(i: number): Metadata;
  /** Bytes this store takes on disk (or would take, for one in memory). */
  readonly bytes: number;
  /** The preset dictionary its stored blocks were compressed with, when it has stored blocks. */
  dictionary?(): Uint8Array | undefined;
  /**
   * The order to store the passages in: entry p is the internal id stored p-th (a
   * permutation of 0..count-1); none means 0, 1, 2, ... Texts in the order they came in
   * compress better than in the graph's node order. Not to be modified by the caller.
   */
  order?(): ArrayLike<number> | undefined;
  /**
   * The stored block (0 = texts, 1 = metadata) that begins at stored position p (of
   * `order()`) and holds exactly the passages at positions p, p+1, ... of this store's
   * order, when there is one: saves copy it as it is.
   */
  storedBlock?(kind: 0 | 1, p: number): StoredBlock | undefined;
  close(): void;
}

/** Bytes read at once when metadata is read passage after passage (version 2). */
const READ_AHEAD = 64 * 1024;
/** Table bytes per passage in a version-2 file: two f64 offsets and two u32 checksums. */
const TABLE_PER_PASSAGE = 24;
const NO_DICTIONARY = new Uint8Array(0);
/** Decoded blocks kept per kind, so that passages read in order decode each block once. */
const CACHED_BLOCKS = 8;
/** Blocks larger than this (a single huge passage) are not kept. */
const MAX_CACHED_BLOCK = 1 << 20;

export class MemoryPassageStore implements PassageStore {
  private size: number | undefined;
  /**
   * @param records passages by internal id
   * @param stored the order to store them in (see PassageStore.order): a permutation of
   *   0..records.length-1, typically the input order of a build
   */
  constructor(
    private readonly records: PassageRecord[],
    private readonly stored?: ArrayLike<number>,
  ) {}
  order(): ArrayLike<number> | undefined {
    return this.stored;
  }
  get count(): number {
    return this.records.length;
  }
  id(i: number): string {
    return this.records[i]!.id;
  }
  get(i: number): PassageRecord {
    return this.records[i]!;
  }
  metadata(i: number): Metadata {
    return this.records[i]!.metadata;
  }
  /** Exact: the file is encoded (not written) once, the records never change. */
  get bytes(): number {
    return (this.size ??= passageFileBytes(this));
  }
  close(): void {}
}

/**
 * A passage file opened for random access: reads the footer, ids and table (versions 3 and
 * 4: the dictionary and 20 bytes a block, and version 4 its stored order; versions 1 and
 * 2: about 24 bytes a passage); a block or part is read, and its checksum verified, only
 * when asked for.
 */
export class FilePassageStore implements PassageStore {
  readonly count: number;
  readonly bytes: number;
  readonly version: number;
  /** The file id and checksum (versions 2 and 3), to compare with what the index file recorded. */
  readonly identity: PassageFileIdentity | undefined;
  private fd: number | undefined;
  /** Versions 1 and 2: record i spans starts[i]..starts[i+1]; in version 2 its metadata part begins at metaStarts[i]. */
  private readonly starts: Float64Array;
  private readonly metaStarts: Float64Array;
  private readonly textCrc: Uint32Array;
  private readonly metaCrc: Uint32Array;
  /** Versions 3 and 4: the preset dictionary and the text and metadata block tables (by stored position). */
  private readonly dict: Uint8Array = new Uint8Array(0);
  /** Version 4 stored in another order than 0, 1, ...: the passage at each stored position, and each passage's position. */
  private readonly stored: Uint32Array | undefined;
  private readonly positions: Uint32Array | undefined;
  private readonly blocks: [BlockIndex, BlockIndex] | undefined;
  private readonly cache: [Map<number, DecodedBlock>, Map<number, DecodedBlock>] = [new Map(), new Map()];
  private readonly ids: string[];
  /** The last read-ahead of metadata parts, and the passage whose metadata was read last. */
  private window: { start: number; bytes: Buffer } | undefined;
  private lastMeta = -2;

  /**
   * @throws CorruptIndexError when the file is missing, not a regular file, truncated,
   *   altered or not a passage file, or its dictionary is longer than 32 KiB
   * @throws StorageError when the file system refuses to open or read it
   */
  constructor(readonly path: string) {
    const { fd, size } = openRegularFile(path);
    try {
      const fail = (what: string): never => {
        throw new CorruptIndexError(path, `${what}. The passage file is damaged or not a LEANN passage file; restore it or rebuild the index.`);
      };
      if (size < 16 + 48) fail(`file is ${size} bytes, too short for a passage file`);
      const pre = readAt(fd, 16, 0, path);
      if (pre.toString("latin1", 0, 8) !== PSG_MAGIC) fail(`magic is ${JSON.stringify(pre.toString("latin1", 0, 8))}, expected "${PSG_MAGIC}"`);
      const version = pre.readUInt32LE(8);
      const footerBytes = FOOTER_BYTES[version] ?? fail(`format version ${version} is not supported (this library reads 1 to 4); upgrade @leann/core`);
      if (size < 16 + footerBytes) fail(`file is ${size} bytes, too short for a passage file`);
      const foot = readAt(fd, footerBytes, size - footerBytes, path);
      if (foot.length !== footerBytes || foot.toString("latin1", 0, 8) !== PSG_END_MAGIC) fail("footer magic missing (the file was truncated or overwritten)");
      if (foot.readUInt32LE(44) !== version) fail(`footer version ${foot.readUInt32LE(44)} differs from the preamble's ${version}`);
      const n = foot.readDoubleLE(8), idsOffset = foot.readDoubleLE(16), idsLength = foot.readDoubleLE(24), tableOffset = foot.readDoubleLE(32);
      const blocked = version >= 3;
      const nt = blocked ? foot.readDoubleLE(64) : 0, nm = blocked ? foot.readDoubleLE(72) : 0;
      const dictLength = blocked ? foot.readUInt32LE(80) : 0;
      const orderLength = version >= 4 ? foot.readDoubleLE(88) : 0;
      const perPassage = version === 1 ? 12 : version === 2 ? TABLE_PER_PASSAGE : 0;
      if (dictLength > MAX_DICTIONARY_BYTES) fail(`dictionary states ${dictLength} bytes, more than the ${MAX_DICTIONARY_BYTES} DEFLATE can use`);
      // Every field an integer within the file before any allocation sized by it.
      const tableLength = blocked ? TABLE_PER_BLOCK * (nt + nm) : n * perPassage + 8;
      if (
        !Number.isSafeInteger(n) || n < 0 || n * perPassage > size || n > (version >= 4 ? maxIdsBytes(size) : blocked ? maxIdsBytes(idsLength) : idsLength) || !Number.isSafeInteger(idsOffset) || !Number.isSafeInteger(idsLength) || idsLength < 0 ||
        !Number.isSafeInteger(nt) || !Number.isSafeInteger(nm) || nt < 0 || nm < 0 || nt > n || nm > n || !Number.isSafeInteger(orderLength) || orderLength < 0 ||
        idsOffset < 16 + dictLength || idsOffset + idsLength + orderLength !== tableOffset || tableOffset + tableLength !== size - footerBytes
      ) {
        fail("footer fields are inconsistent with the file size");
      }
      const tail = readAt(fd, idsLength + orderLength + tableLength, idsOffset, path);
      const dict = dictLength > 0 ? readAt(fd, dictLength, 16, path) : new Uint8Array(0);
      if (tail.length !== idsLength + orderLength + tableLength || dict.length !== dictLength || crc32(tail, crc32(dict)) !== foot.readUInt32LE(40)) fail("checksum of the id table mismatch");
      // Copied into a fresh buffer: typed views need alignment.
      const tb = new Uint8Array(tableLength);
      tb.set(tail.subarray(idsLength + orderLength));
      if (blocked) {
        this.dict = dict;
        try {
          const area = { start: 16 + dictLength, end: idsOffset };
          this.blocks = [new BlockIndex(tb.buffer, nt, nm, 0, n, area), new BlockIndex(tb.buffer, nt, nm, 1, n, area)];
        } catch (err) {
          fail((err as Error).message);
        }
        this.starts = this.metaStarts = new Float64Array(0);
        this.textCrc = this.metaCrc = new Uint32Array(0);
      } else {
        this.starts = new Float64Array(tb.buffer, 0, n + 1);
        if (version === 1) {
          this.metaStarts = new Float64Array(0);
          this.textCrc = new Uint32Array(tb.buffer, (n + 1) * 8, n);
          this.metaCrc = new Uint32Array(0);
        } else {
          this.metaStarts = new Float64Array(tb.buffer, (n + 1) * 8, n);
          this.textCrc = new Uint32Array(tb.buffer, 16 * n + 8, n);
          this.metaCrc = new Uint32Array(tb.buffer, 20 * n + 8, n);
        }
        const s = this.starts, ms = this.metaStarts;
        if (s[0] !== 16 || s[n] !== idsOffset) fail("record table does not cover the records area");
        for (let i = 0; i < n; i++) {
          // Integers only: a fractional offset would reach readSync as an invalid position.
          if (!Number.isInteger(s[i + 1]) || !(s[i + 1]! >= s[i]!)) fail(`record ${i} has an invalid offset or a negative length`);
          if (version === 2 && (!Number.isInteger(ms[i]) || !(ms[i]! >= s[i]! && ms[i]! <= s[i + 1]!))) fail(`record ${i} has its metadata outside the record`);
        }
      }
      let idsBlock = tail.subarray(0, idsLength);
      if (blocked) {
        try {
          // Version 4 bounds the ids by the file (they may compress far more than 64:1), version 3 by their own bytes.
          const raw = decodeIds(idsBlock, maxIdsBytes(version >= 4 ? size : idsLength));
          // Each id takes at least one byte: more passages than bytes is damage, not an allocation.
          if (n > raw.length) fail(`id table of ${raw.length} bytes cannot hold ${n} ids`);
          // Version 4 front-codes them (front-coding.ts): expanded, they may take at most 64 times the file.
          idsBlock = version >= 4 ? expandFrontCoded(raw, n, maxIdsBytes(size)) : Buffer.from(raw.buffer, raw.byteOffset, raw.length);
        } catch (err) {
          if (err instanceof CorruptIndexError) throw err;
          fail(`id table is not valid (${(err as Error).message})`);
        }
      }
      let ids = readIds(idsBlock, n, fail);
      if (orderLength > 0) {
        // Bounded by n, itself bounded by the ids just decoded.
        try {
          this.positions = decodeOrder(tail.subarray(idsLength, idsLength + orderLength), n);
        } catch (err) {
          fail(`stored order is not valid (${(err as Error).message})`);
        }
        this.stored = invertOrder(this.positions!);
        const byNode: string[] = new Array(n);
        for (let p = 0; p < n; p++) byNode[this.stored![p]!] = ids[p]!;
        ids = byNode;
      }
      this.ids = ids;
      this.version = version;
      this.identity = version === 1 ? undefined : { uid: foot.toString("hex", 48, 64), crc32: foot.readUInt32LE(40) };
      this.count = n;
      this.bytes = size;
      this.fd = fd;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  id(i: number): string {
    return this.ids[i]!;
  }

  private fail(i: number, what: string): never {
    throw new CorruptIndexError(this.path, `passage ${i} (id ${JSON.stringify(this.ids[i])}): ${what}; restore the file or rebuild the index.`);
  }

  private read(i: number, start: number, end: number): Buffer {
    if (this.fd === undefined) throw new ClosedError(`The passage file ${this.path} was closed with the index; open the index again with LeannIndex.load.`);
    if (!(i >= 0 && i < this.count)) throw new RangeError(`internal: passage ${i} of ${this.count}`);
    const buf = readAt(this.fd, end - start, start, this.path);
    if (buf.length !== end - start) this.fail(i, "the file ends inside the record (truncated)");
    return buf;
  }

  private checked(i: number, part: Uint8Array, expected: number): Uint8Array {
    if (crc32(part) !== expected) this.fail(i, "checksum mismatch");
    return part;
  }

  /** Version 2: the parts of passage i as stored (checksums verified). */
  raw(i: number): StoredParts | undefined {
    if (this.version !== 2) return undefined;
    const start = this.starts[i]!, mid = this.metaStarts[i]!;
    const buf = this.read(i, start, this.starts[i + 1]!);
    return { text: this.checked(i, buf.subarray(0, mid - start), this.textCrc[i]!), meta: this.checked(i, buf.subarray(mid - start), this.metaCrc[i]!) };
  }

  dictionary(): Uint8Array | undefined {
    return this.version >= 3 ? this.dict : undefined;
  }

  order(): ArrayLike<number> | undefined {
    return this.stored;
  }

  /** Versions 3 and 4: block b of a kind as stored, checksum verified (passage i names it in errors). */
  private storedBytes(kind: 0 | 1, b: number, i: number): Uint8Array {
    const t = this.blocks![kind];
    const start = t.starts[b]!;
    return this.checked(i, this.read(i, start, start + t.lengths[b]!), t.crcs[b]!);
  }

  storedBlock(kind: 0 | 1, p: number): StoredBlock | undefined {
    if (this.version < 3) return undefined;
    const t = this.blocks![kind];
    const b = t.find(p);
    if (t.firsts[b] !== p) return undefined;
    return { bytes: this.storedBytes(kind, b, this.stored ? this.stored[p]! : p), crc: t.crcs[b]!, count: t.firsts[b + 1]! - p };
  }

  /** Versions 3 and 4: the bytes of passage i's text (kind 0) or metadata (kind 1), its block decoded or cached. */
  private entry(kind: 0 | 1, i: number): Uint8Array {
    const t = this.blocks![kind];
    const p = this.positions ? this.positions[i]! : i;
    const b = t.find(p);
    const cache = this.cache[kind];
    let block = cache.get(b);
    if (block) {
      cache.delete(b);
    } else {
      const stored = this.storedBytes(kind, b, i);
      block = this.decode(i, () => decodeBlock(stored, t.firsts[b + 1]! - t.firsts[b]!, kind === 0 ? this.dict : NO_DICTIONARY));
      if (cache.size >= CACHED_BLOCKS) cache.delete(cache.keys().next().value!);
    }
    if (block.raw.length <= MAX_CACHED_BLOCK) cache.set(b, block);
    return blockEntry(block, p - t.firsts[b]!);
  }

  private legacy(i: number): { text: string; metadata: Metadata } {
    const buf = this.checked(i, this.read(i, this.starts[i]!, this.starts[i + 1]!), this.textCrc[i]!);
    return this.decode(i, () => decodeLegacyRecord(buf));
  }

  private decode<T>(i: number, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      return this.fail(i, `text or metadata is not valid (${(err as Error).message})`);
    }
  }

  get(i: number): PassageRecord {
    if (this.version === 1) return { id: this.ids[i]!, ...this.legacy(i) };
    if (this.version >= 3) {
      const text = this.entry(0, i), meta = this.entry(1, i);
      return this.decode(i, () => ({ id: this.ids[i]!, text: decodeWtf8(text), metadata: parseMetadata(meta) }));
    }
    const { text, meta } = this.raw(i)!;
    return this.decode(i, () => ({ id: this.ids[i]!, text: decodeText(text), metadata: decodeMeta(meta) }));
  }

  metadata(i: number): Metadata {
    if (this.version === 1) return this.legacy(i).metadata;
    if (this.version >= 3) {
      const meta = this.entry(1, i);
      return this.decode(i, () => parseMetadata(meta));
    }
    const start = this.metaStarts[i]!, end = this.starts[i + 1]!;
    let part: Uint8Array;
    const w = this.window;
    if (w && start >= w.start && end <= w.start + w.bytes.length) part = w.bytes.subarray(start - w.start, end - w.start);
    else if (i === this.lastMeta + 1 && end - start < READ_AHEAD) {
      // Sequential reads (a filter scanning every passage): one read serves the next few dozen passages.
      const bytes = this.read(i, start, Math.min(this.starts[this.count]!, start + READ_AHEAD));
      this.window = { start, bytes };
      part = bytes.subarray(0, end - start);
    } else part = this.read(i, start, end);
    this.lastMeta = i;
    this.checked(i, part, this.metaCrc[i]!);
    return this.decode(i, () => decodeMeta(part));
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.window = undefined;
    this.cache[0].clear();
    this.cache[1].clear();
  }
}

/** The ids block: per passage a varint length and the WTF-8 id. */
function readIds(block: Buffer, n: number, fail: (what: string) => never): string[] {
  const ids: string[] = new Array(n);
  // Plain UTF-8 (the usual case) decodes without a view per id; ids with lone surrogates need WTF-8.
  const surrogates = hasSurrogate(block);
  let p = 0;
  for (let i = 0; i < n; i++) {
    let len = 0, shift = 1, b: number;
    do {
      if (p >= block.length || shift > 2 ** 49) fail("id table ends early");
      b = block[p++]!;
      len += (b & 0x7f) * shift;
      shift *= 128;
    } while (b & 0x80);
    if (p + len > block.length) fail("id table ends early");
    if (!surrogates) ids[i] = block.toString("utf8", p, p + len);
    else {
      try {
        ids[i] = decodeWtf8(block.subarray(p, p + len));
      } catch (err) {
        fail(`id ${i} is not valid text (${(err as Error).message})`);
      }
    }
    p += len;
  }
  return ids;
}

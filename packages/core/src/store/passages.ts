import { closeSync } from "node:fs";
import { ClosedError, CorruptIndexError } from "../errors.js";
import { openRegularFile, readAt } from "../format/read.js";
import { crc32 } from "../util/crc32.js";
import { varintSize } from "../util/varint.js";
import { decodeWtf8, encodeWtf8, hasSurrogate } from "../util/wtf8.js";
import { FOOTER_BYTES, PSG_END_MAGIC, PSG_MAGIC, type PassageFileIdentity } from "./passage-file.js";
import { decodeLegacyRecord, decodeMeta, decodeText, encodeMetaPart, encodeTextPart, type Metadata } from "./record-codec.js";

export type { Metadata } from "./record-codec.js";
export { encodePassageFile, writePassageFile, type PassageFileIdentity } from "./passage-file.js";

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

/** Passages by internal id, with random access to one at a time. */
export interface PassageStore {
  readonly count: number;
  id(i: number): string;
  get(i: number): PassageRecord;
  /** The metadata of passage i alone: a filter reads no text. */
  metadata(i: number): Metadata;
  /** Bytes this store takes on disk (or would take, for one in memory). */
  readonly bytes: number;
  /** Bytes passage i takes in the file (or would take), when the store can tell without a rewrite. */
  storedBytes?(i: number): number;
  /** The parts as stored (checksums verified), when this store has them: saves copy them as they are. */
  raw?(i: number): StoredParts | undefined;
  close(): void;
}

/** Bytes read at once when metadata is read passage after passage. */
const READ_AHEAD = 64 * 1024;
/** Table bytes per passage in a version-2 file: two f64 offsets and two u32 checksums. */
const TABLE_PER_PASSAGE = 24;

export class MemoryPassageStore implements PassageStore {
  constructor(private readonly records: PassageRecord[]) {}
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
  /** Bytes of each record as a file stores it, and their sum: measured once (the records never change). */
  private sized: { each: number[]; total: number } | null = null;
  private measured(): { each: number[]; total: number } {
    if (!this.sized) {
      const each = this.records.map(recordBytes);
      this.sized = { each, total: each.reduce((a, b) => a + b, 0) };
    }
    return this.sized;
  }
  storedBytes(i: number): number {
    return this.measured().each[i]!;
  }
  get bytes(): number {
    return 16 + FOOTER_BYTES[2]! + 8 + this.measured().total;
  }
  close(): void {}
}

/** Bytes one passage takes in a version-2 file (parts, id, table entries). */
export function recordBytes(r: PassageRecord): number {
  const id = encodeWtf8(r.id).length;
  return encodeTextPart(r.text, r.id).length + encodeMetaPart(r.metadata, r.id).length + varintSize(id) + id + TABLE_PER_PASSAGE;
}

/**
 * A passage file opened for random access: reads the footer, ids and table (about 24 bytes
 * plus the id per passage); a part is read, and its checksum verified, only when asked for.
 * Reads versions 1 and 2.
 */
export class FilePassageStore implements PassageStore {
  readonly count: number;
  readonly bytes: number;
  readonly version: number;
  /** The file id and checksum (version 2), to compare with what the index file recorded. */
  readonly identity: PassageFileIdentity | undefined;
  private fd: number | undefined;
  /** Record i spans starts[i]..starts[i+1]; in version 2 its metadata part begins at metaStarts[i]. */
  private readonly starts: Float64Array;
  private readonly metaStarts: Float64Array;
  private readonly textCrc: Uint32Array;
  private readonly metaCrc: Uint32Array;
  private readonly ids: string[];
  /** The last read-ahead of metadata parts, and the passage whose metadata was read last. */
  private window: { start: number; bytes: Buffer } | undefined;
  private lastMeta = -2;

  /**
   * @throws CorruptIndexError when the file is missing, not a regular file, truncated,
   *   altered or not a passage file
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
      const footerBytes = FOOTER_BYTES[version] ?? fail(`format version ${version} is not supported (this library reads 1 and 2); upgrade @leann/core`);
      if (size < 16 + footerBytes) fail(`file is ${size} bytes, too short for a passage file`);
      const foot = readAt(fd, footerBytes, size - footerBytes, path);
      if (foot.length !== footerBytes || foot.toString("latin1", 0, 8) !== PSG_END_MAGIC) fail("footer magic missing (the file was truncated or overwritten)");
      if (foot.readUInt32LE(44) !== version) fail(`footer version ${foot.readUInt32LE(44)} differs from the preamble's ${version}`);
      const n = foot.readDoubleLE(8), idsOffset = foot.readDoubleLE(16), idsLength = foot.readDoubleLE(24), tableOffset = foot.readDoubleLE(32);
      const perPassage = version === 1 ? 12 : TABLE_PER_PASSAGE;
      // Every field an integer within the file before any allocation sized by it.
      if (
        !Number.isSafeInteger(n) || n < 0 || n * perPassage > size || !Number.isSafeInteger(idsOffset) || !Number.isSafeInteger(idsLength) || idsLength < 0 ||
        idsOffset < 16 || idsOffset + idsLength !== tableOffset || tableOffset + n * perPassage + 8 !== size - footerBytes
      ) {
        fail("footer fields are inconsistent with the file size");
      }
      const tableLength = n * perPassage + 8;
      const tail = readAt(fd, idsLength + tableLength, idsOffset, path);
      if (tail.length !== idsLength + tableLength || crc32(tail) !== foot.readUInt32LE(40)) fail("checksum of the id table mismatch");
      // Copied into a fresh buffer: typed views need alignment.
      const tb = new Uint8Array(tableLength);
      tb.set(tail.subarray(idsLength));
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
      this.ids = new Array(n);
      // Plain UTF-8 (the usual case) decodes without a view per id; ids with lone surrogates need WTF-8.
      const surrogates = hasSurrogate(tail.subarray(0, idsLength));
      let p = 0;
      for (let i = 0; i < n; i++) {
        let len = 0, shift = 1, b: number;
        do {
          if (p >= idsLength || shift > 2 ** 49) fail("id table ends early");
          b = tail[p++]!;
          len += (b & 0x7f) * shift;
          shift *= 128;
        } while (b & 0x80);
        if (p + len > idsLength) fail("id table ends early");
        if (!surrogates) this.ids[i] = tail.toString("utf8", p, p + len);
        else {
          try {
            this.ids[i] = decodeWtf8(tail.subarray(p, p + len));
          } catch (err) {
            fail(`id ${i} is not valid text (${(err as Error).message})`);
          }
        }
        p += len;
      }
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

  raw(i: number): StoredParts | undefined {
    if (this.version === 1) return undefined;
    const start = this.starts[i]!, mid = this.metaStarts[i]!;
    const buf = this.read(i, start, this.starts[i + 1]!);
    return { text: this.checked(i, buf.subarray(0, mid - start), this.textCrc[i]!), meta: this.checked(i, buf.subarray(mid - start), this.metaCrc[i]!) };
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
    const { text, meta } = this.raw(i)!;
    return this.decode(i, () => ({ id: this.ids[i]!, text: decodeText(text), metadata: decodeMeta(meta) }));
  }

  metadata(i: number): Metadata {
    if (this.version === 1) return this.legacy(i).metadata;
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

  /** Bytes passage i takes in a version-2 file written from this one (no I/O). */
  storedBytes(i: number): number {
    const id = encodeWtf8(this.ids[i]!).length;
    const parts = this.version === 1 ? undefined : this.starts[i + 1]! - this.starts[i]!;
    return parts === undefined ? recordBytes(this.get(i)) : parts + varintSize(id) + id + TABLE_PER_PASSAGE;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.window = undefined;
  }
}

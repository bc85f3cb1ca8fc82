import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { ClosedError, CorruptIndexError } from "../errors.js";
import { crc32 } from "../util/crc32.js";
import { varintSize, writeVarint } from "../util/varint.js";

/** JSON-serialisable metadata of a passage. */
export type Metadata = Record<string, unknown>;

export interface PassageRecord {
  id: string;
  text: string;
  metadata: Metadata;
}

/** Passages by internal id, with random access to one at a time. */
export interface PassageStore {
  readonly count: number;
  id(i: number): string;
  get(i: number): PassageRecord;
  /** Bytes this store takes on disk (or would take, for one in memory). */
  readonly bytes: number;
  /** The encoded record as stored (checksum verified), when this store has it: saves copy it as is. */
  raw?(i: number): Uint8Array | undefined;
  close(): void;
}

/**
 * One record: a varint header h = 2 * (UTF-8 text length) + compressed, then the payload:
 * the text followed by the metadata JSON (empty when there is none), as is or, when that
 * is smaller, compressed with raw DEFLATE. English prose shrinks to about half.
 */
export function encodeRecord(r: { text: string; metadata: Metadata }): Uint8Array {
  const text = enc.encode(r.text);
  const meta = enc.encode(metaJson(r.metadata));
  const plain = new Uint8Array(text.length + meta.length);
  plain.set(text, 0);
  plain.set(meta, text.length);
  let payload: Uint8Array = plain;
  let flag = 0;
  if (plain.length >= MIN_COMPRESS) {
    const z = deflateRawSync(plain);
    if (z.length + 1 < plain.length) {
      payload = z;
      flag = 1;
    }
  }
  const h = text.length * 2 + flag;
  const out = new Uint8Array(varintSize(h) + payload.length);
  out.set(payload, writeVarint(out, 0, h));
  return out;
}

/** Decodes a record (its checksum already verified); throws a plain Error when malformed. */
export function decodeRecord(buf: Uint8Array): { text: string; metadata: Metadata } {
  let h = 0, shift = 1, p = 0, b: number;
  do {
    if (p >= buf.length) throw new Error("record header ends early");
    b = buf[p++]!;
    h += (b & 0x7f) * shift;
    shift *= 128;
  } while (b & 0x80);
  const tl = Math.floor(h / 2);
  const body = h % 2 === 1 ? inflateRawSync(buf.subarray(p)) : buf.subarray(p);
  if (tl > body.length) throw new Error("text runs past the record");
  const text = dec.decode(body.subarray(0, tl));
  const metadata = tl < body.length ? (JSON.parse(dec.decode(body.subarray(tl))) as Metadata) : {};
  return { text, metadata };
}

/** Records shorter than this are stored as they are (DEFLATE rarely pays below it). */
const MIN_COMPRESS = 96;

/**
 * The passage file (`passages.<generation>.leann`):
 *
 *   16-byte preamble: magic "LEANNPSG", u32 version, u32 reserved
 *   records: per passage, varint text length, UTF-8 text, UTF-8 metadata JSON (may be empty)
 *   ids block: per passage, varint length + UTF-8 id
 *   table: f64 record offsets (count + 1), then u32 CRC-32 of each record
 *   48-byte footer: magic "LEANNEND", f64 count, f64 ids offset, f64 ids length,
 *                   f64 table offset, u32 CRC-32 of ids block + table, u32 version
 *
 * Opening reads only the footer, ids and table; a record is read (and its checksum
 * verified) when asked for.
 */
const MAGIC = "LEANNPSG";
const END_MAGIC = "LEANNEND";
const VERSION = 1;
const FOOTER = 48;
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

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
  get bytes(): number {
    let b = 16 + FOOTER;
    for (const r of this.records) {
      const id = Buffer.byteLength(r.id);
      b += encodeRecord(r).length + varintSize(id) + id + 12;
    }
    return b + 8;
  }
  close(): void {}
}

function metaJson(m: Metadata): string {
  return m && Object.keys(m).length > 0 ? JSON.stringify(m) : "";
}

/** Serialises passages 0..count-1 of `src` as the chunks of a passage file. */
export function encodePassageFile(src: PassageStore): Uint8Array[] {
  const n = src.count;
  const chunks: Uint8Array[] = [];
  const pre = Buffer.alloc(16);
  pre.write(MAGIC, 0, "latin1");
  pre.writeUInt32LE(VERSION, 8);
  chunks.push(pre);
  const offsets = new Float64Array(n + 1);
  const crcs = new Uint32Array(n);
  let pos = 16;
  let block = Buffer.alloc(1 << 20);
  let used = 0;
  const flush = () => {
    if (used > 0) chunks.push(block.subarray(0, used));
    block = Buffer.alloc(1 << 20);
    used = 0;
  };
  const idParts: Uint8Array[] = [];
  let idBytes = 0;
  for (let i = 0; i < n; i++) {
    // Records already stored are copied as they are (no re-encoding, no recompression).
    const rec = src.raw?.(i) ?? encodeRecord(src.get(i));
    const size = rec.length;
    if (used + size > block.length) {
      flush();
      if (size > block.length) block = Buffer.alloc(size);
    }
    block.set(rec, used);
    used += size;
    crcs[i] = crc32(rec);
    offsets[i] = pos;
    pos += size;
    const id = enc.encode(src.id(i));
    const idRec = new Uint8Array(varintSize(id.length) + id.length);
    idRec.set(id, writeVarint(idRec, 0, id.length));
    idParts.push(idRec);
    idBytes += idRec.length;
  }
  offsets[n] = pos;
  flush();
  const ids = new Uint8Array(idBytes);
  let o = 0;
  for (const p of idParts) {
    ids.set(p, o);
    o += p.length;
  }
  const idsOffset = pos;
  const tableOffset = idsOffset + idBytes;
  const table = new Uint8Array(offsets.byteLength + crcs.byteLength);
  table.set(new Uint8Array(offsets.buffer), 0);
  table.set(new Uint8Array(crcs.buffer), offsets.byteLength);
  const footer = Buffer.alloc(FOOTER);
  footer.write(END_MAGIC, 0, "latin1");
  footer.writeDoubleLE(n, 8);
  footer.writeDoubleLE(idsOffset, 16);
  footer.writeDoubleLE(idBytes, 24);
  footer.writeDoubleLE(tableOffset, 32);
  footer.writeUInt32LE(crc32(table, crc32(ids)), 40);
  footer.writeUInt32LE(VERSION, 44);
  chunks.push(ids, table, footer);
  return chunks;
}

function readExact(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const r = readSync(fd, buf, got, length - got, position + got);
    if (r === 0) break;
    got += r;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/** A passage file opened for random access. */
export class FilePassageStore implements PassageStore {
  readonly count: number;
  readonly bytes: number;
  private fd: number | undefined;
  private readonly offsets: Float64Array;
  private readonly crcs: Uint32Array;
  private readonly ids: string[];

  /** @throws CorruptIndexError when the file is truncated, altered or not a passage file. */
  constructor(readonly path: string) {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const fail = (what: string): never => {
        throw new CorruptIndexError(path, `${what}. The passage file is damaged or not a LEANN passage file; restore it or rebuild the index.`);
      };
      if (size < 16 + FOOTER) fail(`file is ${size} bytes, too short for a passage file`);
      const pre = readExact(fd, 16, 0);
      if (pre.toString("latin1", 0, 8) !== MAGIC) fail(`magic is ${JSON.stringify(pre.toString("latin1", 0, 8))}, expected "${MAGIC}"`);
      if (pre.readUInt32LE(8) !== VERSION) fail(`format version ${pre.readUInt32LE(8)} is not supported (expected ${VERSION})`);
      const foot = readExact(fd, FOOTER, size - FOOTER);
      if (foot.toString("latin1", 0, 8) !== END_MAGIC) fail("footer magic missing (the file was truncated or overwritten)");
      if (foot.readUInt32LE(44) !== VERSION) fail(`footer version ${foot.readUInt32LE(44)} differs from the preamble's ${VERSION}`);
      const n = foot.readDoubleLE(8), idsOffset = foot.readDoubleLE(16), idsLength = foot.readDoubleLE(24), tableOffset = foot.readDoubleLE(32);
      const tableLength = (n + 1) * 8 + n * 4;
      if (
        !Number.isSafeInteger(n) || n < 0 || !Number.isSafeInteger(idsOffset) || !Number.isSafeInteger(idsLength) ||
        idsOffset < 16 || idsOffset + idsLength !== tableOffset || tableOffset + tableLength !== size - FOOTER
      ) {
        fail("footer fields are inconsistent with the file size");
      }
      const tail = readExact(fd, idsLength + tableLength, idsOffset);
      if (crc32(tail) !== foot.readUInt32LE(40)) fail("checksum of the id table mismatch");
      const table = tail.subarray(idsLength);
      const tb = new Uint8Array(tableLength);
      tb.set(table);
      this.offsets = new Float64Array(tb.buffer, 0, n + 1);
      this.crcs = new Uint32Array(tb.buffer, (n + 1) * 8, n);
      if (this.offsets[0] !== 16 || this.offsets[n] !== idsOffset) fail("record table does not cover the records area");
      for (let i = 0; i < n; i++) if (!(this.offsets[i + 1]! >= this.offsets[i]!)) fail(`record ${i} has a negative length`);
      this.ids = new Array(n);
      let p = 0;
      for (let i = 0; i < n; i++) {
        let len = 0, shift = 1, b: number;
        do {
          if (p >= idsLength) fail("id table ends early");
          b = tail[p++]!;
          len += (b & 0x7f) * shift;
          shift *= 128;
        } while (b & 0x80);
        if (p + len > idsLength) fail("id table ends early");
        this.ids[i] = tail.toString("utf8", p, p + len);
        p += len;
      }
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

  raw(i: number): Uint8Array {
    if (this.fd === undefined) throw new ClosedError(`The passage file ${this.path} was closed with the index; open the index again with LeannIndex.load.`);
    const start = this.offsets[i]!, len = this.offsets[i + 1]! - start;
    const buf = readExact(this.fd, len, start);
    if (buf.length !== len || crc32(buf) !== this.crcs[i]) this.fail(i, "checksum mismatch");
    return buf;
  }

  get(i: number): PassageRecord {
    const buf = this.raw(i);
    try {
      return { id: this.ids[i]!, ...decodeRecord(buf) };
    } catch (err) {
      return this.fail(i, `text or metadata is not valid (${(err as Error).message})`);
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

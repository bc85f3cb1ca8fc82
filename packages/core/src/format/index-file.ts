import { MAX_COMPONENT } from "../embedder.js";
import { CorruptIndexError, InvalidInputError } from "../errors.js";
import type { PassageFileIdentity } from "../store/passage-file.js";
import { crc32 } from "../util/crc32.js";
import { readRegularFile } from "./read.js";

/**
 * The index file (`index.<generation>.leann`): every structure but the passages.
 *
 *   offset 0   8 bytes  magic "LEANNIDX"
 *   offset 8   u32      format version
 *   offset 12  u32      header length H (bytes of UTF-8 JSON)
 *   offset 16  u32      CRC-32 of the header
 *   offset 20  H bytes  header JSON (see IndexHeader), then zero padding to 8 bytes
 *   sections, each 8-byte aligned, listed in the header with offset, length, CRC-32
 *
 * All integers little-endian. docs/format.md is the full description.
 */
export const INDEX_MAGIC = "LEANNIDX";
export const FORMAT_VERSION = 1;

export type SectionType = "u8" | "u32" | "f32" | "f16";

export interface SectionEntry {
  name: string;
  type: SectionType;
  offset: number;
  length: number;
  crc32: number;
}

export interface IndexHeader {
  format: "leann-index";
  version: number;
  /** Live and deleted nodes (internal ids 0..count-1). */
  count: number;
  dims: number;
  metric: "cosine" | "ip" | "l2";
  /** Identity of the embedding model the index was built with, when known. */
  model: string | null;
  params: Record<string, number | string | boolean>;
  pq: { subspaces: number; bits: 4 | 8 };
  entry: number;
  createdAt: string;
  generator: string;
  /**
   * The passage file saved with this index (its random id and checksum). Absent in files
   * written before it existed: those are tied to their passage file by the count only.
   */
  passages?: PassageFileIdentity;
  sections: SectionEntry[];
}

/** Uint16Array sections hold IEEE half-precision floats ("f16"). */
export type SectionData = Uint8Array | Uint16Array | Uint32Array | Float32Array;

const align8 = (x: number) => (x + 7) & ~7;

/** A section described by its element type and length alone: enough to size a file. */
export interface SectionShape {
  type: SectionType;
  byteLength: number;
}

function typeOf(a: SectionData | SectionShape): SectionType {
  if (!ArrayBuffer.isView(a)) return a.type;
  return a instanceof Uint32Array ? "u32" : a instanceof Float32Array ? "f32" : a instanceof Uint16Array ? "f16" : "u8";
}

function bytesOf(a: SectionData): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * The size `encodeIndexFile(header, sections)` would write, without checksumming or copying
 * the sections: what `sizes()` reports after every change. Checksums are counted at their
 * longest decimal form, so this is the written size or at most a few bytes more.
 */
export function indexFileSize(header: Omit<IndexHeader, "sections" | "format" | "version">, sections: Record<string, SectionData | SectionShape>): number {
  const names = Object.keys(sections);
  let headerLen = 0;
  let pos = 0;
  for (let round = 0; round < 4; round++) {
    pos = align8(20 + headerLen);
    const entries = names.map((name) => {
      const data = sections[name]!;
      const e: SectionEntry = { name, type: typeOf(data), offset: pos, length: data.byteLength, crc32: 0xffffffff };
      pos = align8(pos + data.byteLength);
      return e;
    });
    const len = Buffer.byteLength(JSON.stringify({ format: "leann-index", version: FORMAT_VERSION, ...header, sections: entries }));
    if (len === headerLen) break;
    headerLen = len;
  }
  return pos;
}

/**
 * Serialises a header and its sections into the chunks of one file.
 * @throws InvalidInputError when a float section holds NaN or an infinity (vectors beyond
 *   the half-precision range overflow the codebooks): such a file could never be loaded
 */
export function encodeIndexFile(header: Omit<IndexHeader, "sections" | "format" | "version">, sections: Record<string, SectionData>): Uint8Array[] {
  const names = Object.keys(sections);
  for (const name of names) {
    const data = sections[name]!;
    const type = typeOf(data);
    if (type !== "f32" && type !== "f16") continue;
    try {
      checkFinite("index", name, bytesOf(data), type);
    } catch {
      throw new InvalidInputError(
        `The index cannot be saved: its "${name}" holds NaN or infinite values. Vectors given to build must stay within ±${MAX_COMPONENT} (half precision); rebuild with normalised or scaled vectors.`,
      );
    }
  }
  // The header's length depends on the section offsets, which depend on the header's
  // length: iterate until stable (twice is enough in practice).
  let headerLen = 0;
  let entries: SectionEntry[] = [];
  let json = "";
  for (let round = 0; round < 4; round++) {
    let pos = align8(20 + headerLen);
    entries = names.map((name) => {
      const data = sections[name]!;
      const e: SectionEntry = { name, type: typeOf(data), offset: pos, length: data.byteLength, crc32: crc32(bytesOf(data)) };
      pos = align8(pos + data.byteLength);
      return e;
    });
    json = JSON.stringify({ format: "leann-index", version: FORMAT_VERSION, ...header, sections: entries });
    const len = Buffer.byteLength(json);
    if (len === headerLen) break;
    headerLen = len;
  }
  const head = Buffer.alloc(align8(20 + headerLen));
  head.write(INDEX_MAGIC, 0, "latin1");
  head.writeUInt32LE(FORMAT_VERSION, 8);
  head.writeUInt32LE(headerLen, 12);
  const jsonBytes = Buffer.from(json);
  head.writeUInt32LE(crc32(jsonBytes), 16);
  jsonBytes.copy(head, 20);
  const chunks: Uint8Array[] = [head];
  let pos = head.length;
  for (let i = 0; i < names.length; i++) {
    const e = entries[i]!;
    if (e.offset !== pos) throw new Error("internal: section layout drifted");
    const b = bytesOf(sections[names[i]!]!);
    chunks.push(b);
    pos += b.byteLength;
    const pad = align8(pos) - pos;
    if (pad) {
      chunks.push(new Uint8Array(pad));
      pos += pad;
    }
  }
  return chunks;
}

export interface DecodedIndexFile {
  header: IndexHeader;
  sections: Map<string, SectionData>;
}

function failer(file: string) {
  return (what: string): never => {
    throw new CorruptIndexError(file, `${what}. The file is damaged or not a LEANN index; restore it from a backup or rebuild the index.`);
  };
}

/**
 * Parses and verifies the preamble and header of an index file (not its sections).
 * @throws CorruptIndexError naming `file` for any damage
 */
export function indexHeader(file: string, buf: Uint8Array): IndexHeader {
  const fail = failer(file);
  if (buf.byteLength < 20) fail(`file is ${buf.byteLength} bytes, shorter than the 20-byte preamble`);
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.toString("latin1", 0, 8) !== INDEX_MAGIC) fail(`magic is ${JSON.stringify(view.toString("latin1", 0, 8))}, expected "${INDEX_MAGIC}"`);
  const version = view.readUInt32LE(8);
  if (version !== FORMAT_VERSION) {
    throw new CorruptIndexError(file, `format version ${version} is not supported (this library reads version ${FORMAT_VERSION}); upgrade @leann/core or rebuild the index.`);
  }
  const headerLen = view.readUInt32LE(12);
  if (20 + headerLen > buf.byteLength) fail(`header length ${headerLen} runs past the end of the file (${buf.byteLength} bytes)`);
  const jsonBytes = buf.subarray(20, 20 + headerLen);
  if (crc32(jsonBytes) !== view.readUInt32LE(16)) fail("header checksum mismatch");
  let header: IndexHeader;
  try {
    header = JSON.parse(Buffer.from(jsonBytes).toString("utf8")) as IndexHeader;
  } catch {
    return fail("header is not valid JSON");
  }
  if (typeof header !== "object" || header === null || header.format !== "leann-index" || !Array.isArray(header.sections)) fail("header does not describe a LEANN index");
  return header;
}

/** Parses and verifies an index file; any damage raises CorruptIndexError naming `file`. */
export function decodeIndexFile(file: string, buf: Uint8Array): DecodedIndexFile {
  const fail = failer(file);
  const header = indexHeader(file, buf);
  const sections = new Map<string, SectionData>();
  for (const e of header.sections) {
    if (typeof e !== "object" || e === null || typeof e.name !== "string") fail("section table is malformed");
    if (!Number.isSafeInteger(e.offset) || !Number.isSafeInteger(e.length) || e.offset < 0 || e.length < 0 || e.offset + e.length > buf.byteLength) {
      fail(`section "${e.name}" (offset ${e.offset}, ${e.length} bytes) lies outside the file (${buf.byteLength} bytes)`);
    }
    const width = e.type === "u8" ? 1 : e.type === "f16" ? 2 : 4;
    if (e.length % width !== 0 || !["u8", "u32", "f32", "f16"].includes(e.type)) fail(`section "${e.name}" has a bad type or length`);
    // Copy into a fresh, aligned buffer: typed views need alignment, and the copy lets
    // the file buffer be freed.
    const bytes = new Uint8Array(buf.subarray(e.offset, e.offset + e.length));
    if (crc32(bytes) !== e.crc32) fail(`section "${e.name}" checksum mismatch`);
    if (e.type === "f32" || e.type === "f16") checkFinite(file, e.name, bytes, e.type);
    const data =
      e.type === "u8"
        ? bytes
        : e.type === "u32"
          ? new Uint32Array(bytes.buffer, 0, e.length / 4)
          : e.type === "f16"
            ? new Uint16Array(bytes.buffer, 0, e.length / 2)
            : new Float32Array(bytes.buffer, 0, e.length / 4);
    sections.set(e.name, data);
  }
  return { header, sections };
}

/**
 * Float sections (codebooks, stored vectors) must hold finite numbers: one NaN makes every
 * score it touches NaN, which sorts unpredictably and hides exact matches.
 */
function checkFinite(file: string, name: string, bytes: Uint8Array, type: "f32" | "f16"): void {
  if (type === "f16") {
    const h = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
    // Exponent all ones: infinity or NaN.
    for (let i = 0; i < h.length; i++) if ((h[i]! & 0x7c00) === 0x7c00) bad(file, name, i);
  } else {
    const f = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    for (let i = 0; i < f.length; i++) if (!Number.isFinite(f[i])) bad(file, name, i);
  }
}

function bad(file: string, name: string, i: number): never {
  throw new CorruptIndexError(file, `section "${name}" holds a NaN or infinite value at element ${i}. The file is damaged; restore it from a backup or rebuild the index.`);
}

/**
 * Reads an index file: only a regular file, and no more than fstat reports (a FIFO or a
 * link to /dev/zero is refused before any read).
 * @throws CorruptIndexError when the file is missing, not a regular file or over 2 GiB
 * @throws StorageError when the file system refuses the read
 */
export function readIndexFile(path: string): Buffer {
  return readRegularFile(path);
}

/**
 * Checks that `passages` is the passage file the index file was saved with.
 * @throws CorruptIndexError naming the passage file when it belongs to another index or
 *   another save (its id or checksum differs from the one the index file recorded)
 */
export function checkPassagePairing(header: Pick<IndexHeader, "passages">, passagesFile: string, passages: PassageFileIdentity | undefined): void {
  const want = header.passages;
  if (want === undefined) return;
  if (typeof want !== "object" || want === null || typeof want.uid !== "string") {
    throw new CorruptIndexError(passagesFile, "cannot be matched: the index file's record of its passage file is malformed. Restore the index or rebuild it.");
  }
  if (!passages || passages.uid !== want.uid || passages.crc32 !== want.crc32) {
    throw new CorruptIndexError(
      passagesFile,
      `belongs to another index or another save: the index file expects passage file ${want.uid} (checksum ${want.crc32}), ` +
        `this one is ${passages ? `${passages.uid} (checksum ${passages.crc32})` : "a version-1 file without an id"}. Restore the matching passage file or rebuild the index.`,
    );
  }
}

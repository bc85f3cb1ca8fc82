import { randomBytes } from "node:crypto";
import { writeFileAtomic } from "../format/atomic.js";
import { crc32 } from "../util/crc32.js";
import { varintSize, writeVarint } from "../util/varint.js";
import { encodeWtf8 } from "../util/wtf8.js";
import { encodeMetaPart, encodeTextPart } from "./record-codec.js";
import type { PassageStore } from "./passages.js";

/**
 * The passage file (`passages.<generation>.leann`), version 2:
 *
 *   16-byte preamble: magic "LEANNPSG", u32 version, u32 reserved
 *   records: per passage, its text part then its metadata part (empty when it has none);
 *            a part is a varint h = 2 * (byte length) + compressed, then the bytes, as they
 *            are or raw DEFLATE. Text is WTF-8 (every JS string round-trips), metadata JSON.
 *   ids block: per passage, varint length + WTF-8 id
 *   table: f64 record starts (count + 1), f64 metadata starts (count),
 *          u32 CRC-32 of each text part (count), u32 CRC-32 of each metadata part (count)
 *   64-byte footer: magic "LEANNEND", f64 count, f64 ids offset, f64 ids length,
 *                   f64 table offset, u32 CRC-32 of ids block + table, u32 version,
 *                   16-byte random file id
 *
 * Metadata apart from text lets a filter read and check only the metadata. The file id
 * and the footer checksum are recorded in the index file that uses this passage file, so a
 * passage file of another index or another save is refused. Version 1 (48-byte footer, text
 * and metadata in one part, no file id) is still read.
 */
export const PSG_MAGIC = "LEANNPSG";
export const PSG_END_MAGIC = "LEANNEND";
export const PSG_VERSION = 2;
export const FOOTER_BYTES: Record<number, number> = { 1: 48, 2: 64 };

/** What ties an index file to the passage file it was saved with. */
export interface PassageFileIdentity {
  /** 32 hex digits, random for each passage file written. */
  uid: string;
  /** CRC-32 of the ids block and the table (which holds every record's checksum). */
  crc32: number;
}

/** Bytes written per chunk: records are gathered into blocks of this size. */
const BLOCK = 1 << 20;

/**
 * Serialises passages 0..count-1 of `src` as the chunks of a passage file, lazily: records
 * are produced one block at a time, so writing a file holds about one block plus the
 * per-passage table (24 bytes a passage) and ids in memory, never the whole file. Records
 * already stored (version 2 sources) are copied byte for byte. `onDone` receives the
 * file's identity once the last chunk is produced.
 * @throws InvalidInputError (while iterating) for a text or metadata beyond MAX_PART_BYTES
 */
export function* encodePassageFile(src: PassageStore, onDone?: (identity: PassageFileIdentity) => void): Generator<Uint8Array> {
  const n = src.count;
  const uid = randomBytes(16);
  const pre = Buffer.alloc(16);
  pre.write(PSG_MAGIC, 0, "latin1");
  pre.writeUInt32LE(PSG_VERSION, 8);
  yield pre;
  const starts = new Float64Array(n + 1), metaStarts = new Float64Array(n);
  const textCrc = new Uint32Array(n), metaCrc = new Uint32Array(n);
  let pos = 16;
  let block = Buffer.allocUnsafe(BLOCK);
  let used = 0;
  let ids = Buffer.allocUnsafe(Math.max(64, n * 16));
  let idBytes = 0;
  for (let i = 0; i < n; i++) {
    const stored = src.raw?.(i);
    let text: Uint8Array, meta: Uint8Array;
    if (stored) ({ text, meta } = stored);
    else {
      const r = src.get(i);
      text = encodeTextPart(r.text, r.id);
      meta = encodeMetaPart(r.metadata, r.id);
    }
    starts[i] = pos;
    metaStarts[i] = pos + text.length;
    textCrc[i] = crc32(text);
    metaCrc[i] = crc32(meta);
    pos += text.length + meta.length;
    for (const part of [text, meta]) {
      if (used + part.length > BLOCK) {
        if (used > 0) yield block.subarray(0, used);
        block = Buffer.allocUnsafe(BLOCK);
        used = 0;
      }
      if (part.length > BLOCK) yield part;
      else {
        block.set(part, used);
        used += part.length;
      }
    }
    const id = encodeWtf8(src.id(i));
    const need = idBytes + varintSize(id.length) + id.length;
    if (need > ids.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, ids.length * 2));
      ids.copy(grown, 0, 0, idBytes);
      ids = grown;
    }
    idBytes = writeVarint(ids, idBytes, id.length);
    ids.set(id, idBytes);
    idBytes += id.length;
  }
  starts[n] = pos;
  if (used > 0) yield block.subarray(0, used);
  const idsBlock = ids.subarray(0, idBytes);
  const table = Buffer.allocUnsafe(24 * n + 8);
  table.set(new Uint8Array(starts.buffer), 0);
  table.set(new Uint8Array(metaStarts.buffer), 8 * (n + 1));
  table.set(new Uint8Array(textCrc.buffer), 16 * n + 8);
  table.set(new Uint8Array(metaCrc.buffer), 20 * n + 8);
  const crc = crc32(table, crc32(idsBlock));
  const footer = Buffer.alloc(FOOTER_BYTES[PSG_VERSION]!);
  footer.write(PSG_END_MAGIC, 0, "latin1");
  footer.writeDoubleLE(n, 8);
  footer.writeDoubleLE(pos, 16);
  footer.writeDoubleLE(idBytes, 24);
  footer.writeDoubleLE(pos + idBytes, 32);
  footer.writeUInt32LE(crc, 40);
  footer.writeUInt32LE(PSG_VERSION, 44);
  uid.copy(footer, 48);
  yield idsBlock;
  yield table;
  yield footer;
  onDone?.({ uid: uid.toString("hex"), crc32: crc });
}

/**
 * Writes the passage file atomically, streaming it, and returns its identity (to record
 * in the index file saved with it).
 * @throws StorageError when the file system refuses; InvalidInputError for an oversized passage
 */
export function writePassageFile(path: string, src: PassageStore): PassageFileIdentity {
  let identity: PassageFileIdentity | undefined;
  writeFileAtomic(path, encodePassageFile(src, (id) => (identity = id)));
  return identity!;
}

import { randomBytes } from "node:crypto";
import { writeFileAtomic } from "../format/atomic.js";
import { crc32 } from "../util/crc32.js";
import { varintSize, writeVarint } from "../util/varint.js";
import { encodeWtf8 } from "../util/wtf8.js";
import { BlockBuilder, encodeIds, maxIdsBytes } from "./block-codec.js";
import { dictionarySizeFor, trainDictionary } from "./dictionary.js";
import { frontCode } from "./front-coding.js";
import { encodeOrder, invertOrder, isIdentity } from "./order-codec.js";
import { checkPartSize, metadataBytes } from "./record-codec.js";
import type { PassageRecord, PassageStore } from "./passages.js";

/**
 * The passage file (`passages.<generation>.leann`), version 4 (docs/format.md):
 *
 *   16-byte preamble: magic "LEANNPSG", u32 version, u32 reserved
 *   dictionary: the preset DEFLATE dictionary of the text blocks (0..32 KiB, trained at save)
 *   blocks: text blocks and metadata blocks (see block-codec), each of consecutive passages
 *           in the stored order
 *   ids block: per passage in the stored order, its WTF-8 id front-coded (front-coding.ts);
 *              stored as one part (raw DEFLATE when smaller)
 *   order block: the stored position of each passage (by internal id; see order-codec),
 *                empty when that is 0, 1, 2, ...
 *   table: per text block then per metadata block: f64 start; then per text block u32
 *          length, u32 first stored position, u32 CRC-32; then the same for the metadata blocks
 *   96-byte footer: magic "LEANNEND", f64 count, f64 ids offset, f64 ids length,
 *                   f64 table offset, u32 CRC-32 of dictionary + ids + order + table,
 *                   u32 version, 16-byte random file id, f64 text blocks, f64 metadata
 *                   blocks, u32 dictionary length, u32 reserved, f64 order length
 *
 * Passages are stored in the order the source gives (`PassageStore.order`: the input
 * order after a build), which compresses better than the graph's node order. Metadata
 * apart from text lets a filter read and check only the metadata. The file id and the
 * footer checksum are recorded in the index file that uses this passage file, so a
 * passage file of another index or another save is refused. Version 3 (the same without
 * the order: stored in node order) and versions 1 and 2 (one record per passage) are
 * still read.
 */
export const PSG_MAGIC = "LEANNPSG";
export const PSG_END_MAGIC = "LEANNEND";
export const PSG_VERSION = 4;
export const FOOTER_BYTES: Record<number, number> = { 1: 48, 2: 64, 3: 88, 4: 96 };
/** Table bytes per block: f64 start, u32 length, u32 first passage, u32 CRC-32. */
export const TABLE_PER_BLOCK = 20;

/** What ties an index file to the passage file it was saved with. */
export interface PassageFileIdentity {
  /** 32 hex digits, random for each passage file written. */
  uid: string;
  /** CRC-32 of the dictionary, the ids and order blocks and the table (which holds every block's checksum). */
  crc32: number;
}

/** Bytes written per chunk: blocks are gathered into chunks of this size. */
const CHUNK = 1 << 20;
/** Sample text a dictionary is trained on: enough to find the common strings, quick to count. */
const SAMPLE_BYTES = 1 << 20;
/** Passages read first to estimate the average text length. */
const PROBE = 256;

const NO_DICTIONARY = new Uint8Array(0);

/** Passages 0, n/m, 2n/m, ...: a deterministic sample spread over the whole store. */
function spread(n: number, m: number): number[] {
  return Array.from({ length: Math.min(n, m) }, (_, j) => Math.floor((j * n) / Math.min(n, m)));
}

/**
 * The dictionary to write `src` with: the one its stored blocks use when that still suits
 * its size (adds keep the dictionary, so their blocks copy as they are), else one trained
 * on an even sample of its texts. A dictionary far smaller than the store has grown to
 * deserve is retrained (the blocks are then re-encoded).
 */
function chooseDictionary(src: PassageStore): { dictionary: Uint8Array; reused: boolean; textBytes: number } {
  const chosen = dictionaryFor(src);
  return { ...chosen, textBytes: chosen.mean * src.count };
}

function dictionaryFor(src: PassageStore): { dictionary: Uint8Array; reused: boolean; mean: number } {
  const n = src.count;
  const probe = spread(n, PROBE);
  let probed = 0;
  for (const i of probe) probed += encodeWtf8(src.get(i).text).length;
  const mean = probe.length ? probed / probe.length : 0;
  const size = dictionarySizeFor(mean * n);
  const stored = src.dictionary?.();
  if (stored && stored.length > 0 && stored.length * 2 >= size) return { dictionary: stored, reused: true, mean };
  if (size === 0) return { dictionary: stored ?? new Uint8Array(0), reused: stored !== undefined, mean };
  const parts: Uint8Array[] = [];
  let used = 0;
  for (const i of spread(n, Math.ceil(SAMPLE_BYTES / Math.max(1, mean)))) {
    if (used >= SAMPLE_BYTES) break;
    const t = encodeWtf8(src.get(i).text);
    parts.push(t);
    used += t.length;
  }
  const sample = new Uint8Array(used);
  let p = 0;
  for (const t of parts) {
    sample.set(t, p);
    p += t.length;
  }
  // Blocks stored without a dictionary decode the same under any dictionary: they still copy.
  return { dictionary: trainDictionary(sample, size), reused: stored !== undefined && stored.length === 0, mean };
}

/** Runs of consecutive stored positions (a block's worth each) sampled to choose the stored order. */
const ORDER_WINDOWS = 32;

/** Compressed bytes per text byte of ORDER_WINDOWS blocks of consecutive stored positions of `order`. */
function sampledRatio(src: PassageStore, order: ArrayLike<number> | undefined, dictionary: Uint8Array): number {
  let raw = 0, packed = 0;
  for (const start of spread(src.count, ORDER_WINDOWS)) {
    const block = new BlockBuilder();
    for (let p = start; p < src.count; p++) {
      const text = encodeWtf8(src.get(order ? order[p]! : p).text);
      if (block.full(text.length)) break;
      block.push(text);
      raw += text.length;
    }
    packed += block.take(dictionary).bytes.length;
  }
  return raw > 0 ? packed / raw : 1;
}

/**
 * The order to store `src` in, and its stored form: the source's order (a build's input
 * order), unless every block is to be written anew (`reused` false) and a sample says the
 * passages take fewer bytes numbered as they are than in that order plus the order's own
 * bytes. Input that came shuffled compresses worse than the graph's numbering, which
 * brings alike texts together.
 */
function chooseOrder(src: PassageStore, reused: boolean, dictionary: Uint8Array, textBytes: number): { order: ArrayLike<number> | undefined; block: Uint8Array; kept: boolean } {
  const order = src.order?.();
  if (!order || isIdentity(order)) return { order: undefined, block: new Uint8Array(0), kept: true };
  // Stored as each passage's position: ~0.2 bytes a passage smaller than the other way round (graph numbering vs input order, 100k passages).
  const block = encodeOrder(invertOrder(order));
  if (!reused && sampledRatio(src, order, dictionary) * textBytes + block.length > sampledRatio(src, undefined, dictionary) * textBytes) {
    return { order: undefined, block: new Uint8Array(0), kept: false };
  }
  return { order, block, kept: true };
}

/** Start, length, first passage and checksum of the blocks of one kind, growing as written. */
class BlockTable {
  starts: number[] = [];
  lengths: number[] = [];
  firsts: number[] = [];
  crcs: number[] = [];
  add(start: number, bytes: Uint8Array, first: number, crc = crc32(bytes)): void {
    this.starts.push(start);
    this.lengths.push(bytes.length);
    this.firsts.push(first);
    this.crcs.push(crc);
  }
}

/**
 * Serialises passages 0..count-1 of `src`, in its stored order (`src.order()`), as the chunks of a passage file, lazily: blocks
 * are produced a chunk at a time, so writing a file holds about one chunk plus the ids and
 * the block table (20 bytes a block of a few passages) in memory, never the whole file.
 * Blocks already stored with the same dictionary (a file loaded and added to) are copied
 * byte for byte. `onDone` receives the file's identity once the last chunk is produced.
 * @throws InvalidInputError (while iterating) for a text or metadata beyond MAX_PART_BYTES
 */
export function* encodePassageFile(src: PassageStore, onDone?: (identity: PassageFileIdentity) => void): Generator<Uint8Array> {
  const n = src.count;
  const uid = randomBytes(16);
  const { dictionary, reused, textBytes } = chooseDictionary(src);
  // Stored blocks are numbered in the source's order: copied only when the file keeps it.
  const { order, block: orderBlock, kept: copying } = chooseOrder(src, reused, dictionary, textBytes);
  const pre = Buffer.alloc(16);
  pre.write(PSG_MAGIC, 0, "latin1");
  pre.writeUInt32LE(PSG_VERSION, 8);
  yield pre;
  if (dictionary.length > 0) yield dictionary;
  let pos = 16 + dictionary.length;
  let chunk = Buffer.allocUnsafe(CHUNK);
  let used = 0;
  const pending: Uint8Array[] = [];
  const emit = (bytes: Uint8Array): void => {
    if (used + bytes.length > CHUNK && used > 0) {
      pending.push(chunk.subarray(0, used));
      chunk = Buffer.allocUnsafe(CHUNK);
      used = 0;
    }
    if (bytes.length > CHUNK) pending.push(bytes);
    else {
      chunk.set(bytes, used);
      used += bytes.length;
    }
    pos += bytes.length;
  };
  const tables = [new BlockTable(), new BlockTable()];
  const builders = [new BlockBuilder(), new BlockBuilder()];
  const opened = [0, 0];
  const flush = (kind: number): void => {
    if (builders[kind]!.empty) return;
    // Metadata JSON shares little with the text the dictionary is trained on: its blocks go without.
    const { bytes } = builders[kind]!.take(kind === 0 ? dictionary : NO_DICTIONARY);
    tables[kind]!.add(pos, bytes, opened[kind]!);
    emit(bytes);
  };
  const copiedUntil = [0, 0];
  let ids = Buffer.allocUnsafe(Math.max(64, n * 16));
  let idBytes = 0;
  // p: stored position; i: the passage (internal id) stored there.
  for (let p = 0; p < n; p++) {
    const i = order ? order[p]! : p;
    let rec: PassageRecord | undefined;
    for (const kind of [0, 1] as const) {
      if (p < copiedUntil[kind]!) continue;
      // Metadata blocks never use the dictionary: they copy even when it was retrained.
      const stored = copying && (reused || kind === 1) ? src.storedBlock?.(kind, p) : undefined;
      if (stored) {
        flush(kind);
        tables[kind]!.add(pos, stored.bytes, p, stored.crc);
        emit(stored.bytes);
        copiedUntil[kind] = p + stored.count;
        continue;
      }
      rec ??= src.get(i);
      const bytes = kind === 0 ? encodeWtf8(rec.text) : metadataBytes(rec.metadata);
      checkPartSize(bytes.length, `passage ${JSON.stringify(rec.id)}: the ${kind === 0 ? "text" : "metadata"}`);
      if (builders[kind]!.full(bytes.length)) flush(kind);
      if (builders[kind]!.empty) opened[kind] = p;
      builders[kind]!.push(bytes);
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
    yield* pending.splice(0);
  }
  flush(0);
  flush(1);
  if (used > 0) pending.push(chunk.subarray(0, used));
  yield* pending.splice(0);
  // Ids without common beginnings (shuffled, hashes) compress better whole: the smaller form goes. A reader
  // expands front-coded ids to at most 64 times the file (the blocks alone are less): else nothing is shared.
  const whole = encodeIds(frontCode(ids.subarray(0, idBytes), n, false), pos);
  const shared = idBytes <= maxIdsBytes(pos) ? encodeIds(frontCode(ids.subarray(0, idBytes), n), pos) : whole;
  const idsBlock = shared.length < whole.length ? shared : whole;
  const [t, m] = tables as [BlockTable, BlockTable];
  const nt = t.starts.length, nm = m.starts.length;
  const table = Buffer.allocUnsafe(TABLE_PER_BLOCK * (nt + nm));
  table.set(new Uint8Array(Float64Array.from([...t.starts, ...m.starts]).buffer), 0);
  table.set(new Uint8Array(Uint32Array.from([...t.lengths, ...t.firsts, ...t.crcs, ...m.lengths, ...m.firsts, ...m.crcs]).buffer), 8 * (nt + nm));
  const crc = crc32(table, crc32(orderBlock, crc32(idsBlock, crc32(dictionary))));
  const footer = Buffer.alloc(FOOTER_BYTES[PSG_VERSION]!);
  footer.write(PSG_END_MAGIC, 0, "latin1");
  footer.writeDoubleLE(n, 8);
  footer.writeDoubleLE(pos, 16);
  footer.writeDoubleLE(idsBlock.length, 24);
  footer.writeDoubleLE(pos + idsBlock.length + orderBlock.length, 32);
  footer.writeUInt32LE(crc, 40);
  footer.writeUInt32LE(PSG_VERSION, 44);
  uid.copy(footer, 48);
  footer.writeDoubleLE(nt, 64);
  footer.writeDoubleLE(nm, 72);
  footer.writeUInt32LE(dictionary.length, 80);
  footer.writeDoubleLE(orderBlock.length, 88);
  yield idsBlock;
  if (orderBlock.length > 0) yield orderBlock;
  yield table;
  yield footer;
  onDone?.({ uid: uid.toString("hex"), crc32: crc });
}

/** Bytes the passage file of `src` takes, encoded now (the file is not written). */
export function passageFileBytes(src: PassageStore): number {
  let total = 0;
  for (const chunk of encodePassageFile(src)) total += chunk.length;
  return total;
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

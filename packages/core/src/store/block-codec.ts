import { varintSize, writeVarint } from "../util/varint.js";
import { decodePart, encodeCompressed, MAX_PART_BYTES } from "./record-codec.js";

/**
 * A block holds the texts (or the metadata) of consecutive passages: per passage a varint
 * byte length and the bytes, all compressed together as one part (see record-codec) with
 * the file's preset dictionary. Short passages alone leave DEFLATE no history to match;
 * a few kilobytes of them plus the dictionary compress about as well as a whole file.
 */

/** Raw bytes gathered into a block before it is closed: reading one passage decodes this much (8 KiB: 0.385x raw text for 100k short passages against 0.401x at 4 KiB and 0.374x at 16 KiB, for about 20 us more a read). */
export const BLOCK_TARGET = 8192;
/** Largest decoded block: one passage at the part limit (a block of one) plus its length. */
export const MAX_BLOCK_BYTES = MAX_PART_BYTES + 16;

/**
 * Decoded ids may take at most this many times their stored bytes (version 3) or the whole
 * file (version 4), plus 64 KiB: a small file cannot claim gigabytes of ids.
 */
const MAX_IDS_RATIO = 64;

/** Largest decoded ids a reader accepts from `stored` bytes (of the ids part, or of the file). */
export function maxIdsBytes(stored: number): number {
  return stored * MAX_IDS_RATIO + 65536;
}

/**
 * The ids block as stored: a part (varint 2 * length + compressed, then the bytes), raw
 * DEFLATE when smaller, kept as is when it would compress beyond what a reader accepts:
 * maxIdsBytes of the file, which holds at least `before` bytes ahead of the ids (front-coded
 * ids in order compress far more than 64:1, their own bytes would not do as the bound).
 */
export function encodeIds(raw: Uint8Array, before: number): Uint8Array {
  const part = encodeCompressed(raw);
  return raw.length > maxIdsBytes(before + part.length) ? storedPart(raw) : part;
}

function storedPart(raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintSize(raw.length * 2) + raw.length);
  out.set(raw, writeVarint(out, 0, raw.length * 2));
  return out;
}

/** The ids block decoded, inflating at most `limit` bytes; throws a plain Error when malformed. */
export function decodeIds(stored: Uint8Array, limit: number): Uint8Array {
  return decodePart(stored, undefined, limit);
}

/** Gathers entries into blocks of about BLOCK_TARGET raw bytes. */
export class BlockBuilder {
  private entries: Uint8Array[] = [];
  private size = 0;

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** True when `bytes` more would take the pending block past the target: close it first. */
  full(bytes: number): boolean {
    return this.entries.length > 0 && this.size + bytes + varintSize(bytes) > BLOCK_TARGET;
  }

  push(bytes: Uint8Array): void {
    this.entries.push(bytes);
    this.size += bytes.length + varintSize(bytes.length);
  }

  /**
   * The pending block encoded (and emptied): its stored bytes and how many passages it holds.
   * A block of empty entries only (passages without metadata) is stored empty: reading it
   * then inflates nothing.
   */
  take(dictionary: Uint8Array): { bytes: Uint8Array; count: number } {
    const raw = new Uint8Array(this.size === this.entries.length ? 0 : this.size);
    let p = 0;
    for (const e of this.entries) {
      if (raw.length === 0) break;
      p = writeVarint(raw, p, e.length);
      raw.set(e, p);
      p += e.length;
    }
    const count = this.entries.length;
    this.entries = [];
    this.size = 0;
    return { bytes: encodeCompressed(raw, dictionary), count };
  }
}

/** A decoded block: entry k is raw[bounds[2k] .. bounds[2k + 1]). */
export interface DecodedBlock {
  raw: Uint8Array;
  bounds: Uint32Array;
}

/** Entry k of a decoded block. */
export function blockEntry(block: DecodedBlock, k: number): Uint8Array {
  return block.bounds.length === 0 ? block.raw : block.raw.subarray(block.bounds[2 * k]!, block.bounds[2 * k + 1]!);
}

/**
 * Decodes a stored block and finds where its `count` entries lie (an empty block holds
 * `count` empty entries). Inflates at most the
 * stated length (itself at most MAX_BLOCK_BYTES); throws a plain Error when the block is
 * malformed or holds another number of entries (checksum verified by the caller).
 */
export function decodeBlock(stored: Uint8Array, count: number, dictionary: Uint8Array): DecodedBlock {
  const raw = decodePart(stored, dictionary, MAX_BLOCK_BYTES);
  if (raw.length === 0) return { raw, bounds: new Uint32Array(0) };
  // Each entry takes at least its one-byte length: a count beyond the bytes is damage, not an allocation.
  if (count > raw.length) throw new Error(`block of ${raw.length} bytes cannot hold ${count} entries`);
  const bounds = new Uint32Array(2 * count);
  let p = 0;
  for (let k = 0; k < count; k++) {
    let len = 0, shift = 1, b: number;
    do {
      if (p >= raw.length || shift > 2 ** 35) throw new Error(`block ends inside the length of entry ${k} of ${count}`);
      b = raw[p++]!;
      len += (b & 0x7f) * shift;
      shift *= 128;
    } while (b & 0x80);
    if (len > raw.length - p) throw new Error(`entry ${k} states ${len} bytes, past the end of its block`);
    bounds[2 * k] = p;
    p += len;
    bounds[2 * k + 1] = p;
  }
  if (p !== raw.length) throw new Error(`block holds ${raw.length - p} bytes after its ${count} entries`);
  return { raw, bounds };
}

/**
 * One posting list in memory: byte varints, a posting being `gap * 2 + (tf > 1 ? 1 : 0)` then `tf - 2` when
 * tf > 1 (see postings.ts). Kept apart so that the index and what measures its lists share the one decoder.
 */
import { writeVarint } from "../util/varint.js";

/** Writes one posting (gap >= 1 from the previous doc id, or doc id + 1 for the first); returns the new end. */
export function encodePosting(buf: Uint8Array, pos: number, gap: number, tf: number): number {
  pos = writeVarint(buf, pos, gap * 2 + (tf > 1 ? 1 : 0));
  if (tf > 1) pos = writeVarint(buf, pos, tf - 2);
  return pos;
}

/**
 * Walks an encoded list in doc order. Returns the number of postings, or -1 when the bytes do not decode (a
 * varint runs past `end` or is longer than 5 bytes); codec.ts uses that to reject corrupt files.
 */
export function decodeList(bytes: Uint8Array, end: number, fn: (docId: number, tf: number) => void): number {
  let pos = 0, doc = -1, n = 0;
  while (pos < end) {
    let v = 0, shift = 0, b: number;
    do {
      if (pos >= end || shift > 28) return -1;
      b = bytes[pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    let tf = 1;
    if (v & 1) {
      let t = 0;
      shift = 0;
      do {
        if (pos >= end || shift > 28) return -1;
        b = bytes[pos++]!;
        t += (b & 0x7f) * 2 ** shift;
        shift += 7;
      } while (b & 0x80);
      tf = t + 2;
    }
    const gap = Math.floor(v / 2);
    if (gap < 1) return -1;
    doc += gap;
    fn(doc, tf);
    n++;
  }
  return n;
}

import { varintSize, writeVarint } from "../util/varint.js";

/**
 * Front coding of the ids block (version-4 passage files): per id, in stored order, a
 * varint of the bytes it shares with the previous id's start, a varint of the bytes that
 * follow and those bytes. Ids in input order are mostly the previous one plus a changed
 * tail ("doc.md#11", "doc.md#12"; "41", "42"): what is left is so regular that DEFLATE
 * then takes ~0.03 bytes an id against ~2-3 for the ids as they are.
 *
 * The plain form, which the reader expands back to, is per id a varint length and the bytes.
 */

function readVarint(buf: Uint8Array, at: number, what: string): { v: number; at: number } {
  let v = 0, shift = 1, b: number;
  do {
    if (at >= buf.length || shift > 2 ** 49) throw new Error(`${what} ends early`);
    b = buf[at++]!;
    v += (b & 0x7f) * shift;
    shift *= 128;
  } while (b & 0x80);
  return { v, at };
}

/**
 * Front-codes n ids given in plain form. `share: false` shares nothing (each id whole), so
 * that expanding never yields more than the coded bytes: the writer's fallback when the
 * expanded ids would exceed what a reader accepts.
 * @throws Error when `plain` is not n well-formed ids (a bug, not input)
 */
export function frontCode(plain: Uint8Array, n: number, share = true): Uint8Array {
  const out = new Uint8Array(plain.length + 10 * n);
  let at = 0, w = 0, prevStart = 0, prevLen = 0;
  for (let k = 0; k < n; k++) {
    const { v: len, at: start } = readVarint(plain, at, "plain ids");
    let s = 0;
    if (share) while (s < len && s < prevLen && plain[start + s] === plain[prevStart + s]) s++;
    w = writeVarint(out, w, s);
    w = writeVarint(out, w, len - s);
    out.set(plain.subarray(start + s, start + len), w);
    w += len - s;
    prevStart = start;
    prevLen = len;
    at = start + len;
  }
  return out.subarray(0, w);
}

/**
 * The plain form of n front-coded ids, at most `limit` bytes (a few bytes that share a long
 * previous id over and over cannot claim gigabytes); throws a plain Error when the coded
 * ids are malformed, hold another number of ids, or expand beyond `limit`.
 */
export function expandFrontCoded(coded: Uint8Array, n: number, limit: number): Buffer {
  let out = Buffer.allocUnsafe(Math.min(limit, Math.max(64, coded.length * 2)));
  let at = 0, w = 0, prevStart = 0, prevLen = 0;
  for (let k = 0; k < n; k++) {
    const shared = readVarint(coded, at, `id ${k} of ${n}`);
    const rest = readVarint(coded, shared.at, `id ${k} of ${n}`);
    at = rest.at;
    if (shared.v > prevLen) throw new Error(`id ${k} shares ${shared.v} bytes with a previous id of ${prevLen}`);
    if (rest.v > coded.length - at) throw new Error(`id ${k} runs past the end of the ids`);
    const len = shared.v + rest.v;
    const need = w + varintSize(len) + len;
    if (need > limit) throw new Error(`ids expand beyond ${limit} bytes`);
    if (need > out.length) {
      const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(need, out.length * 2)));
      out.copy(grown, 0, 0, w);
      out = grown;
    }
    w = writeVarint(out, w, len);
    out.copyWithin(w, prevStart, prevStart + shared.v);
    out.set(coded.subarray(at, at + rest.v), w + shared.v);
    prevStart = w;
    prevLen = len;
    w += len;
    at += rest.v;
  }
  if (at !== coded.length) throw new Error(`ids hold ${coded.length - at} bytes after the last of ${n}`);
  return out.subarray(0, w);
}

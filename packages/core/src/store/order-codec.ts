import { varintSize, writeVarint, unzigzag, zigzag } from "../util/varint.js";
import { decodePart, encodeCompressed } from "./record-codec.js";

/**
 * Permutations of the passages, for the stored order of a version-4 passage file (which
 * stores, per passage, its stored position). The graph numbers nodes for locality of the walk, which scatters
 * neighbouring texts (a document's consecutive chunks, a dictionary's consecutive entries)
 * over the whole file; stored in the order they came in, they share DEFLATE history and
 * the blocks compress better (100k dictionary entries: about 8 bytes a passage less).
 *
 * A permutation is encoded as one part (see record-codec): per entry a varint zigzag(order[p] -
 * order[p - 1] - 1), with order[-1] = -1, raw DEFLATE when smaller. An order that is mostly
 * ascending (kept through adds and compactions) is mostly zeros and costs next to nothing;
 * a shuffle costs about its entropy, ~2 bytes a passage at 100k.
 */

/** Largest decoded order for n passages: a varint of a zigzagged delta below 2^33 takes at most 5 bytes. */
export function maxOrderBytes(n: number): number {
  return 5 * n;
}

/** True when `order` is 0, 1, 2, ...: the file then stores no order at all. */
export function isIdentity(order: ArrayLike<number>): boolean {
  for (let p = 0; p < order.length; p++) if (order[p] !== p) return false;
  return true;
}

/** A permutation as stored (a part). */
export function encodeOrder(order: ArrayLike<number>): Uint8Array {
  let size = 0, prev = -1;
  for (let p = 0; p < order.length; p++) {
    size += varintSize(zigzag(order[p]! - prev - 1));
    prev = order[p]!;
  }
  const raw = new Uint8Array(size);
  let at = 0;
  prev = -1;
  for (let p = 0; p < order.length; p++) {
    at = writeVarint(raw, at, zigzag(order[p]! - prev - 1));
    prev = order[p]!;
  }
  return encodeCompressed(raw);
}

/**
 * A permutation of 0..n-1 as stored, checked to be one. Inflates at most
 * maxOrderBytes(n); throws a plain Error (the caller names the file) when the part is
 * malformed, holds more or fewer than n entries, or names a passage out of range or twice.
 */
export function decodeOrder(stored: Uint8Array, n: number): Uint32Array {
  const raw = decodePart(stored, undefined, maxOrderBytes(n));
  // Each entry takes at least one byte: fewer bytes than passages is damage, not an allocation.
  if (raw.length < n) throw new Error(`order of ${raw.length} bytes cannot hold ${n} passages`);
  const order = new Uint32Array(n);
  const seen = new Uint8Array(n);
  let at = 0, prev = -1;
  for (let p = 0; p < n; p++) {
    let v = 0, shift = 1, b: number;
    do {
      if (at >= raw.length || shift > 2 ** 35) throw new Error(`order ends inside entry ${p} of ${n}`);
      b = raw[at++]!;
      v += (b & 0x7f) * shift;
      shift *= 128;
    } while (b & 0x80);
    const node = prev + 1 + unzigzag(v);
    if (!(node >= 0 && node < n)) throw new Error(`order entry ${p} names passage ${node}, outside 0..${n - 1}`);
    if (seen[node]) throw new Error(`order names passage ${node} twice`);
    seen[node] = 1;
    order[p] = node;
    prev = node;
  }
  if (at !== raw.length) throw new Error(`order holds ${raw.length - at} bytes after its ${n} entries`);
  return order;
}

/** The inverse permutation: inverse(order)[order[p]] = p. */
export function invertOrder(order: ArrayLike<number>): Uint32Array {
  const inv = new Uint32Array(order.length);
  for (let p = 0; p < order.length; p++) inv[order[p]!] = p;
  return inv;
}

/**
 * The stored order after a rebuild: the kept passages in the order they were stored in
 * before, then the added ones, as new node ids.
 * @param previous the stored order before (entry s: old node), none for 0, 1, ...
 * @param previousCount passages before the rebuild
 * @param keptNodes old node of each kept row; the rows after them are the added passages
 * @param order the rebuild's new node -> row
 */
export function rebuiltOrder(previous: ArrayLike<number> | undefined, previousCount: number, keptNodes: readonly number[], order: Uint32Array): Uint32Array {
  const rowOf = new Int32Array(previousCount).fill(-1);
  keptNodes.forEach((node, row) => (rowOf[node] = row));
  const nodeOf = invertOrder(order);
  const out = new Uint32Array(order.length);
  let p = 0;
  for (let s = 0; s < previousCount; s++) {
    const row = rowOf[previous ? previous[s]! : s]!;
    if (row >= 0) out[p++] = nodeOf[row]!;
  }
  for (let row = keptNodes.length; row < order.length; row++) out[p++] = nodeOf[row]!;
  return out;
}

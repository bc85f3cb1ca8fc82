import { finish, type Steps } from "../util/steps.js";
import { varintSize, writeVarint, zigzag } from "../util/varint.js";

/**
 * Compressed adjacency (CSR without padding). Node v's neighbours are stored sorted,
 * as varints: the first as a zigzag delta from v itself (neighbours tend to have
 * nearby ids), the rest as (gap - 1) from the previous neighbour. `offsets[v]` is the
 * byte offset of v's list; the list ends where v + 1's begins, so no count is stored.
 */
export interface CompressedGraph {
  offsets: Uint32Array;
  data: Uint8Array;
}

/** Encoded size in bytes of one neighbour list (ids must be sorted ascending). */
function listBytes(v: number, ids: ArrayLike<number>, start: number, end: number): number {
  if (end <= start) return 0;
  let bytes = varintSize(zigzag(ids[start]! - v));
  for (let i = start + 1; i < end; i++) bytes += varintSize(ids[i]! - ids[i - 1]! - 1);
  return bytes;
}

/** Bytes node v's list takes in the compressed form (sorted in a copy; the list is left as it is). */
export function encodedListBytes(v: number, list: readonly number[]): number {
  const ids = Uint32Array.from(list).sort();
  return listBytes(v, ids, 0, ids.length);
}

/** Plain CSR: node v's neighbours are ids[starts[v] .. starts[v + 1]). */
export interface Adjacency {
  starts: Uint32Array;
  ids: Uint32Array;
}

function sortLists(adj: Adjacency): void {
  for (let v = 0; v + 1 < adj.starts.length; v++) adj.ids.subarray(adj.starts[v]!, adj.starts[v + 1]!).sort();
}

/** Lists sorted and measured between two safe points (util/steps.ts). */
const LIST_STEP = 4096;

/** Exact size of the compressed form (sorts the lists in place). */
export function compressedSize(adj: Adjacency): number {
  return finish(compressedSizeSteps(adj));
}

/** compressedSize, cut at safe points. */
export function* compressedSizeSteps(adj: Adjacency): Steps<number> {
  const n = adj.starts.length - 1;
  let bytes = 0;
  for (let v = 0; v < n; v++) {
    if (v % LIST_STEP === 0) yield;
    const s = adj.starts[v]!, e = adj.starts[v + 1]!;
    adj.ids.subarray(s, e).sort();
    bytes += listBytes(v, adj.ids, s, e);
  }
  return bytes + 4 * (n + 1);
}

export function compressGraph(adj: Adjacency): CompressedGraph {
  sortLists(adj);
  const n = adj.starts.length - 1;
  const offsets = new Uint32Array(n + 1);
  let total = 0;
  for (let v = 0; v < n; v++) {
    offsets[v] = total;
    total += listBytes(v, adj.ids, adj.starts[v]!, adj.starts[v + 1]!);
  }
  offsets[n] = total;
  const data = new Uint8Array(total);
  for (let v = 0; v < n; v++) {
    const s = adj.starts[v]!, e = adj.starts[v + 1]!;
    if (e <= s) continue;
    let pos = writeVarint(data, offsets[v]!, zigzag(adj.ids[s]! - v));
    for (let i = s + 1; i < e; i++) pos = writeVarint(data, pos, adj.ids[i]! - adj.ids[i - 1]! - 1);
  }
  return { offsets, data };
}

/**
 * Decodes node v's neighbours into `out`; returns how many. Ids are bounds-checked
 * against n so a damaged list can never send a walk out of range (returns -1).
 */
export function neighbors(g: CompressedGraph, v: number, out: Uint32Array): number {
  const { offsets, data } = g;
  let pos = offsets[v]!;
  const end = offsets[v + 1]!;
  const n = offsets.length - 1;
  let count = 0;
  let prev = 0;
  while (pos < end) {
    let x = 0, shift = 1, b: number;
    do {
      b = data[pos++]!;
      x += (b & 0x7f) * shift;
      shift *= 128;
    } while (b & 0x80 && pos < end);
    const id = count === 0 ? v + (x & 1 ? -(x + 1) / 2 : x / 2) : prev + x + 1;
    if (id < 0 || id >= n || count >= out.length) return -1;
    out[count++] = id;
    prev = id;
  }
  return count;
}

/** Decodes the whole graph back to plain CSR (for updates and checks). */
export function decompressGraph(g: CompressedGraph, maxDegree: number): Adjacency {
  const n = g.offsets.length - 1;
  const starts = new Uint32Array(n + 1);
  const tmp = new Uint32Array(maxDegree);
  const parts: number[] = [];
  for (let v = 0; v < n; v++) {
    starts[v] = parts.length;
    const c = neighbors(g, v, tmp);
    for (let i = 0; i < c; i++) parts.push(tmp[i]!);
  }
  starts[n] = parts.length;
  return { starts, ids: Uint32Array.from(parts) };
}

/**
 * The block table of a version-3 passage file, checked once when the file is opened:
 * where each text and metadata block lies and which passages it holds. Pure: no I/O.
 */
export class BlockIndex {
  readonly starts: Float64Array;
  readonly lengths: Uint32Array;
  /** First passage of each block, strictly ascending from 0; the last entry is the passage count. */
  readonly firsts: Uint32Array;
  readonly crcs: Uint32Array;

  /**
   * @param table the whole table (aligned copy): f64 starts of both kinds, then u32 lengths,
   *   firsts and checksums of the text blocks, then of the metadata blocks
   * @param kind 0 = text blocks, 1 = metadata blocks
   * @throws Error (plain; the caller names the file) when a block lies outside the blocks
   *   area, or the blocks do not cover passages 0..count-1 in order
   */
  constructor(table: ArrayBuffer, nt: number, nm: number, kind: 0 | 1, count: number, area: { start: number; end: number }) {
    const nb = kind === 0 ? nt : nm;
    const u32 = 8 * (nt + nm) + (kind === 0 ? 0 : 12 * nt);
    this.starts = new Float64Array(table, kind === 0 ? 0 : 8 * nt, nb);
    this.lengths = new Uint32Array(table, u32, nb);
    const firsts = new Uint32Array(nb + 1);
    firsts.set(new Uint32Array(table, u32 + 4 * nb, nb));
    firsts[nb] = count;
    this.firsts = firsts;
    this.crcs = new Uint32Array(table, u32 + 8 * nb, nb);
    const what = kind === 0 ? "text block" : "metadata block";
    if ((count === 0) !== (nb === 0)) throw new Error(`${nb} ${what}s for ${count} passages`);
    if (nb > 0 && firsts[0] !== 0) throw new Error(`the first ${what} starts at passage ${firsts[0]}, not 0`);
    for (let b = 0; b < nb; b++) {
      const s = this.starts[b]!, len = this.lengths[b]!;
      // Integers only: a fractional offset would reach readSync as an invalid position.
      if (!Number.isInteger(s) || s < area.start || len < 1 || s + len > area.end) throw new Error(`${what} ${b} lies outside the blocks area`);
      if (!(firsts[b + 1]! > firsts[b]!)) throw new Error(`${what} ${b} holds no passages or is out of order`);
    }
  }

  get blocks(): number {
    return this.lengths.length;
  }

  /** The block holding passage i (binary search over the first passages). */
  find(i: number): number {
    let lo = 0, hi = this.blocks - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.firsts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

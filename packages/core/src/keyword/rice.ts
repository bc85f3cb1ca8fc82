/**
 * Bit-level coding of posting lists for storage: doc-id gaps in Golomb-Rice code with one parameter per list,
 * term frequencies in Elias gamma code. Gaps in a list are close to geometric, for which Golomb codes are near
 * optimal (Witten, Moffat & Bell, "Managing Gigabytes", ch. 3): about log2(mean gap) + 1.5 bits, against a
 * whole byte at least for a varint. Most term frequencies are 1, which gamma codes in one bit.
 *
 * Only the saved form uses this; in memory lists stay byte varints (postings.ts), which decode faster and
 * append in place. Every read is bounded by the end of the buffer, so damaged input fails instead of looping.
 */

export class BitWriter {
  private buf: Uint8Array;
  private pos = 0; // bytes fully written
  private acc = 0; // pending bits, most significant first
  private n = 0; // number of pending bits (< 8 between calls)
  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }
  private byte(b: number): void {
    if (this.pos === this.buf.length) {
      const g = new Uint8Array(this.buf.length * 2);
      g.set(this.buf);
      this.buf = g;
    }
    this.buf[this.pos++] = b;
  }
  /** Writes the low `count` (<= 24) bits of `v`, most significant first. */
  bits(v: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((v >>> i) & 1);
      if (++this.n === 8) {
        this.byte(this.acc);
        this.acc = 0;
        this.n = 0;
      }
    }
  }
  /** `q` one-bits then a zero. */
  unary(q: number): void {
    for (let i = 0; i < q; i++) this.bits(1, 1);
    this.bits(0, 1);
  }
  /** Pads to a whole byte with zeros. */
  align(): void {
    if (this.n > 0) this.bits(0, 8 - this.n);
  }
  /** Appends whole bytes (call align first). */
  bytes(b: Uint8Array): void {
    for (const x of b) this.byte(x);
  }
  finish(): Uint8Array {
    this.align();
    return this.buf.slice(0, this.pos);
  }
}

export class BitReader {
  private bit = 0;
  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
    private readonly end: number,
  ) {}
  /** Reads one bit, or -1 past the end. */
  one(): number {
    if (this.pos >= this.end) return -1;
    const b = (this.buf[this.pos]! >>> (7 - this.bit)) & 1;
    if (++this.bit === 8) {
      this.bit = 0;
      this.pos++;
    }
    return b;
  }
  /** Reads `count` (<= 30) bits, or -1 past the end. Whole runs of a byte at a time (load time is this loop). */
  bits(count: number): number {
    let v = 0;
    while (count > 0) {
      if (this.pos >= this.end) return -1;
      const avail = 8 - this.bit;
      const take = avail < count ? avail : count;
      v = v * (1 << take) + ((this.buf[this.pos]! >>> (avail - take)) & ((1 << take) - 1));
      count -= take;
      this.bit += take;
      if (this.bit === 8) {
        this.bit = 0;
        this.pos++;
      }
    }
    return v;
  }
  /** Counts one-bits up to a zero (consumed); -1 past the end or beyond `max`. */
  unary(max: number): number {
    return this.run(1, max);
  }
  /** Counts zero-bits up to a one (not consumed); -1 past the end or beyond `max`. */
  zeros(max: number): number {
    return this.run(0, max);
  }
  private run(bit: 0 | 1, max: number): number {
    let q = 0;
    for (;;) {
      if (this.pos >= this.end) return -1;
      const avail = 8 - this.bit;
      // The unread bits of this byte at the top of 8 bits; shifted-in zeros below them are cut off by `avail`.
      const byte = (this.buf[this.pos]! << this.bit) & 0xff;
      const x = bit === 1 ? ~byte & 0xff : byte;
      const n = Math.min(avail, x === 0 ? 8 : Math.clz32(x) - 24);
      q += n;
      if (q > max) return -1;
      if (n < avail) {
        // Found the terminating bit: a unary code consumes it, a gamma prefix leaves it for the value.
        this.bit += n + bit;
        if (this.bit === 8) {
          this.bit = 0;
          this.pos++;
        }
        return q;
      }
      this.bit = 0;
      this.pos++;
    }
  }
  /** Skips to the next whole byte. */
  align(): void {
    if (this.bit > 0) {
      this.bit = 0;
      this.pos++;
    }
  }
}

/** The Rice parameter for a list: about log2 of the mean gap times ln 2, the optimum for geometric gaps. */
export function riceParameter(capacity: number, df: number): number {
  const mean = capacity / Math.max(1, df);
  return mean * Math.LN2 < 2 ? 0 : Math.min(24, Math.floor(Math.log2(mean * Math.LN2)));
}

/** Bits a list's header takes: the Rice parameter (5) and whether term frequencies follow (1). */
export const LIST_HEADER_BITS = 6;

/** Length in bits of the Rice code of v >= 0 with parameter k (what writeRice writes). */
export function riceBits(v: number, k: number): number {
  return Math.floor(v / 2 ** k) + 1 + k;
}

/** Length in bits of the gamma code of v >= 1 (what writeGamma writes). */
export function gammaBits(v: number): number {
  return 2 * (32 - Math.clz32(v)) - 1;
}

/** Rice code of v >= 0 with parameter k. */
export function writeRice(w: BitWriter, v: number, k: number): void {
  w.unary(Math.floor(v / 2 ** k));
  if (k > 0) w.bits(v % 2 ** k, k);
}

/** Elias gamma code of v >= 1: (bit length - 1) zeros, then v in binary. */
export function writeGamma(w: BitWriter, v: number): void {
  const len = 32 - Math.clz32(v);
  w.bits(0, len - 1);
  w.bits(v, len);
}

/** Reads a Rice code; -1 when the data is damaged (past the end, or a quotient beyond `maxQuotient`). */
export function readRice(r: BitReader, k: number, maxQuotient: number): number {
  const q = r.unary(maxQuotient);
  if (q < 0) return -1;
  if (k === 0) return q;
  const low = r.bits(k);
  return low < 0 ? -1 : q * 2 ** k + low;
}

/** Reads a gamma code of at most `maxBits` bits of value; -1 when damaged. */
export function readGamma(r: BitReader, maxBits: number): number {
  const zeros = r.zeros(maxBits - 1);
  if (zeros < 0) return -1;
  return r.bits(zeros + 1);
}

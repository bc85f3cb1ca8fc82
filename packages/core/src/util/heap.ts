/**
 * Binary heap of (score, id) pairs on typed arrays. `max` = true pops the highest
 * score first. Grows as needed; no per-item objects.
 */
export class ScoreHeap {
  private s: Float64Array;
  private i: Uint32Array;
  size = 0;
  constructor(private readonly max: boolean, capacity = 64) {
    this.s = new Float64Array(capacity);
    this.i = new Uint32Array(capacity);
  }
  private before(a: number, b: number): boolean {
    return this.max ? a > b : a < b;
  }
  clear(): void {
    this.size = 0;
  }
  topScore(): number {
    return this.s[0]!;
  }
  topId(): number {
    return this.i[0]!;
  }
  push(score: number, id: number): void {
    if (this.size === this.s.length) {
      const s = new Float64Array(this.size * 2);
      s.set(this.s);
      this.s = s;
      const i = new Uint32Array(this.size * 2);
      i.set(this.i);
      this.i = i;
    }
    let k = this.size++;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!this.before(score, this.s[p]!)) break;
      this.s[k] = this.s[p]!;
      this.i[k] = this.i[p]!;
      k = p;
    }
    this.s[k] = score;
    this.i[k] = id;
  }
  /** Removes the top; read it first with topScore/topId. */
  pop(): void {
    const n = --this.size;
    if (n <= 0) return;
    const score = this.s[n]!, id = this.i[n]!;
    let k = 0;
    for (;;) {
      let c = 2 * k + 1;
      if (c >= n) break;
      if (c + 1 < n && this.before(this.s[c + 1]!, this.s[c]!)) c++;
      if (!this.before(this.s[c]!, score)) break;
      this.s[k] = this.s[c]!;
      this.i[k] = this.i[c]!;
      k = c;
    }
    this.s[k] = score;
    this.i[k] = id;
  }
}

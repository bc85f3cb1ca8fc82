import type { PassageRecord, PassageStore } from "./passages.js";
import { MemoryPassageStore } from "./passages.js";

/**
 * The passages of a live index: a base store (a file, or the records given to build)
 * plus records appended since, addressed through `refs` so that compaction only
 * rewrites the mapping. ref >= 0: base record; ref < 0: extra record -ref - 1.
 */
export class MutablePassages implements PassageStore {
  private refs: number[];
  private extra: PassageRecord[] = [];

  constructor(private base: PassageStore) {
    this.refs = Array.from({ length: base.count }, (_, i) => i);
  }

  get count(): number {
    return this.refs.length;
  }

  /** True when the records differ from the base store as stored. */
  get changed(): boolean {
    return this.extra.length > 0 || this.refs.length !== this.base.count || this.refs.some((r, i) => r !== i);
  }

  get bytes(): number {
    if (!this.changed) return this.base.bytes;
    // Estimate: what a rewrite would produce.
    let sum = 0;
    const all: PassageRecord[] = [];
    for (let i = 0; i < this.count; i++) all.push(this.get(i));
    sum = new MemoryPassageStore(all).bytes;
    return sum;
  }

  id(i: number): string {
    const r = this.refs[i]!;
    return r >= 0 ? this.base.id(r) : this.extra[-r - 1]!.id;
  }

  get(i: number): PassageRecord {
    const r = this.refs[i]!;
    return r >= 0 ? this.base.get(r) : this.extra[-r - 1]!;
  }

  raw(i: number): Uint8Array | undefined {
    const r = this.refs[i]!;
    return r >= 0 && this.base.raw ? this.base.raw(r) : undefined;
  }

  append(rec: PassageRecord): void {
    this.extra.push(rec);
    this.refs.push(-this.extra.length);
  }

  /** Drops records appended after `count` (rollback of a failed add). */
  truncate(count: number): void {
    while (this.refs.length > count) {
      const r = this.refs.pop()!;
      if (r < 0 && -r === this.extra.length) this.extra.pop();
    }
  }

  /** Keeps only the records at `keep` (old internal ids, ascending), renumbered 0.. */
  compact(keep: number[]): void {
    this.refs = keep.map((i) => this.refs[i]!);
  }

  /** Switches to a freshly written store holding exactly the current records. */
  rebase(store: PassageStore): void {
    this.base.close();
    this.base = store;
    this.refs = Array.from({ length: store.count }, (_, i) => i);
    this.extra = [];
  }

  close(): void {
    this.base.close();
  }
}

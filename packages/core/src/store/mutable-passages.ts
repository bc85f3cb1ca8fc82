import type { PassageFileIdentity } from "./passage-file.js";
import { FilePassageStore, recordBytes, type Metadata, type PassageRecord, type PassageStore, type StoredParts } from "./passages.js";

/**
 * The passages of a live index: a base store (a file, or the records given to build)
 * plus records appended since, addressed through `refs` so that compaction only
 * rewrites the mapping. ref >= 0: base record; ref < 0: extra record -ref - 1.
 */
export class MutablePassages implements PassageStore {
  private refs: number[];
  private extra: PassageRecord[] = [];
  /** True when refs are no longer 0, 1, ... of the base (kept by compact and truncate, so `changed` is O(1)). */
  private renumbered = false;
  /**
   * Bytes of the records of refs[0 .. each.length) in a rewritten file, and their sum:
   * measured on first use, then kept current by append (lazily), truncate and compact, so
   * `bytes` after a change costs what changed.
   */
  private sized: { each: number[]; total: number } | null = null;

  constructor(private base: PassageStore) {
    this.refs = Array.from({ length: base.count }, (_, i) => i);
  }

  get count(): number {
    return this.refs.length;
  }

  /** True when the records differ from the base store as stored. */
  get changed(): boolean {
    return this.extra.length > 0 || this.refs.length !== this.base.count || this.renumbered;
  }

  /** Identity of the passage file the records are stored in, while they are unchanged. */
  get identity(): PassageFileIdentity | undefined {
    return !this.changed && this.base instanceof FilePassageStore ? this.base.identity : undefined;
  }

  get bytes(): number {
    if (!this.changed) return this.base.bytes;
    return 16 + 64 + 8 + this.measured().total;
  }

  /** What a rewrite would write for ref r: stored records are counted from the store's table, without reading them. */
  private recordSize(r: number): number {
    if (r < 0) return recordBytes(this.extra[-r - 1]!);
    return this.base.storedBytes ? this.base.storedBytes(r) : recordBytes(this.base.get(r));
  }

  private measured(): { each: number[]; total: number } {
    if (!this.sized) this.sized = { each: [], total: 0 };
    const s = this.sized;
    for (let i = s.each.length; i < this.refs.length; i++) {
      const b = this.recordSize(this.refs[i]!);
      s.each.push(b);
      s.total += b;
    }
    return s;
  }

  id(i: number): string {
    const r = this.refs[i]!;
    return r >= 0 ? this.base.id(r) : this.extra[-r - 1]!.id;
  }

  get(i: number): PassageRecord {
    const r = this.refs[i]!;
    return r >= 0 ? this.base.get(r) : this.extra[-r - 1]!;
  }

  metadata(i: number): Metadata {
    const r = this.refs[i]!;
    return r >= 0 ? this.base.metadata(r) : this.extra[-r - 1]!.metadata;
  }

  raw(i: number): StoredParts | undefined {
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
    const s = this.sized;
    while (s && s.each.length > count) s.total -= s.each.pop()!;
    this.renumbered = this.refs.some((r, i) => r !== i);
  }

  /** Keeps only the records at `keep` (old internal ids, ascending), renumbered 0.. */
  compact(keep: number[]): void {
    if (this.sized) {
      const each = this.measured().each;
      const kept = keep.map((i) => each[i]!);
      this.sized = { each: kept, total: kept.reduce((a, b) => a + b, 0) };
    }
    this.refs = keep.map((i) => this.refs[i]!);
    this.renumbered = this.refs.some((r, i) => r !== i);
  }

  /** Switches to a freshly written store holding exactly the current records. */
  rebase(store: PassageStore): void {
    this.base.close();
    this.base = store;
    this.refs = Array.from({ length: store.count }, (_, i) => i);
    this.extra = [];
    this.renumbered = false;
    this.sized = null;
  }

  close(): void {
    this.base.close();
  }
}

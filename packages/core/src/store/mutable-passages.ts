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

  /** Identity of the passage file the records are stored in, while they are unchanged. */
  get identity(): PassageFileIdentity | undefined {
    return !this.changed && this.base instanceof FilePassageStore ? this.base.identity : undefined;
  }

  get bytes(): number {
    if (!this.changed) return this.base.bytes;
    // What a rewrite would produce: stored records are counted from the table, without reading them.
    const file = this.base instanceof FilePassageStore ? this.base : undefined;
    let sum = 16 + 64 + 8;
    for (const r of this.refs) sum += r >= 0 && file ? file.storedBytes(r) : recordBytes(r >= 0 ? this.base.get(r) : this.extra[-r - 1]!);
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

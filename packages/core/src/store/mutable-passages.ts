import type { PassageFileIdentity } from "./passage-file.js";
import { FilePassageStore, MemoryPassageStore, passageFileBytes, type Metadata, type PassageRecord, type PassageStore, type StoredBlock } from "./passages.js";

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

  /**
   * Once changed, an estimate of what a rewrite would write, without reading the base: its
   * size in proportion to the passages kept, plus the appended records compressed alone
   * (in memory, and never more than an add brought).
   */
  get bytes(): number {
    if (!this.changed) return this.base.bytes;
    let kept = 0;
    const live: PassageRecord[] = [];
    for (const r of this.refs) if (r >= 0) kept++;
    else live.push(this.extra[-r - 1]!);
    const fromBase = this.base.count > 0 ? Math.round((this.base.bytes * kept) / this.base.count) : this.base.bytes;
    return fromBase + (live.length > 0 ? passageFileBytes(new MemoryPassageStore(live)) : 0);
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

  dictionary(): Uint8Array | undefined {
    return this.base.dictionary?.();
  }

  /** A stored block of the base, when passages i.. are still exactly its passages, in order. */
  storedBlock(kind: 0 | 1, i: number): StoredBlock | undefined {
    const r = this.refs[i]!;
    if (r < 0 || !this.base.storedBlock) return undefined;
    const block = this.base.storedBlock(kind, r);
    if (!block || i + block.count > this.refs.length) return undefined;
    for (let j = 1; j < block.count; j++) if (this.refs[i + j] !== r + j) return undefined;
    return block;
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
    this.renumbered = this.refs.some((r, i) => r !== i);
  }

  /** Keeps only the records at `keep` (old internal ids, ascending), renumbered 0.. */
  compact(keep: number[]): void {
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
  }

  close(): void {
    this.base.close();
  }
}

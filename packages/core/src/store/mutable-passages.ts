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
  /**
   * The stored order of the records (see PassageStore.order) and, per stored position, the
   * base's stored position it comes from (-1: an appended record); made when a save asks,
   * dropped by every change.
   */
  private plan: { order: Uint32Array; from: Int32Array } | undefined;

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

  /**
   * The base's stored order with deleted passages left out, then the appended records in
   * their internal order: a save keeps the base's runs of passages together (its blocks
   * copy) and the order the texts came in.
   */
  order(): ArrayLike<number> | undefined {
    if (!this.changed) return this.base.order?.();
    return this.storedPlan().order;
  }

  private storedPlan(): { order: Uint32Array; from: Int32Array } {
    if (this.plan) return this.plan;
    const n = this.refs.length, baseOrder = this.base.order?.();
    const current = new Int32Array(this.base.count).fill(-1);
    this.refs.forEach((r, i) => {
      if (r >= 0) current[r] = i;
    });
    const order = new Uint32Array(n), from = new Int32Array(n);
    let p = 0;
    for (let s = 0; s < this.base.count; s++) {
      const i = current[baseOrder ? baseOrder[s]! : s]!;
      if (i < 0) continue;
      order[p] = i;
      from[p++] = s;
    }
    for (let i = 0; i < n; i++) {
      if (this.refs[i]! >= 0) continue;
      order[p] = i;
      from[p++] = -1;
    }
    return (this.plan = { order, from });
  }

  /** A stored block of the base, when stored positions p.. are still exactly its passages, in order. */
  storedBlock(kind: 0 | 1, p: number): StoredBlock | undefined {
    if (!this.base.storedBlock) return undefined;
    if (!this.changed) return this.base.storedBlock(kind, p);
    const { from } = this.storedPlan();
    const s = from[p]!;
    if (s < 0) return undefined;
    const block = this.base.storedBlock(kind, s);
    if (!block || p + block.count > from.length) return undefined;
    for (let j = 1; j < block.count; j++) if (from[p + j] !== s + j) return undefined;
    return block;
  }

  append(rec: PassageRecord): void {
    this.extra.push(rec);
    this.refs.push(-this.extra.length);
    this.plan = undefined;
  }

  /** Drops records appended after `count` (rollback of a failed add). */
  truncate(count: number): void {
    while (this.refs.length > count) {
      const r = this.refs.pop()!;
      if (r < 0 && -r === this.extra.length) this.extra.pop();
    }
    this.renumbered = this.refs.some((r, i) => r !== i);
    this.plan = undefined;
  }

  /** Keeps only the records at `keep` (old internal ids, ascending), renumbered 0.. */
  compact(keep: number[]): void {
    this.refs = keep.map((i) => this.refs[i]!);
    this.renumbered = this.refs.some((r, i) => r !== i);
    this.plan = undefined;
  }

  /** Switches to a freshly written store holding exactly the current records. */
  rebase(store: PassageStore): void {
    this.base.close();
    this.base = store;
    this.refs = Array.from({ length: store.count }, (_, i) => i);
    this.extra = [];
    this.renumbered = false;
    this.plan = undefined;
  }

  close(): void {
    this.base.close();
  }
}

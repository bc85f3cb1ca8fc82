/** What the id map is built from: the passages and their tombstones, read live. */
export interface IdSource {
  readonly passages: { readonly count: number; id(i: number): string };
  readonly deleted: Uint8Array;
}

/**
 * External string id -> internal node id of every live passage. Built on first use
 * (a loaded index that is only searched never needs it); updates keep it current or
 * drop it when they renumber nodes.
 */
export class IdMap {
  private map: Map<string, number> | null = null;

  constructor(private readonly source: IdSource) {}

  /** The map, built now if it was dropped. */
  get(): Map<string, number> {
    if (!this.map) {
      const { passages, deleted } = this.source;
      this.map = new Map();
      for (let i = 0; i < passages.count; i++) if (!deleted[i]) this.map.set(passages.id(i), i);
    }
    return this.map;
  }

  /** Forgets the map: internal ids changed (rebuild, compaction). */
  invalidate(): void {
    this.map = null;
  }
}

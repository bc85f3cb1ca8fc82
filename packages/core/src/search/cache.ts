import { rankByInDegree } from "../graph/in-degree.js";

/**
 * Embedding cache for hub nodes (LEANN section 4.3). Walks start near hubs and pass
 * through them, so their embeddings are recomputed most often. Admission is static:
 * only the `capacity` nodes with the highest in-degree may enter, so the cache never
 * churns and its memory is bounded by `bytes`.
 */
export class HubCache {
  private readonly admitted: Uint8Array;
  private readonly map = new Map<number, Float32Array>();
  readonly capacity: number;

  constructor(bytes: number, dims: number, inDegree: Uint32Array) {
    const n = inDegree.length;
    this.capacity = Math.min(n, Math.floor(bytes / (dims * 4)));
    this.admitted = new Uint8Array(n);
    if (this.capacity >= n) this.admitted.fill(1);
    else if (this.capacity > 0) {
      const order = rankByInDegree(inDegree);
      for (let i = 0; i < this.capacity; i++) this.admitted[order[i]!] = 1;
    }
  }

  get size(): number {
    return this.map.size;
  }

  get(id: number): Float32Array | undefined {
    return this.map.get(id);
  }

  /** Stores a copy when the node is admitted. */
  offer(id: number, v: Float32Array): void {
    if (this.admitted[id] && !this.map.has(id)) this.map.set(id, v.slice());
  }

  /** Forgets a node (its passage changed or was deleted). */
  invalidate(id: number): void {
    this.map.delete(id);
  }

  clear(): void {
    this.map.clear();
  }
}

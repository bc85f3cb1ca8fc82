import { compressGraph, decompressGraph, neighbors, type CompressedGraph } from "./csr.js";

/**
 * The graph of an open index in its two forms: compressed (as built or loaded: compact,
 * read-only) until the first update, then adjacency lists (mutable) until the next save
 * recompresses them. Readers go through `neighbors()`, which serves either form.
 */
export class LiveGraph {
  private compressed: CompressedGraph;
  private adjacency: number[][] | null = null;
  /** Upper bound of every list's length (scratch sizes); updates raise it as lists grow. */
  maxDegree: number;

  constructor(graph: CompressedGraph, maxDegree: number) {
    this.compressed = graph;
    this.maxDegree = maxDegree;
  }

  /** True once updates switched the graph to adjacency lists. */
  get mutable(): boolean {
    return this.adjacency !== null;
  }

  /** A reader of node v's neighbours into `out` (returns how many), for the current form. */
  neighbors(): (v: number, out: Uint32Array) => number {
    const lists = this.adjacency;
    const graph = this.compressed;
    if (!lists) return (v, out) => Math.max(0, neighbors(graph, v, out));
    return (v, out) => {
      const l = lists[v]!;
      const c = Math.min(l.length, out.length);
      for (let i = 0; i < c; i++) out[i] = l[i]!;
      return c;
    };
  }

  /** The adjacency lists, switching to the mutable form first if needed. */
  lists(): number[][] {
    if (!this.adjacency) {
      const adj = decompressGraph(this.compressed, Math.max(1, this.maxDegree));
      this.adjacency = Array.from({ length: adj.starts.length - 1 }, (_, v) => Array.from(adj.ids.subarray(adj.starts[v]!, adj.starts[v + 1]!)));
    }
    return this.adjacency;
  }

  /** Replaces the lists (compaction renumbers every node). */
  setLists(lists: number[][]): void {
    this.adjacency = lists;
  }

  /** The graph as it would be saved, without switching forms (an add in flight keeps its lists). */
  frozen(): { graph: CompressedGraph; maxDegree: number } {
    const lists = this.adjacency;
    if (!lists) return { graph: this.compressed, maxDegree: this.maxDegree };
    const n = lists.length;
    const starts = new Uint32Array(n + 1);
    let total = 0;
    for (let v = 0; v < n; v++) {
      starts[v] = total;
      total += lists[v]!.length;
    }
    starts[n] = total;
    const ids = new Uint32Array(total);
    for (let v = 0; v < n; v++) ids.set(lists[v]!, starts[v]!);
    let maxDegree = 0;
    for (let v = 0; v < n; v++) maxDegree = Math.max(maxDegree, starts[v + 1]! - starts[v]!);
    return { graph: compressGraph({ starts, ids }), maxDegree };
  }

  /** Switches back to the compressed form (only while no reader holds the lists). */
  freeze(): CompressedGraph {
    if (this.adjacency) {
      const { graph, maxDegree } = this.frozen();
      this.compressed = graph;
      this.maxDegree = maxDegree;
      this.adjacency = null;
    }
    return this.compressed;
  }
}

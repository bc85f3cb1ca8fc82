import { compressGraph, decompressGraph, encodedListBytes, neighbors, type CompressedGraph } from "./csr.js";

/**
 * The graph of an open index in its two forms: compressed (as built or loaded: compact,
 * read-only) until the first update, then adjacency lists (mutable) until the next save
 * recompresses them. Readers go through `neighbors()`, which serves either form.
 *
 * It also keeps the size the graph would take saved (`savedBytes`) current at the cost of
 * what changed: the compressed bytes of each list, remeasured only for the nodes an update
 * reports (`setLists(lists, changed)`, `touched(nodes)`).
 */
export class LiveGraph {
  private compressed: CompressedGraph;
  private adjacency: number[][] | null = null;
  /** Compressed bytes of each adjacency list as last measured, and their sum. */
  private listBytes: number[] = [];
  private listTotal = 0;
  /** Nodes whose list changed since it was measured ("all": every list, e.g. after renumbering). */
  private stale: Set<number> | "all" = new Set();
  /** Lists measured since this graph was made: the work `savedBytes` did (counters, as hnswlib keeps). */
  listsMeasured = 0;
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
      // Each list's bytes are where the compressed form put it.
      const { offsets } = this.compressed;
      this.listBytes = Array.from({ length: offsets.length - 1 }, (_, v) => offsets[v + 1]! - offsets[v]!);
      this.listTotal = this.compressed.data.length;
      this.stale = new Set();
    }
    return this.adjacency;
  }

  /**
   * Replaces the lists. `changed` names the nodes whose list differs from before (new
   * nodes included); without it every list counts as changed (compaction renumbers all).
   */
  setLists(lists: number[][], changed?: Iterable<number>): void {
    // The sizes of the lists replaced are the baseline of the changed ones.
    if (changed !== undefined) this.lists();
    this.adjacency = lists;
    if (changed === undefined) this.stale = "all";
    else this.touched(changed);
  }

  /** Reports lists changed in place (through `lists()`), so that `savedBytes` measures them again. */
  touched(nodes: Iterable<number>): void {
    if (this.stale === "all") return;
    for (const v of nodes) this.stale.add(v);
  }

  /**
   * The bytes of the graph's two sections as a save would write them (u32 offsets, list
   * data), without compressing anything: only the lists changed since the last call are
   * measured.
   */
  savedBytes(): { offsets: number; data: number } {
    const lists = this.adjacency;
    if (!lists) return { offsets: this.compressed.offsets.byteLength, data: this.compressed.data.byteLength };
    const n = lists.length;
    if (this.stale === "all" || this.listBytes.length > n) {
      this.listBytes = lists.map((l, v) => encodedListBytes(v, l));
      this.listTotal = this.listBytes.reduce((a, b) => a + b, 0);
      this.listsMeasured += n;
    } else {
      const known = this.listBytes.length;
      const measure = (v: number) => {
        const b = encodedListBytes(v, lists[v]!);
        this.listTotal += b - (this.listBytes[v] ?? 0);
        this.listBytes[v] = b;
        this.listsMeasured++;
      };
      for (const v of this.stale) if (v < known) measure(v);
      // Appended nodes are new lists whether or not the caller named them.
      for (let v = known; v < n; v++) measure(v);
    }
    this.stale = new Set();
    return { offsets: 4 * (n + 1), data: this.listTotal };
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
      this.listBytes = [];
      this.listTotal = 0;
      this.stale = new Set();
    }
    return this.compressed;
  }
}

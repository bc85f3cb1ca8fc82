import { describe, expect, it } from "vitest";
import { compressGraph } from "../src/graph/csr.js";
import { inDegreesOf, rankByInDegree } from "../src/graph/in-degree.js";
import { LiveGraph } from "../src/graph/live-graph.js";
import { HubCache } from "../src/search/cache.js";
import { createRng } from "../src/util/rng.js";

function randomLists(n: number, seed: number): number[][] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, v) => {
    const set = new Set<number>();
    const d = 1 + Math.floor(rng() * 6);
    while (set.size < d) {
      const u = Math.floor(rng() * n);
      if (u !== v) set.add(u);
    }
    return [...set].sort((a, b) => a - b);
  });
}

function toAdjacency(lists: number[][]) {
  const starts = new Uint32Array(lists.length + 1);
  lists.forEach((l, v) => (starts[v + 1] = starts[v]! + l.length));
  const ids = new Uint32Array(starts[lists.length]!);
  lists.forEach((l, v) => ids.set(l, starts[v]!));
  return { starts, ids };
}

describe("the in-degree ranking", () => {
  it("orders nodes by in-degree, highest first, and ties by ascending id", () => {
    expect(Array.from(rankByInDegree([1, 3, 3, 0, 2]))).toEqual([1, 2, 4, 0, 3]);
  });

  it("admits to the hub cache exactly the top of the ranking when the cache is smaller than the index", () => {
    const lists = randomLists(200, 3);
    const inDegree = inDegreesOf(lists);
    const dims = 4;
    const cache = new HubCache(10 * dims * 4, dims, inDegree);
    const top = new Set(rankByInDegree(inDegree).slice(0, 10));
    for (let v = 0; v < 200; v++) cache.offer(v, new Float32Array(dims));
    for (let v = 0; v < 200; v++) expect(cache.get(v) !== undefined).toBe(top.has(v));
  });
});

describe("LiveGraph", () => {
  it("serves the same neighbours in both forms and recompresses the lists to the same graph", () => {
    const lists = randomLists(300, 5);
    const compressed = compressGraph(toAdjacency(lists));
    const g = new LiveGraph(compressed, 6);
    const out = new Uint32Array(6);
    const read = (nb: (v: number, o: Uint32Array) => number, v: number) => Array.from(out.subarray(0, nb(v, out)));
    const before = g.neighbors();
    const mutable = g.lists();
    expect(g.mutable).toBe(true);
    const after = g.neighbors();
    for (let v = 0; v < 300; v++) {
      expect(read(before, v)).toEqual(lists[v]);
      expect(read(after, v)).toEqual(lists[v]);
    }
    expect(mutable).toEqual(lists);
    const frozen = g.freeze();
    expect(g.mutable).toBe(false);
    expect(Buffer.from(frozen.data)).toEqual(Buffer.from(compressed.data));
    expect(Array.from(frozen.offsets)).toEqual(Array.from(compressed.offsets));
  });

  it("keeps a list added while mutable through a freeze", () => {
    const g = new LiveGraph(compressGraph(toAdjacency([[1], [0]])), 1);
    const lists = g.lists();
    lists.push([0, 1]);
    lists[0]!.push(2);
    g.freeze();
    expect(g.maxDegree).toBe(2);
    const out = new Uint32Array(2);
    const nb = g.neighbors();
    expect(Array.from(out.subarray(0, nb(2, out)))).toEqual([0, 1]);
    expect(Array.from(out.subarray(0, nb(0, out)))).toEqual([1, 2]);
  });
});

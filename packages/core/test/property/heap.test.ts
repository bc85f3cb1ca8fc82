/**
 * The (score, id) heap of util/heap.ts against sorting: draining it gives the scores in
 * order, any interleaving of pushes and pops matches a sorted-list model, and the
 * bounded top-k pattern the search uses keeps exactly the k best scores.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ScoreHeap } from "../../src/util/heap.js";

const scores = fc.array(fc.double({ noNaN: true, noDefaultInfinity: false }), { maxLength: 300 });

function drain(h: ScoreHeap): [number, number][] {
  const out: [number, number][] = [];
  while (h.size > 0) {
    out.push([h.topScore(), h.topId()]);
    h.pop();
  }
  return out;
}

const byPair = (a: [number, number], b: [number, number]) => a[0] - b[0] || a[1] - b[1];

describe("ScoreHeap", () => {
  it("drains in score order, keeping every (score, id) pair, when given any scores (max and min)", () => {
    fc.assert(
      fc.property(scores, fc.boolean(), fc.integer({ min: 1, max: 8 }), (xs, max, capacity) => {
        // A small initial capacity makes the heap grow several times.
        const h = new ScoreHeap(max, capacity);
        xs.forEach((s, id) => h.push(s, id));
        expect(h.size).toBe(xs.length);
        const out = drain(h);
        // 0 and -0 are equal scores, so the heap may drain them in either order; toEqual would tell them apart.
        const want = xs.map((s) => s + 0).sort((a, b) => (max ? b - a : a - b));
        expect(out.map((p) => p[0] + 0)).toEqual(want);
        expect([...out].sort(byPair)).toEqual(xs.map((s, id): [number, number] => [s, id]).sort(byPair));
      }),
    );
  });

  it("matches a sorted-list model when pushes, pops and clears interleave", () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer({ min: -50, max: 50 }) }),
      fc.constant({ pop: true as const }),
      fc.constant({ clear: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), fc.boolean(), (ops, max) => {
        const h = new ScoreHeap(max, 1);
        let model: number[] = [];
        ops.forEach((o, id) => {
          if ("push" in o) {
            h.push(o.push, id);
            model.push(o.push);
          } else if ("pop" in o) {
            if (model.length === 0) return;
            model.sort((a, b) => (max ? b - a : a - b));
            expect(h.topScore()).toBe(model[0]);
            h.pop();
            model.shift();
          } else {
            h.clear();
            model = [];
          }
          expect(h.size).toBe(model.length);
        });
      }),
    );
  });

  it("keeps the k best scores with a bounded min-heap (the search's top-k), as sorting does", () => {
    fc.assert(
      fc.property(scores, fc.integer({ min: 1, max: 20 }), (xs, k) => {
        const h = new ScoreHeap(false);
        xs.forEach((s, id) => {
          if (h.size < k) h.push(s, id);
          else if (s > h.topScore()) {
            h.pop();
            h.push(s, id);
          }
        });
        const kept = drain(h).map((p) => p[0]).sort((a, b) => b - a);
        expect(kept).toEqual([...xs].sort((a, b) => b - a).slice(0, k));
      }),
    );
  });
});

import { describe, expect, it } from "vitest";
import { clusteredVectors } from "@leann/testing";
import { trainPq, type PqTrainOptions } from "../src/quantize/pq.js";
import { trainPqOnWorkers, type TrainPacing } from "../src/quantize/train-workers.js";
import { finish, type Steps } from "../src/util/steps.js";

const DIMS = 32;
const vectors = clusteredVectors(1200, DIMS, 3, 12, 0.6);

/** Runs every computation at once and counts the safe points between subspaces; throws at safe point `stopAt`. */
function pacing(stopAt = Infinity): TrainPacing & { points: number } {
  const p = {
    points: 0,
    run: <T>(steps: Steps<T>) => Promise.resolve(finish(steps)),
    point: () => {
      if (++p.points >= stopAt) throw new Error(`stopped at safe point ${p.points}`);
      return undefined;
    },
  };
  return p;
}

describe("codebook training on worker threads", () => {
  it.each([
    ["8-bit codes after a rotation", { subspaces: 16, bits: 8, rotate: true }],
    ["4-bit codes", { subspaces: 12, bits: 4 }],
    ["8-bit codes one dimension a subspace", { subspaces: 32, bits: 8 }],
  ] as const)("makes the codebook trainPq makes, byte for byte, with %s", async (_, layout) => {
    const opts: PqTrainOptions = { ...layout, seed: 9, sample: 1024, iterations: 6 };
    const alone = trainPq(vectors, DIMS, opts);
    const p = pacing();
    const shared = await trainPqOnWorkers(vectors, DIMS, opts, 2, p);
    expect(p.points).toBe(alone.subspaces); // it really ran on the workers: a safe point a subspace
    expect(Buffer.from(shared.centroids.buffer).equals(Buffer.from(alone.centroids.buffer))).toBe(true);
    expect(shared.rotation ?? null).toEqual(alone.rotation ?? null);
    expect(shared.bounds).toEqual(alone.bounds);
  });

  it("stops at the safe point that throws and passes the error on", async () => {
    const p = pacing(3);
    await expect(trainPqOnWorkers(vectors, DIMS, { subspaces: 16, bits: 8, seed: 9, sample: 1024, iterations: 6 }, 2, p)).rejects.toThrow("stopped at safe point 3");
    expect(p.points).toBe(3);
  });
});

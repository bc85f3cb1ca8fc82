import { afterEach, describe, expect, it, vi } from "vitest";
import { GatedEmbedder, HashEmbedder, leannErrorOf } from "@leann/testing";
import { Pacer } from "../src/build/pacer.js";
import { buildCore } from "../src/build/pipeline.js";
import { AbortedError, InvalidOptionsError, LeannIndex, type BuildPhase, type BuildProgress } from "../src/index.js";
import { buildOptionsSchema, parseOptions } from "../src/options.js";
import { encodeCore } from "../src/persist/codec.js";
import { normalizeRows } from "../src/util/vector.js";
import { clustered, rows } from "./helpers.js";

const N = 600;
const DIMS = 32;
const flat = clustered(N, DIMS, 11);
normalizeRows(flat, DIMS);
const vectors = rows(flat, DIMS);
const passages = vectors.map((_, i) => ({ id: `p${i}`, text: `passage ${i}` }));
// One thread (the graph's insertions run here, between safe points) and a learnt rotation (its training is cut too).
const OPTIONS = { threads: 1, pqRotation: true, seed: 5 } as const;

/**
 * An AbortSignal look-alike the build reads at its safe points: once armed, it counts the
 * reads and reports aborted from read `after + 1` on. No timing is involved: where the
 * build stops is fixed by the count.
 */
class CountingSignal {
  armed = false;
  reads = 0;
  constructor(private readonly after = Infinity) {}
  get aborted(): boolean {
    if (!this.armed) return false;
    this.reads++;
    return this.reads > this.after;
  }
}

/** Builds with `signal`, arming it at the first progress report of `phase`; returns the reports seen and the outcome. */
async function buildArmedAt(phase: BuildPhase, signal: CountingSignal) {
  const seen: BuildProgress[] = [];
  let readsInPhase = -1;
  const build = LeannIndex.build(passages, {
    ...OPTIONS,
    embedder: new HashEmbedder({ dims: DIMS }),
    vectors,
    signal: signal as unknown as AbortSignal,
    onProgress: (p) => {
      seen.push(p);
      if (p.phase === phase) signal.armed = true;
      else if (signal.armed && readsInPhase < 0) readsInPhase = signal.reads;
    },
  });
  const outcome = await build.then(
    (index) => ({ index, error: null }),
    (error: unknown) => ({ index: null, error }),
  );
  return { seen, outcome, readsInPhase: readsInPhase < 0 ? signal.reads : readsInPhase };
}

describe("LeannIndex.build with a signal", () => {
  it.each(["graph", "prune", "quantize"] as const)("stops in the %s step at the next safe point after the signal aborts", async (phase) => {
    // A run that never aborts counts the safe points of the phase.
    const full = await buildArmedAt(phase, new CountingSignal());
    expect(full.outcome.error).toBeNull();
    await full.outcome.index!.close();
    const total = full.readsInPhase;
    expect(total).toBeGreaterThan(8); // the phase is cut finely enough to stop inside it

    for (const after of [0, total >> 1]) {
      const signal = new CountingSignal(after);
      const run = await buildArmedAt(phase, signal);
      expect(run.outcome.error).toBeInstanceOf(AbortedError);
      const err = run.outcome.error as AbortedError;
      expect(err.code).toBe("ABORTED");
      expect(err.phase).toBe(phase);
      // Stopped at the first safe point that saw the abort: not one more was passed.
      expect(signal.reads).toBe(after + 1);
      expect(signal.reads).toBeLessThan(total);
      // The phase never finished and no later phase began.
      const later = ["graph", "prune", "quantize"].slice(["graph", "prune", "quantize"].indexOf(phase) + 1);
      expect(run.seen.some((p) => later.includes(p.phase))).toBe(false);
      if (phase !== "graph") expect(run.seen.some((p) => p.phase === phase && p.done === p.total)).toBe(false);
    }
  });

  it("stops a graph built by worker threads between their batches", async () => {
    const controller = new AbortController();
    const graphDone: number[] = [];
    const err = await leannErrorOf(
      LeannIndex.build(passages, {
        ...OPTIONS,
        threads: 2,
        embedder: new HashEmbedder({ dims: DIMS }),
        vectors,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase !== "graph") return;
          graphDone.push(p.done);
          // Past the first few hundred nodes the batches go to the workers.
          if (p.done >= 400) controller.abort();
        },
      }),
    );
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as AbortedError).phase).toBe("graph");
    expect(Math.max(...graphDone)).toBeLessThan(N);
  });

  it("stops codebooks trained by worker threads between their subspaces", async () => {
    const signal = new CountingSignal(3);
    const seen: BuildProgress[] = [];
    const err = await leannErrorOf(
      LeannIndex.build(passages, {
        ...OPTIONS,
        threads: 2,
        embedder: new HashEmbedder({ dims: DIMS }),
        vectors,
        signal: signal as unknown as AbortSignal,
        onProgress: (p) => {
          seen.push(p);
          if (p.phase === "quantize") signal.armed = true;
        },
      }),
    );
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as AbortedError).phase).toBe("quantize");
    expect(signal.reads).toBe(4);
    expect(seen.some((p) => p.phase === "quantize" && p.done === p.total)).toBe(false);
  });

  it("rejects at once while an embedder call hangs, and starts no further call", async () => {
    const gated = new GatedEmbedder(new HashEmbedder({ dims: DIMS }));
    gated.hold();
    const controller = new AbortController();
    const build = LeannIndex.build(passages.slice(0, 300), { ...OPTIONS, embedder: gated, embedBatchSize: 100, embedConcurrency: 1, signal: controller.signal });
    (await gated.nextCall()).release();
    await gated.nextCall(); // the second batch hangs: it is never released
    controller.abort(new Error("user pressed Ctrl-C"));
    const err = await leannErrorOf(build);
    expect(err).toBeInstanceOf(AbortedError);
    expect((err as AbortedError).phase).toBe("embed");
    expect((err.cause as Error).message).toBe("user pressed Ctrl-C");
    gated.open();
    expect(gated.waiting).toBe(0); // no third call was started
  });

  it("embeds nothing when the signal has already aborted", async () => {
    const embedder = new HashEmbedder({ dims: DIMS });
    const err = await leannErrorOf(LeannIndex.build(passages, { embedder, signal: AbortSignal.abort() }));
    expect(err).toBeInstanceOf(AbortedError);
    expect(embedder.calls.length).toBe(0);
  });

  it("refuses a signal that is not an AbortSignal", async () => {
    const err = await leannErrorOf(LeannIndex.build(passages, { embedder: new HashEmbedder({ dims: DIMS }), signal: "stop" as unknown as AbortSignal }));
    expect(err).toBeInstanceOf(InvalidOptionsError);
    expect(err.message).toMatch(/signal must be an AbortSignal/);
  });
});

describe("a build paced in slices", () => {
  afterEach(() => vi.useRealTimers());

  it("writes the same index bytes whether or not the event loop runs at every safe point", async () => {
    // The header's createdAt is the only field that may differ: hold the clock (setImmediate stays real).
    vi.useFakeTimers({ toFake: ["Date"], now: 0 });
    const o = parseOptions(buildOptionsSchema, OPTIONS, "test");
    const encoded = async (sliceMs: number) => {
      let turns = 0;
      let building = true;
      const tick = () => {
        turns++;
        if (building) setImmediate(tick);
      };
      setImmediate(tick);
      const { core } = await buildCore(Float32Array.from(flat), DIMS, o, () => {}, { graph: 0, prune: 0, quantize: 0 }, undefined, new Pacer(undefined, "test", sliceMs));
      building = false;
      const bytes = Buffer.concat(encodeCore(core, N, core.graph.frozen().graph));
      return { bytes, turns };
    };
    const unpaced = await encoded(Infinity);
    const paced = await encoded(0);
    expect(paced.turns).toBeGreaterThan(unpaced.turns + 100); // the loop really ran in between
    expect(paced.bytes.equals(unpaced.bytes)).toBe(true);
  });
});

/** SyncScheduler (leann watch's timing), on fake timers: bursts coalesce, syncs never overlap, nothing is lost. */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SyncScheduler } from "../packages/cli/src/watch/scheduler.js";

/** A sync whose runs are held until the test lets each one finish. */
function heldSync() {
  const finishers: (() => void)[] = [];
  let running = 0, overlapped = false;
  const sync = vi.fn(
    () =>
      new Promise<void>((resolve) => {
        if (++running > 1) overlapped = true;
        finishers.push(() => {
          running--;
          resolve();
        });
      }),
  );
  return { sync, finishNext: () => finishers.shift()!(), get overlapped() { return overlapped; } };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("SyncScheduler", () => {
  it("runs one sync for a burst of changes once they stop for debounceMs", async () => {
    const h = heldSync();
    const s = new SyncScheduler(100, h.sync);
    for (let i = 0; i < 5; i++) {
      s.poke();
      await vi.advanceTimersByTimeAsync(60);
    }
    expect(h.sync).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(100);
    expect(h.sync).toHaveBeenCalledTimes(1);
    h.finishNext();
    await s.stop();
  });

  it("syncs once more after a sync during which changes arrived, never two at once", async () => {
    const h = heldSync();
    const s = new SyncScheduler(10, h.sync);
    s.poke();
    await vi.advanceTimersByTimeAsync(10);
    expect(h.sync).toHaveBeenCalledTimes(1);
    s.poke();
    s.poke();
    await vi.advanceTimersByTimeAsync(50);
    expect(h.sync).toHaveBeenCalledTimes(1); // still running: the changes wait
    h.finishNext();
    await vi.advanceTimersByTimeAsync(0);
    expect(h.sync).toHaveBeenCalledTimes(2);
    h.finishNext();
    await vi.advanceTimersByTimeAsync(50);
    expect(h.sync).toHaveBeenCalledTimes(2);
    expect(h.overlapped).toBe(false);
    await s.stop();
  });

  it("keeps scheduling after a sync that throws", async () => {
    const sync = vi.fn().mockRejectedValueOnce(new Error("model hiccup")).mockResolvedValue(undefined);
    const s = new SyncScheduler(10, sync);
    await s.runNow();
    s.poke();
    await vi.advanceTimersByTimeAsync(10);
    expect(sync).toHaveBeenCalledTimes(2);
    await s.stop();
  });

  it("waits for the sync in flight when stopped, and ignores changes after", async () => {
    const h = heldSync();
    const s = new SyncScheduler(10, h.sync);
    s.poke();
    await vi.advanceTimersByTimeAsync(10);
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    s.poke();
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    h.finishNext();
    await stopping;
    await vi.advanceTimersByTimeAsync(100);
    expect(h.sync).toHaveBeenCalledTimes(1);
  });
});

/**
 * Long synchronous computations (graph pruning, rotation and codebook training, encoding)
 * are written as generators that yield at safe points: places where stopping leaves
 * nothing behind and where a caller may let the event loop run (to see a Ctrl-C, or to
 * keep serving). The modules stay pure: they know nothing of time, signals or timers, and
 * a yield changes no result. `finish` runs such a computation to its end on the spot; the
 * build runs it cooperatively (build/pacer.ts).
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs `steps` to its end synchronously and returns its result. */
export function finish<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

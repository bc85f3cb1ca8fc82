import { AbortedError, InvalidOptionsError } from "../errors.js";
import type { BuildPhase } from "../types.js";
import type { Steps } from "../util/steps.js";

/**
 * Longest stretch of build work between two turns of the event loop. A SIGINT handler (or
 * an abort from another task) runs only on a turn, so this bounds how late an abort is
 * seen; each turn costs a few microseconds, so 50 ms costs nothing measurable.
 */
export const SLICE_MS = 50;

/** What the build reads of an AbortSignal: a test or an older runtime may pass a look-alike without listeners. */
export type SignalLike = Pick<AbortSignal, "aborted"> & Partial<Pick<AbortSignal, "reason" | "addEventListener" | "removeEventListener">>;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Paces a build on the main thread: at every safe point it checks the caller's signal,
 * and once a slice of work is used up it lets the event loop run. The first safe point of
 * each phase always turns the loop, so an interrupt that arrived between phases is seen
 * before the next phase does any work.
 */
export class Pacer {
  phase: BuildPhase = "embed";
  private last = -Infinity;

  constructor(
    private readonly signal: SignalLike | undefined,
    private readonly operation = "LeannIndex.build",
    private readonly sliceMs = SLICE_MS,
  ) {}

  /** Enters `phase`: its first safe point turns the loop. */
  begin(phase: BuildPhase): void {
    this.phase = phase;
    this.last = -Infinity;
  }

  /**
   * Throws when the signal has aborted.
   * @throws AbortedError
   */
  check(): void {
    if (this.signal?.aborted) throw new AbortedError(this.operation, this.phase, this.signal.reason);
  }

  /**
   * A safe point: throws when aborted; returns a promise to await when the slice is used
   * up (the loop turns, then the signal is checked again), else nothing.
   * @throws AbortedError
   */
  point(): Promise<void> | undefined {
    this.check();
    if (performance.now() - this.last < this.sliceMs) return undefined;
    return this.pause();
  }

  private async pause(): Promise<void> {
    await turn();
    this.last = performance.now();
    this.check();
  }

  /**
   * Runs a computation cut at safe points (util/steps.ts), pausing at them as `point` says.
   * @throws AbortedError when the signal aborts before it ends
   */
  async run<T>(steps: Steps<T>): Promise<T> {
    try {
      for (;;) {
        const r = steps.next();
        if (r.done) return r.value;
        const p = this.point();
        if (p) await p;
      }
    } finally {
      steps.return(undefined as T);
    }
  }

  /**
   * Settles as `work` does, or rejects with AbortedError (naming `phase`) as soon as the
   * signal aborts; work that cannot be cancelled, an embedder call, is left to finish unobserved.
   * @throws AbortedError, or whatever `work` rejects with
   */
  abortable<T>(work: Promise<T>, phase: BuildPhase = this.phase): Promise<T> {
    const signal = this.signal;
    if (!signal || typeof signal.addEventListener !== "function") return work;
    if (signal.aborted) {
      work.catch(() => {});
      return Promise.reject(new AbortedError(this.operation, phase, signal.reason));
    }
    return new Promise<T>((resolve, reject) => {
      const stop = () => {
        work.catch(() => {}); // its late failure is of no interest any more
        reject(new AbortedError(this.operation, phase, signal.reason));
      };
      signal.addEventListener!("abort", stop, { once: true });
      const done = () => signal.removeEventListener?.("abort", stop);
      work.then(
        (v) => (done(), resolve(v)),
        (err: unknown) => (done(), reject(err)),
      );
    });
  }
}

/**
 * Checks the `signal` option at the public boundary.
 * @throws InvalidOptionsError when it is given and is not an AbortSignal-like object
 */
export function checkSignal(signal: unknown, where: string): SignalLike | undefined {
  if (signal === undefined) return undefined;
  if (typeof signal !== "object" || signal === null || typeof (signal as SignalLike).aborted !== "boolean") {
    throw new InvalidOptionsError(`${where}: signal must be an AbortSignal (e.g. new AbortController().signal), received ${signal === null ? "null" : typeof signal}.`);
  }
  return signal as SignalLike;
}

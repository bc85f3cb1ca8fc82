/**
 * Stopping long work at a safe point when the user presses Ctrl-C. The executable turns
 * SIGINT into an aborted AbortSignal (process-io.ts); commands check it between steps,
 * and a step that waits on something slow (an embedding batch) is raced against it, so
 * an interrupt is seen within moments in every phase that yields to the event loop.
 */
import { CliError, EXIT } from "./exit-codes.js";

/** The error of an interrupted command: exit code 130, code INTERRUPTED. */
export const interrupted = (message: string, hint?: string) => new CliError(EXIT.INTERRUPTED, "INTERRUPTED", message, hint);

/**
 * Throws the interruption when `signal` has aborted.
 * @throws CliError INTERRUPTED
 */
export function throwIfInterrupted(signal: AbortSignal | undefined, message: () => string, hint?: string): void {
  if (signal?.aborted) throw interrupted(message(), hint);
}

/**
 * Settles as `work` does, or rejects with `onAbort()` as soon as `signal` aborts. The
 * work itself cannot be cancelled (an embedding batch runs to its end): it is left to
 * finish unobserved, and the executable exits without waiting for it.
 * @throws whatever `work` rejects with, or the error `onAbort` returns
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort: () => Error): Promise<T> {
  // A signal-like object without listeners (tests) is only checked between steps.
  if (!signal || typeof signal.addEventListener !== "function") return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(onAbort());
  }
  return new Promise<T>((resolve, reject) => {
    const stop = () => {
      work.catch(() => {}); // its late failure is of no interest any more
      reject(onAbort());
    };
    signal.addEventListener("abort", stop, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener("abort", stop);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", stop);
        reject(err);
      },
    );
  });
}

/**
 * A safe point after synchronous work: lets the event loop turn once, so a SIGINT that
 * arrived while the thread was busy (graph pruning, PQ training) runs its handler, then
 * throws the interruption if it came.
 * @throws CliError INTERRUPTED
 */
export async function safePoint(signal: AbortSignal | undefined, message: () => string, hint?: string): Promise<void> {
  // Signals are dispatched in the loop's poll phase. One setImmediate may run in the
  // check phase of the current iteration, with no poll before it; the second one runs
  // in the next iteration, after a poll.
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  throwIfInterrupted(signal, message, hint);
}

const settle = (): void => undefined;

/**
 * Orders the store's operations on its one index.
 *
 * Writes (add, delete, save) run one at a time, each after every operation started
 * before it; reads (searches) run concurrently with each other but never overlap a
 * write. The index mutates its graph and codes across `await` points (embedding),
 * and a search spans several of them (recomputation batches), so an unordered
 * search could walk a half-inserted graph. Serialising writes also makes the lazy
 * first build safe: two concurrent first adds would otherwise both build, and one
 * index would be lost.
 *
 * A failed task does not poison the queue: later tasks still run.
 */
export class ReadWriteLock {
  /** Settles when the last write queued so far has finished. */
  private lastWrite: Promise<void> = Promise.resolve();
  /** Reads started since the last write was queued, each settling when it finishes. */
  private readers: Promise<void>[] = [];

  read<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lastWrite.then(task);
    this.readers.push(run.then(settle, settle));
    return run;
  }

  write<T>(task: () => Promise<T>): Promise<T> {
    // The write waits for the previous write and every read queued since; later reads
    // wait for this write, so the readers list can start afresh.
    const run = Promise.all([this.lastWrite, ...this.readers]).then(task);
    this.lastWrite = run.then(settle, settle);
    this.readers = [];
    return run;
  }
}

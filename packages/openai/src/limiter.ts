/**
 * Bounds the requests in flight for one embedder instance: every call on it (the
 * concurrent searches of a server, a build's batches) shares the same slots, so the
 * inference server sees at most `limit` requests from this process.
 */
export class Limiter {
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Runs `task` once a slot is free; slots are handed over in FIFO order. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.inFlight < this.limit) this.inFlight++;
    else await new Promise<void>((grant) => this.queue.push(grant));
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      // The slot passes straight to the next waiter, so the count is unchanged.
      if (next === undefined) this.inFlight--;
      else next();
    }
  }
}

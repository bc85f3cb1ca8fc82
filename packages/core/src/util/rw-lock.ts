/**
 * A readers-writer lock for one index: searches share it, mutations (add, delete,
 * compact, save) hold it alone and run in call order. A waiting writer goes before
 * readers that arrive after it, so a stream of searches cannot starve updates.
 */
export class ReadWriteLock {
  private readers = 0;
  private writing = false;
  private readonly queue: { write: boolean; wake: () => void }[] = [];

  async read<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writing || this.queue.length > 0) await new Promise<void>((wake) => this.queue.push({ write: false, wake }));
    else this.readers++;
    try {
      return await fn();
    } finally {
      this.readers--;
      this.next();
    }
  }

  async write<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writing || this.readers > 0 || this.queue.length > 0) await new Promise<void>((wake) => this.queue.push({ write: true, wake }));
    else this.writing = true;
    try {
      return await fn();
    } finally {
      this.writing = false;
      this.next();
    }
  }

  private next(): void {
    if (this.writing || this.readers > 0) return;
    const head = this.queue[0];
    if (!head) return;
    if (head.write) {
      this.queue.shift();
      this.writing = true;
      head.wake();
      return;
    }
    while (this.queue.length > 0 && !this.queue[0]!.write) {
      this.readers++;
      this.queue.shift()!.wake();
    }
  }
}

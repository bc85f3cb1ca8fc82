/**
 * When to sync: after changes stop arriving for `debounceMs` (an editor's save, a git
 * checkout or an unzip is a burst of events, and one sync should cover it), never two
 * syncs at once, and once more after a sync if changes arrived while it ran.
 */
export class SyncScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;

  constructor(
    private readonly debounceMs: number,
    /** Does one sync; its errors are the caller's to report (a throw here is swallowed). */
    private readonly sync: () => Promise<void>,
  ) {}

  /** Something changed: sync once things have been quiet for debounceMs. */
  poke(): void {
    if (this.stopped) return;
    this.dirty = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.debounceMs);
  }

  /** Runs a sync now (the start-up catch-up) and resolves when it is done. */
  async runNow(): Promise<void> {
    this.dirty = true;
    this.fire();
    while (this.running) await this.running;
  }

  /** No more syncs; resolves once the one in flight (if any) has finished, so nothing stops half-way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    while (this.running) await this.running;
  }

  private fire(): void {
    // A sync is running: it will see dirty set and go again when it ends.
    if (this.running || this.stopped || !this.dirty) return;
    this.dirty = false;
    this.running = this.sync()
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        if (this.dirty && !this.stopped) this.fire();
      });
  }
}

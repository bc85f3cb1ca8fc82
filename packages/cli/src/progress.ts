/**
 * A one-line progress bar with rate and ETA on stderr. It draws only on a terminal
 * (and not with --quiet): piped output and logs stay clean.
 */

export interface TextSink {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const REDRAW_MS = 100;

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "--:--";
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}` : `${m}:${String(sec).padStart(2, "0")}`;
}

export class Progress {
  private label = "";
  private total = 0;
  /** Work already done when the phase started (a resumed build): not counted in the rate. */
  private base = 0;
  private done = 0;
  private started = 0;
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly sink: TextSink,
    readonly enabled: boolean,
    private unit = "",
    private readonly now: () => number = () => performance.now(),
  ) {}

  start(label: string, total: number, already = 0, unit = this.unit): void {
    this.label = label;
    this.total = total;
    this.base = already;
    this.done = already;
    this.started = this.now();
    this.lastDraw = 0;
    this.unit = unit;
    this.draw(true);
  }

  update(done: number, total = this.total): void {
    this.done = done;
    this.total = total;
    this.draw(false);
  }

  /** The current line: "embed  [#####.....]  512/1,024  50%  85/s  ETA 0:06". */
  render(width = 100): string {
    const { done, total } = this;
    const elapsed = this.now() - this.started;
    // A one-step phase has no rate to show.
    if (total <= 1) return `${this.label.padEnd(8)} ${done >= total ? `done in ${formatDuration(elapsed)}` : "..."}`;
    const rate = elapsed > 0 ? ((done - this.base) * 1000) / elapsed : 0;
    const eta = rate > 0 ? ((total - done) / rate) * 1000 : Number.NaN;
    const pct = total > 0 ? Math.floor((done / total) * 100) : 100;
    const counts = `${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")}${this.unit ? ` ${this.unit}` : ""}`;
    const tail = `${counts}  ${String(pct).padStart(3)}%  ${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)}/s  ${done >= total ? `took ${formatDuration(elapsed)}` : `ETA ${formatDuration(eta)}`}`;
    const barWidth = Math.max(10, Math.min(30, width - tail.length - this.label.length - 8));
    const filled = total > 0 ? Math.round((done / total) * barWidth) : barWidth;
    return `${this.label.padEnd(8)} [${"#".repeat(filled)}${".".repeat(barWidth - filled)}]  ${tail}`;
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const t = this.now();
    if (!force && t - this.lastDraw < REDRAW_MS && this.done < this.total) return;
    this.lastDraw = t;
    this.sink.write(`\r\x1b[2K${this.render(this.sink.columns ?? 100)}`);
    this.drawn = true;
  }

  /** Ends the bar's line (leaving the final state visible). */
  finish(): void {
    if (!this.enabled || !this.drawn) return;
    this.draw(true);
    this.sink.write("\n");
    this.drawn = false;
  }

  /** Prints a line above the bar. */
  note(line: string): void {
    if (!this.enabled) return;
    if (this.drawn) this.sink.write("\r\x1b[2K");
    this.sink.write(line + "\n");
    if (this.drawn) this.draw(true);
  }
}

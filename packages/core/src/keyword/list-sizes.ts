/**
 * The saved size of every posting list (Rice-coded gaps and gamma-coded term frequencies, codec.ts), kept current
 * at the cost of what changed, as the graph keeps its lists' compressed sizes (graph/live-graph.ts): a posting
 * appended in order adds its own codes' bits; a list is measured again when it was rewritten (postings merged out of
 * order) or when its Rice parameter changed (the document count or its posting count crossed a threshold). The sum
 * is exactly the bytes encoding writes for the lists.
 */
import { decodeList } from "./posting-list.js";
import { LIST_HEADER_BITS, gammaBits, riceBits, riceParameter } from "./rice.js";

/** The parts of a postings index the sizes are measured on. */
export interface ListsView {
  capacity: number;
  lists: readonly Uint8Array[];
  used: readonly number[];
  df: readonly number[];
}

export class ListSizes {
  /** Per term: saved bytes as last measured (0: no postings, not saved), its Rice parameter, and the document
   * count from which that parameter changes. */
  private bytes: number[] = [];
  private kUntil: number[] = [];
  /** Per term, the parts of its size: Rice parameter, bits of the gap codes with it, bits of the frequencies' gamma
   * codes, whether every frequency is 1; kept up to date by `appended` between measures. */
  private k: number[] = [];
  private gapBits: number[] = [];
  private tfBits: number[] = [];
  private allOnes: boolean[] = [];
  /** Terms that `appended` grew since the last update. */
  private grown = new Set<number>();
  private total = 0;
  private terms = 0;
  /** Lists measured since this was made (a work counter). */
  measured = 0;

  /**
   * Measures the lists `stale` names ("all": every list, forgetting earlier sizes), the terms new since the last
   * call, and those whose Rice parameter `view.capacity` changed; returns the lists' saved bytes and how many are
   * saved.
   */
  update(view: ListsView, stale: ReadonlySet<number> | "all"): { bytes: number; terms: number } {
    const n = view.df.length;
    if (stale === "all") {
      this.bytes = [];
      this.kUntil = [];
      this.k = [];
      this.gapBits = [];
      this.tfBits = [];
      this.allOnes = [];
      this.total = this.terms = 0;
      for (let t = 0; t < n; t++) this.measure(view, t);
    } else {
      for (const t of stale) this.measure(view, t);
      for (const t of this.grown) {
        if (stale.has(t) || t >= this.bytes.length) continue;
        // Appends were coded with the parameter the list had; if its grown count moved it, measure it all again.
        if (riceParameter(view.capacity, view.df[t]!) !== this.k[t]) this.measure(view, t);
        else this.settle(t, Math.ceil((LIST_HEADER_BITS + this.gapBits[t]! + (this.allOnes[t] ? 0 : this.tfBits[t]!)) / 8), nextRiceChange(view.capacity, view.df[t]!, this.k[t]!));
      }
      for (let t = this.bytes.length; t < n; t++) this.measure(view, t);
      for (let t = 0; t < n; t++) if (view.capacity >= this.kUntil[t]!) this.measure(view, t);
    }
    this.grown.clear();
    return { bytes: this.total, terms: this.terms };
  }

  /** A posting appended to term t's list (`gap` from its previous doc id, or doc id + 1), after t was measured. */
  appended(t: number, gap: number, tf: number): void {
    if (t >= this.bytes.length) return; // a new term: measured whole at the next update
    this.gapBits[t]! += riceBits(gap - 1, this.k[t]!);
    this.tfBits[t]! += gammaBits(tf);
    if (tf !== 1) this.allOnes[t] = false;
    this.grown.add(t);
  }

  private measure(view: ListsView, t: number): void {
    const df = view.df[t]!;
    let bytes = 0, kUntil = Number.POSITIVE_INFINITY, k = 0, gaps = 0, tfs = 0, allOnes = true;
    if (df > 0) {
      k = riceParameter(view.capacity, df);
      let last = -1;
      decodeList(view.lists[t]!, view.used[t]!, (doc, tf) => {
        gaps += riceBits(doc - last - 1, k);
        tfs += gammaBits(tf);
        if (tf !== 1) allOnes = false;
        last = doc;
      });
      // Each list is padded to a whole byte.
      bytes = Math.ceil((LIST_HEADER_BITS + gaps + (allOnes ? 0 : tfs)) / 8);
      kUntil = nextRiceChange(view.capacity, df, k);
    }
    this.k[t] = k;
    this.gapBits[t] = gaps;
    this.tfBits[t] = tfs;
    this.allOnes[t] = allOnes;
    this.settle(t, bytes, kUntil);
    this.measured++;
  }

  private settle(t: number, bytes: number, kUntil: number): void {
    const was = this.bytes[t] ?? 0;
    if (was > 0) this.terms--;
    if (bytes > 0) this.terms++;
    this.total += bytes - was;
    this.bytes[t] = bytes;
    this.kUntil[t] = kUntil;
  }
}

/**
 * The smallest document count above `capacity` at which a list of `df` postings gets another Rice parameter than
 * `k` (the parameter only grows with the count): the analytic threshold, then settled on riceParameter itself so
 * that floating point cannot make the two disagree.
 */
function nextRiceChange(capacity: number, df: number, k: number): number {
  if (k >= 24) return Number.POSITIVE_INFINITY;
  let c = Math.max(capacity + 1, Math.ceil((2 ** (k + 1) * df) / Math.LN2));
  while (c > capacity + 1 && riceParameter(c - 1, df) !== k) c--;
  while (riceParameter(c, df) === k) c++;
  return c;
}

/**
 * A term dictionary: distinct strings numbered 0, 1, 2, ... in the order they were first seen. The postings index
 * keys its per-term arrays by these numbers, and the build's background tokenising (build/keyword-tokens.ts)
 * stores rows of them instead of strings (4 bytes a token), so both intern through this one loop.
 */
export class TermDictionary {
  private readonly ids = new Map<string, number>();
  private readonly list: string[];

  /** A dictionary holding `terms` as ids 0..n-1 (they must be distinct). */
  constructor(terms: string[] = []) {
    this.list = terms;
    for (let i = 0; i < terms.length; i++) this.ids.set(terms[i]!, i);
  }

  /** The number of `term`, numbering it next when it is new. */
  intern(term: string): number {
    let id = this.ids.get(term);
    if (id === undefined) {
      id = this.list.length;
      this.ids.set(term, id);
      this.list.push(term);
    }
    return id;
  }

  /** The number of `term`, or undefined when it was never interned. */
  id(term: string): number | undefined {
    return this.ids.get(term);
  }

  /** The term numbered `id`. */
  term(id: number): string {
    return this.list[id]!;
  }

  get size(): number {
    return this.list.length;
  }

  /** Every term, by number (the dictionary's own array: do not change it). */
  get terms(): string[] {
    return this.list;
  }
}

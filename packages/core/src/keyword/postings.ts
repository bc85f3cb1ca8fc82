/**
 * Compressed inverted index: a term dictionary, and per term a posting list of (doc-id gap, term frequency) pairs
 * as varints, plus document lengths for BM25.
 *
 * A posting is one varint `gap * 2 + (tf > 1 ? 1 : 0)`, followed by `tf - 2` as a varint only when tf > 1: most
 * terms occur once in a passage, so a typical posting is one byte when documents are dense in the list and two or
 * three for rare terms (Zobel & Moffat, "Inverted files for text search engines", 2006, on gap coding).
 *
 * Documents are internal u32 ids (the engine's dense passage ids). Adds in increasing id order append in place;
 * an add below a term's last id is parked and merged into that term's list before the next read. Deletes are
 * tombstones (the postings stay, skipped at query time) until `compact`, which also renumbers.
 */
import { InvalidInputError } from "../errors.js";
import { varintSize } from "../util/varint.js";
import { ListSizes } from "./list-sizes.js";
import { decodeList, encodePosting } from "./posting-list.js";
import { TermDictionary } from "./terms.js";

/** Doc ids are dense array indexes: past this the per-document arrays would be unreasonably large (512 MiB). */
export const MAX_DOC_ID = 2 ** 27 - 1;
/** Term frequencies are capped: a passage repeating one word 65k times is spam, and BM25 saturates long before. */
export const MAX_TF = 65_535;

export { decodeList, encodePosting } from "./posting-list.js";

export const DOC_ABSENT = 0;
export const DOC_LIVE = 1;
export const DOC_DELETED = 2;

/** The raw parts of a postings index, shared with codec.ts; not part of the public API. */
export interface PostingsState {
  capacity: number;
  docState: Uint8Array;
  docLen: Uint32Array;
  terms: string[];
  /** Encoded posting lists; `used[t]` bytes of `lists[t]` are valid (the rest is room to append). */
  lists: Uint8Array[];
  used: number[];
  df: number[];
  last: number[];
}

export class PostingsIndex {
  private capacity = 0;
  private docState: Uint8Array = new Uint8Array(0);
  private docLen: Uint32Array = new Uint32Array(0);
  private liveDocs = 0;
  private deletedDocs = 0;
  private liveLength = 0;
  private dict = new TermDictionary();
  private lists: Uint8Array[] = [];
  private used: number[] = [];
  private df: number[] = [];
  private last: number[] = [];
  /** Out-of-order postings per term, [doc, tf, doc, tf, ...], merged by `flush`. */
  private pending = new Map<number, number[]>();
  /** Per term id, its count in the document being added (zero between adds). */
  private tfScratch = new Uint32Array(0);
  /** A document's term numbers, reused by `add`; its distinct ones, reused by every add. */
  private idScratch = new Uint32Array(0);
  private touched = new Uint32Array(0);

  /** Saved sizes of the lists, and the terms whose list was rewritten since they were measured ("all": every list). */
  private readonly sizes = new ListSizes();
  private stale: Set<number> | "all" = "all";
  /** Compactions since this index was made: term numbers change at each. */
  compactions = 0;

  /** Builds an index from decoded parts (codec.ts checks them first). */
  static fromState(s: PostingsState): PostingsIndex {
    const ix = new PostingsIndex();
    ix.capacity = s.capacity;
    ix.docState = s.docState;
    ix.docLen = s.docLen;
    for (let d = 0; d < s.capacity; d++) {
      if (s.docState[d] === DOC_LIVE) {
        ix.liveDocs++;
        ix.liveLength += s.docLen[d]!;
      } else if (s.docState[d] === DOC_DELETED) ix.deletedDocs++;
    }
    ix.dict = new TermDictionary(s.terms);
    ix.lists = s.lists;
    ix.used = s.used;
    ix.df = s.df;
    ix.last = s.last;
    return ix;
  }

  /** The parts to encode, after merging any parked postings. */
  state(): PostingsState {
    this.flush();
    return {
      capacity: this.capacity,
      docState: this.docState.subarray(0, this.capacity),
      docLen: this.docLen.subarray(0, this.capacity),
      terms: this.dict.terms,
      lists: this.lists,
      used: this.used,
      df: this.df,
      last: this.last,
    };
  }

  /** Live documents (N in BM25). */
  get documentCount(): number {
    return this.liveDocs;
  }
  /** Deleted documents whose postings are still stored (compaction reclaims them). */
  get deletedCount(): number {
    return this.deletedDocs;
  }
  get termCount(): number {
    return this.dict.size;
  }
  /** One past the highest doc id ever added. */
  get docCapacity(): number {
    return this.capacity;
  }
  /** Mean token count of live documents. */
  get averageLength(): number {
    return this.liveDocs > 0 ? this.liveLength / this.liveDocs : 0;
  }
  /** Bytes of encoded postings (without dictionary and document table). */
  get postingBytes(): number {
    let n = 0;
    for (const u of this.used) n += u;
    return n;
  }

  has(docId: number): boolean {
    return docId >= 0 && docId < this.capacity && this.docState[docId] === DOC_LIVE;
  }
  isLive(docId: number): boolean {
    return this.docState[docId] === DOC_LIVE;
  }
  lengthOf(docId: number): number {
    return this.docLen[docId] ?? 0;
  }
  termId(term: string): number | undefined {
    return this.dict.id(term);
  }
  termAt(id: number): string {
    return this.dict.term(id);
  }

  /**
   * Takes `dict` as the dictionary of this index, which must be empty, each of its terms with an empty list: a
   * build numbers its terms while tokenising (build/keyword-tokens.ts), so adding its rows then needs no second
   * dictionary. `dict` belongs to this index from now on. The saved section is the same (it lists terms sorted).
   * `occurrences[t]` (term t's count in the `docs` documents to come) sizes the lists: all in one buffer, each with
   * room for its postings at the gaps they would have if spread evenly, so that few lists grow (each growth copies
   * the list and leaves garbage; a build of 36k passages spent a fifth of its keyword time collecting it).
   * @throws Error when the index already holds terms or documents
   */
  adoptDictionary(dict: TermDictionary, occurrences: ArrayLike<number>, docs: number): void {
    if (this.dict.size !== 0 || this.capacity !== 0) throw new Error("unreachable: adoptDictionary on a postings index already in use");
    const n = dict.size;
    const room = new Uint32Array(n);
    let total = 0;
    for (let t = 0; t < n; t++) {
      const c = occurrences[t] ?? 0;
      // Room to append one posting of the largest size (see append), plus the postings at an even spread.
      room[t] = 15 + (c > 0 ? c * varintSize(2 * Math.ceil(docs / c) + 1) : 0);
      total += room[t]!;
    }
    // Everything is allocated before anything is assigned: a failed allocation leaves the index as it was.
    const slab = new ArrayBuffer(total);
    const lists = new Array<Uint8Array>(n);
    for (let t = 0, at = 0; t < n; at += room[t]!, t++) lists[t] = new Uint8Array(slab, at, room[t]!);
    const used = new Array<number>(n).fill(0);
    const df = new Array<number>(n).fill(0);
    const last = new Array<number>(n).fill(-1);
    this.dict = dict;
    this.lists = lists;
    this.used = used;
    this.df = df;
    this.last = last;
  }

  /** The number of `term`, numbering it next (with an empty posting list) when it is new. */
  internTerm(term: string): number {
    const id = this.dict.intern(term);
    if (id === this.lists.length) {
      this.lists.push(new Uint8Array(8));
      this.used.push(0);
      this.df.push(0);
      this.last.push(-1);
    }
    return id;
  }
  /** Postings stored for a term, deleted documents' included until compaction. */
  docFrequency(termId: number): number {
    return this.df[termId] ?? 0;
  }
  /** Live documents containing a term: `docFrequency` without the deleted ones (a pass over the list when any are). */
  liveDocFrequency(termId: number): number {
    if (this.deletedDocs === 0) return this.docFrequency(termId);
    let n = 0;
    decodeList(this.lists[termId]!, this.used[termId]!, (d) => {
      if (this.docState[d] === DOC_LIVE) n++;
    });
    return n;
  }
  /** The encoded list of a term and its valid length; call `flush` first if adds came out of order. */
  listOf(termId: number): { bytes: Uint8Array; end: number } {
    return { bytes: this.lists[termId]!, end: this.used[termId]! };
  }

  /**
   * Indexes one document given its tokens (with repeats).
   * @throws {InvalidInputError} when `docId` is not an integer in [0, MAX_DOC_ID], is already live, or was
   *   deleted and not yet compacted (its old postings would be mistaken for the new ones).
   */
  add(docId: number, tokens: readonly string[]): void {
    // Checked before interning: a refused add must not leave terms without postings in the dictionary.
    this.checkNew(docId);
    if (this.idScratch.length < tokens.length) this.idScratch = new Uint32Array(Math.max(tokens.length, 2 * this.idScratch.length));
    for (let i = 0; i < tokens.length; i++) this.idScratch[i] = this.internTerm(tokens[i]!);
    this.addChecked(docId, this.idScratch, 0, tokens.length);
  }

  /**
   * `add` for tokens already numbered by `internTerm`: `ids[from..to)`, with repeats.
   * @throws {InvalidInputError} as `add`, or when an id was not given by `internTerm`.
   */
  addTermIds(docId: number, ids: ArrayLike<number>, from: number, to: number): void {
    this.checkNew(docId);
    const terms = this.dict.size;
    for (let i = from; i < to; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < terms)) throw new InvalidInputError(`keyword index: term number ${String(id)} was never interned (the dictionary has ${terms} terms).`);
    }
    this.addChecked(docId, ids, from, to);
  }

  private checkNew(docId: number): void {
    if (!Number.isInteger(docId) || docId < 0 || docId > MAX_DOC_ID) {
      throw new InvalidInputError(`keyword index: doc id must be an integer from 0 to ${MAX_DOC_ID}, received ${String(docId)}.`);
    }
    if (docId < this.capacity && this.docState[docId] !== DOC_ABSENT) {
      throw new InvalidInputError(
        this.docState[docId] === DOC_LIVE
          ? `keyword index: doc id ${docId} is already indexed. Delete it before adding it again.`
          : `keyword index: doc id ${docId} was deleted and its postings are still stored. Call compact() before reusing the id, or use a new id.`,
      );
    }
  }

  private addChecked(docId: number, ids: ArrayLike<number>, from: number, to: number): void {
    const terms = this.dict.size;
    this.ensureCapacity(docId + 1);
    if (terms > this.tfScratch.length) {
      const grown = new Uint32Array(Math.max(1024, this.tfScratch.length * 2, terms));
      grown.set(this.tfScratch);
      this.tfScratch = grown;
    }
    if (this.touched.length < to - from) this.touched = new Uint32Array(Math.max(to - from, 2 * this.touched.length));
    // Term frequencies counted by term id in reused arrays (a Map per document cost more than the postings).
    const tf = this.tfScratch, touched = this.touched;
    let distinct = 0;
    for (let i = from; i < to; i++) {
      const id = ids[i]!;
      if (tf[id] === 0) touched[distinct++] = id;
      if (tf[id]! < MAX_TF) tf[id]!++;
    }
    for (let j = 0; j < distinct; j++) {
      const id = touched[j]!;
      const f = tf[id]!;
      tf[id] = 0;
      if (docId > this.last[id]! && (this.pending.size === 0 || !this.pending.has(id))) this.append(id, docId, f);
      else {
        let p = this.pending.get(id);
        if (!p) this.pending.set(id, (p = []));
        p.push(docId, f);
      }
    }
    const length = to - from;
    this.docState[docId] = DOC_LIVE;
    this.docLen[docId] = length;
    this.liveDocs++;
    this.liveLength += length;
  }

  /** Tombstones a document; returns false when it was not live. */
  delete(docId: number): boolean {
    if (!this.has(docId)) return false;
    this.docState[docId] = DOC_DELETED;
    this.liveDocs--;
    this.deletedDocs++;
    this.liveLength -= this.docLen[docId]!;
    return true;
  }

  /** Merges postings added out of id order into their lists (called before any read of the lists). */
  flush(): void {
    if (this.pending.size === 0) return;
    for (const [id, extra] of this.pending) {
      const docs: number[] = [];
      const tfs: number[] = [];
      decodeList(this.lists[id]!, this.used[id]!, (d, f) => {
        docs.push(d);
        tfs.push(f);
      });
      for (let i = 0; i < extra.length; i += 2) {
        docs.push(extra[i]!);
        tfs.push(extra[i + 1]!);
      }
      this.rewrite(id, docs, tfs);
    }
    this.pending.clear();
  }

  /**
   * Drops the postings of deleted documents and optionally renumbers the rest: `remap(oldId)` returns the new id,
   * or -1 to drop a live document too. Terms left with no postings leave the dictionary.
   * @throws {InvalidInputError} when `remap` returns an id outside [0, MAX_DOC_ID] or the same id for two documents.
   */
  compact(remap?: (oldId: number) => number): void {
    this.flush();
    const map = new Int32Array(this.capacity).fill(-1);
    let newCapacity = 0;
    const seen = new Set<number>();
    for (let d = 0; d < this.capacity; d++) {
      if (this.docState[d] !== DOC_LIVE) continue;
      const nd = remap ? remap(d) : d;
      if (nd === -1) continue;
      if (!Number.isInteger(nd) || nd < 0 || nd > MAX_DOC_ID || seen.has(nd)) {
        throw new InvalidInputError(
          `keyword index: compact remap gave ${String(nd)} for doc ${d}; expected -1 or a unique integer from 0 to ${MAX_DOC_ID}.`,
        );
      }
      seen.add(nd);
      map[d] = nd;
      newCapacity = Math.max(newCapacity, nd + 1);
    }
    const docState = new Uint8Array(newCapacity);
    const docLen = new Uint32Array(newCapacity);
    let liveLength = 0;
    for (let d = 0; d < this.capacity; d++) {
      const nd = map[d]!;
      if (nd < 0) continue;
      docState[nd] = DOC_LIVE;
      docLen[nd] = this.docLen[d]!;
      liveLength += this.docLen[d]!;
    }
    const oldTerms = this.dict.terms, oldLists = this.lists, oldUsed = this.used;
    this.dict = new TermDictionary();
    this.lists = [];
    this.used = [];
    this.df = [];
    this.last = [];
    for (let t = 0; t < oldTerms.length; t++) {
      const pairs: [number, number][] = [];
      decodeList(oldLists[t]!, oldUsed[t]!, (d, f) => {
        const nd = map[d]!;
        if (nd >= 0) pairs.push([nd, f]);
      });
      if (pairs.length === 0) continue;
      pairs.sort((a, b) => a[0] - b[0]);
      const id = this.internTerm(oldTerms[t]!);
      this.rewrite(id, pairs.map((p) => p[0]), pairs.map((p) => p[1]));
    }
    this.stale = "all";
    this.compactions++;
    this.capacity = newCapacity;
    this.docState = docState;
    this.docLen = docLen;
    this.liveDocs = seen.size;
    this.deletedDocs = 0;
    this.liveLength = liveLength;
  }

  /**
   * The bytes the posting lists take saved (codec.ts), and how many lists are saved (terms with postings), exactly
   * as encoding gives them; only lists changed since the last call, and those whose Rice parameter the grown
   * document count changed, are measured again.
   */
  savedLists(): { bytes: number; terms: number } {
    this.flush();
    const r = this.sizes.update({ capacity: this.capacity, lists: this.lists, used: this.used, df: this.df }, this.stale);
    this.stale = new Set();
    return r;
  }

  /** Lists measured by `savedLists` since this index was made (a work counter, as the graph's). */
  get listsMeasured(): number {
    return this.sizes.measured;
  }

  /** Bytes of the saved document table: a varint per doc id (0 absent, 1 deleted, length + 2 live). */
  savedDocTableBytes(): number {
    let n = 0;
    for (let d = 0; d < this.capacity; d++) n += this.docState[d] === DOC_LIVE ? varintSize(this.docLen[d]! + 2) : 1;
    return n;
  }

  private ensureCapacity(n: number): void {
    if (n <= this.capacity) return;
    if (n > this.docState.length) {
      const size = Math.min(MAX_DOC_ID + 1, Math.max(n, this.docState.length * 2, 64));
      const s = new Uint8Array(size);
      s.set(this.docState.subarray(0, this.capacity));
      const l = new Uint32Array(size);
      l.set(this.docLen.subarray(0, this.capacity));
      this.docState = s;
      this.docLen = l;
    }
    this.capacity = n;
  }

  private append(id: number, docId: number, tf: number): void {
    let buf = this.lists[id]!;
    let pos = this.used[id]!;
    if (pos + 15 > buf.length) {
      const grown = new Uint8Array(Math.max(16, buf.length * 2, pos + 15));
      grown.set(buf.subarray(0, pos));
      this.lists[id] = buf = grown;
    }
    const gap = docId - this.last[id]!;
    pos = encodePosting(buf, pos, gap, tf);
    // An append in order grows the list's saved size by its own codes; a rewrite (below) measures it again.
    if (this.stale !== "all") this.sizes.appended(id, gap, tf);
    this.used[id] = pos;
    this.last[id] = docId;
    this.df[id]!++;
  }

  private rewrite(id: number, docs: number[], tfs: number[]): void {
    const order = docs.map((_, i) => i).sort((a, b) => docs[a]! - docs[b]!);
    this.lists[id] = new Uint8Array(Math.max(8, docs.length * 4));
    this.used[id] = 0;
    this.df[id] = 0;
    this.last[id] = -1;
    if (this.stale !== "all") this.stale.add(id);
    for (const i of order) this.append(id, docs[i]!, tfs[i]!);
  }
}

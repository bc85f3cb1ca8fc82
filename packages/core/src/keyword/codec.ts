/**
 * Byte layout of a keyword index (the caller wraps it in a checksummed section; this layer checks every length
 * and every posting, so a bad section fails to load instead of scoring garbage):
 *
 *   "LKW" version(u8 = 1)
 *   meta: varint length + UTF-8 (the tokeniser settings, opaque here)
 *   capacity: varint; then per doc id a varint: 0 absent, 1 deleted (postings still stored), len + 2 live
 *   term count: varint; terms in sorted order, each:
 *     shared prefix with the previous term (UTF-8 bytes, varint), suffix length (varint), suffix bytes,
 *     posting count (varint), posting bytes (varint), postings (see postings.ts)
 *
 * Front coding of the sorted dictionary (Witten, Moffat & Bell, "Managing Gigabytes", 1999) roughly halves it.
 */
import { CorruptIndexError } from "../errors.js";
import { varintSize, writeVarint } from "../util/varint.js";
import { DOC_ABSENT, DOC_DELETED, DOC_LIVE, MAX_DOC_ID, PostingsIndex, decodeList } from "./postings.js";

const MAGIC = [0x4c, 0x4b, 0x57]; // "LKW"
export const KEYWORD_FORMAT_VERSION = 1;
const WHERE = "keyword index";

/** Encodes an index (and the caller's meta string) to bytes. */
export function encodeKeywordIndex(index: PostingsIndex, meta: string): Uint8Array {
  const s = index.state();
  const enc = new TextEncoder();
  const metaBytes = enc.encode(meta);
  const order = s.terms.map((_, i) => i).sort((a, b) => (s.terms[a]! < s.terms[b]! ? -1 : s.terms[a]! > s.terms[b]! ? 1 : 0));
  const termBytes = s.terms.map((t) => enc.encode(t));
  const docCode = (d: number) => (s.docState[d] === DOC_LIVE ? s.docLen[d]! + 2 : s.docState[d] === DOC_DELETED ? 1 : 0);
  let size = 4 + varintSize(metaBytes.length) + metaBytes.length + varintSize(s.capacity) + varintSize(order.length);
  for (let d = 0; d < s.capacity; d++) size += varintSize(docCode(d));
  for (const t of order) size += 3 * 5 + 5 + termBytes[t]!.length + s.used[t]!;
  const out = new Uint8Array(size);
  out.set(MAGIC, 0);
  out[3] = KEYWORD_FORMAT_VERSION;
  let pos = writeVarint(out, 4, metaBytes.length);
  out.set(metaBytes, pos);
  pos += metaBytes.length;
  pos = writeVarint(out, pos, s.capacity);
  for (let d = 0; d < s.capacity; d++) pos = writeVarint(out, pos, docCode(d));
  pos = writeVarint(out, pos, order.length);
  let prev = new Uint8Array(0);
  for (const t of order) {
    const tb = termBytes[t]!;
    let shared = 0;
    while (shared < tb.length && shared < prev.length && tb[shared] === prev[shared]) shared++;
    pos = writeVarint(out, pos, shared);
    pos = writeVarint(out, pos, tb.length - shared);
    out.set(tb.subarray(shared), pos);
    pos += tb.length - shared;
    pos = writeVarint(out, pos, s.df[t]!);
    pos = writeVarint(out, pos, s.used[t]!);
    out.set(s.lists[t]!.subarray(0, s.used[t]!), pos);
    pos += s.used[t]!;
    prev = tb;
  }
  return out.slice(0, pos);
}

/**
 * Decodes bytes written by `encodeKeywordIndex`. Posting lists are views into `bytes` (not copied), so keep the
 * buffer unchanged while the index lives.
 * @throws {CorruptIndexError} when the bytes are not a keyword index of a known version, are truncated, or hold a
 *   posting list that does not decode, points past the document table, or disagrees with its stored count.
 */
export function decodeKeywordIndex(bytes: Uint8Array): { index: PostingsIndex; meta: string } {
  const r = new Reader(bytes);
  if (bytes.length < 4 || bytes[0] !== MAGIC[0] || bytes[1] !== MAGIC[1] || bytes[2] !== MAGIC[2]) {
    throw new CorruptIndexError(WHERE, `does not start with the keyword index magic "LKW". Rebuild the index.`);
  }
  if (bytes[3] !== KEYWORD_FORMAT_VERSION) {
    throw new CorruptIndexError(
      WHERE,
      `format version ${bytes[3]} is not supported (this library reads version ${KEYWORD_FORMAT_VERSION}). ` +
        `Upgrade the library or rebuild the index.`,
    );
  }
  r.pos = 4;
  const dec = new TextDecoder("utf-8", { fatal: true });
  const meta = r.text(dec, "meta");
  const capacity = r.varint("document count");
  if (capacity > MAX_DOC_ID + 1) throw r.fail(`document table of ${capacity} entries exceeds ${MAX_DOC_ID + 1}`);
  const docState = new Uint8Array(capacity);
  const docLen = new Uint32Array(capacity);
  for (let d = 0; d < capacity; d++) {
    const c = r.varint("document length");
    if (c === 0) docState[d] = DOC_ABSENT;
    else if (c === 1) docState[d] = DOC_DELETED;
    else {
      if (c - 2 > 0xffffffff) throw r.fail(`document ${d} length ${c - 2} is out of range`);
      docState[d] = DOC_LIVE;
      docLen[d] = c - 2;
    }
  }
  const termCount = r.varint("term count");
  if (termCount > bytes.length) throw r.fail(`term count ${termCount} exceeds the section size`);
  const terms: string[] = [], lists: Uint8Array[] = [], used: number[] = [], df: number[] = [], last: number[] = [];
  const seen = new Set<string>();
  let prev = new Uint8Array(0);
  for (let t = 0; t < termCount; t++) {
    const shared = r.varint("term prefix");
    const suffix = r.varint("term suffix length");
    if (shared > prev.length) throw r.fail(`term ${t} shares ${shared} bytes with a ${prev.length}-byte predecessor`);
    const tb = new Uint8Array(shared + suffix);
    tb.set(prev.subarray(0, shared));
    tb.set(r.take(suffix, "term"), shared);
    let term: string;
    try {
      term = dec.decode(tb);
    } catch {
      throw r.fail(`term ${t} is not valid UTF-8`);
    }
    if (seen.has(term)) throw r.fail(`term "${term}" appears twice`);
    seen.add(term);
    const count = r.varint("posting count");
    const len = r.varint("posting length");
    const list = r.take(len, "postings");
    let lastDoc = -1, bad = false;
    const decoded = decodeList(list, len, (doc) => {
      if (doc >= capacity || docState[doc] === DOC_ABSENT) bad = true;
      lastDoc = doc;
    });
    if (decoded < 0 || bad || decoded !== count || count === 0) {
      throw r.fail(`posting list of term "${term}" is damaged (${count} postings recorded, ${decoded} decoded${bad ? ", ids outside the document table" : ""})`);
    }
    terms.push(term);
    lists.push(list);
    used.push(len);
    df.push(count);
    last.push(lastDoc);
    prev = tb;
  }
  if (r.pos !== bytes.length) throw r.fail(`${bytes.length - r.pos} unexpected bytes after the last term`);
  return { index: PostingsIndex.fromState({ capacity, docState, docLen, terms, lists, used, df, last }), meta };
}

class Reader {
  pos = 0;
  constructor(private readonly bytes: Uint8Array) {}
  fail(msg: string): CorruptIndexError {
    return new CorruptIndexError(WHERE, `${msg} (at byte ${this.pos} of ${this.bytes.length}). The data is damaged: rebuild the index.`);
  }
  varint(what: string): number {
    let v = 0, shift = 0, b: number;
    do {
      if (this.pos >= this.bytes.length) throw this.fail(`truncated while reading the ${what}`);
      if (shift > 49) throw this.fail(`the ${what} is not a valid varint`);
      b = this.bytes[this.pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return v;
  }
  take(n: number, what: string): Uint8Array {
    if (n > this.bytes.length - this.pos) throw this.fail(`the ${what} (${n} bytes) runs past the end`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  text(dec: InstanceType<typeof TextDecoder>, what: string): string {
    const b = this.take(this.varint(`${what} length`), what);
    try {
      return dec.decode(b);
    } catch {
      throw this.fail(`the ${what} is not valid UTF-8`);
    }
  }
}

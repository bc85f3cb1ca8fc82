/**
 * Byte layout of a keyword index (the caller wraps it in a checksummed section; this layer checks every length
 * and every posting, so a bad section fails to load instead of scoring garbage):
 *
 *   "LKW" version(u8 = 1)
 *   meta: varint length + UTF-8 (the tokeniser settings, opaque here)
 *   capacity: varint; then per doc id a varint: 0 absent, 1 deleted (postings still stored), len + 2 live
 *   term count: varint
 *   dictionary: varint byte length + raw DEFLATE of, per term in sorted order: shared prefix with the previous
 *     term (UTF-8 bytes, varint), suffix length (varint), suffix bytes, posting count df (varint)
 *   postings, per term in the same order, each padded to a whole byte: the Rice parameter k (5 bits), a bit
 *     saying whether term frequencies follow (0: every one is 1, as in most rare terms' lists), then df times
 *     (doc-id gap - 1 in Rice code k, [term frequency in gamma code]); see rice.ts
 *
 * Front coding of the sorted dictionary (Witten, Moffat & Bell, "Managing Gigabytes", 1999) and DEFLATE on top
 * take it from 446 KB of term text to about 170 KB on perl-doc; the bit codes take postings from 12.4 bits
 * (byte varints) to about 7. Lists are decoded back into byte varints on load (fast to search, appendable),
 * checking every posting on the way.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { CorruptIndexError } from "../errors.js";
import { writeVarint } from "../util/varint.js";
import { DOC_ABSENT, DOC_DELETED, DOC_LIVE, MAX_DOC_ID, MAX_TF, PostingsIndex, decodeList, encodePosting } from "./postings.js";
import { BitReader, BitWriter, LIST_HEADER_BITS, readGamma, readRice, riceParameter, writeGamma, writeRice } from "./rice.js";

const MAGIC = [0x4c, 0x4b, 0x57]; // "LKW"
export const KEYWORD_FORMAT_VERSION = 1;
const WHERE = "keyword index";

/** Encodes an index (and the caller's meta string) to bytes. */
export function encodeKeywordIndex(index: PostingsIndex, meta: string): Uint8Array {
  const s = index.state();
  const enc = new TextEncoder();
  const metaBytes = enc.encode(meta);
  const { order, raw } = dictionaryEntries(s.terms, s.df);
  const w = new BitWriter(4096 + s.capacity * 2);
  const scratch = new Uint8Array(10);
  const varint = (v: number) => w.bytes(scratch.subarray(0, writeVarint(scratch, 0, v)));
  w.bytes(Uint8Array.from([...MAGIC, KEYWORD_FORMAT_VERSION]));
  varint(metaBytes.length);
  w.bytes(metaBytes);
  varint(s.capacity);
  for (let d = 0; d < s.capacity; d++) varint(s.docState[d] === DOC_LIVE ? s.docLen[d]! + 2 : s.docState[d] === DOC_DELETED ? 1 : 0);
  varint(order.length);
  const packed = deflateRawSync(raw);
  varint(packed.length);
  w.bytes(packed);
  for (const t of order) {
    const k = riceParameter(s.capacity, s.df[t]!);
    let allOnes = true;
    decodeList(s.lists[t]!, s.used[t]!, (_doc, tf) => {
      if (tf !== 1) allOnes = false;
    });
    w.bits(k, 5);
    w.bits(allOnes ? 0 : 1, LIST_HEADER_BITS - 5);
    let last = -1;
    decodeList(s.lists[t]!, s.used[t]!, (doc, tf) => {
      writeRice(w, doc - last - 1, k);
      if (!allOnes) writeGamma(w, tf);
      last = doc;
    });
    w.align();
  }
  return w.finish();
}

/**
 * The dictionary as saved before DEFLATE, and the term numbers in its (sorted) order: per term with postings, the
 * prefix shared with the previous term, the suffix length and bytes, and the posting count.
 */
export function dictionaryEntries(terms: readonly string[], df: readonly number[]): { order: number[]; raw: Uint8Array } {
  const enc = new TextEncoder();
  // A term interned for an add that was then refused has no postings: it is not saved (the format has none such).
  const order = terms.map((_, i) => i).filter((t) => df[t]! > 0).sort((a, b) => (terms[a]! < terms[b]! ? -1 : terms[a]! > terms[b]! ? 1 : 0));
  const dict = new BitWriter(4096 + order.length * 8);
  const scratch = new Uint8Array(10);
  let prev = new Uint8Array(0);
  for (const t of order) {
    const tb = enc.encode(terms[t]!);
    let shared = 0;
    while (shared < tb.length && shared < prev.length && tb[shared] === prev[shared]) shared++;
    for (const v of [shared, tb.length - shared]) dict.bytes(scratch.subarray(0, writeVarint(scratch, 0, v)));
    dict.bytes(tb.subarray(shared));
    dict.bytes(scratch.subarray(0, writeVarint(scratch, 0, df[t]!)));
    prev = tb;
  }
  return { order, raw: dict.finish() };
}

/** The tokeniser's maxTokenLength recorded in the meta JSON, or its largest allowed value (1024) when unreadable. */
function maxTokenBytes(meta: string): number {
  try {
    const m = JSON.parse(meta) as { maxTokenLength?: unknown } | null;
    const n = m?.maxTokenLength;
    return typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 1024 ? n : 1024;
  } catch {
    return 1024;
  }
}

/**
 * Decodes bytes written by `encodeKeywordIndex` (nothing of `bytes` is kept).
 * @throws {CorruptIndexError} when the bytes are not a keyword index of a known version, are truncated, or hold a
 *   posting list that does not decode or points past the document table.
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
  // Each entry takes at least a byte: checking first keeps a damaged count from allocating gigabytes.
  if (capacity > MAX_DOC_ID + 1 || capacity > bytes.length - r.pos) {
    throw r.fail(`document table of ${capacity} entries does not fit the section`);
  }
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
  const packedLength = r.varint("dictionary length");
  // Every term has a posting list after the dictionary, at least a byte each.
  if (termCount > bytes.length - r.pos - packedLength) throw r.fail(`${termCount} terms cannot all have posting lists in the section`);
  let dict: Uint8Array;
  try {
    // The bound is what the counts allow: an entry is two varints, the term's new bytes (at most 3 a UTF-16 unit
    // of the tokeniser's maxTokenLength) and its df. Regular terms (numbers, ids) deflate far better than 64x, so
    // a bound from the packed size alone rejected healthy indexes.
    const entry = 15 + 3 * maxTokenBytes(meta);
    dict = inflateRawSync(r.take(packedLength, "dictionary"), { maxOutputLength: Math.min(2 ** 30, termCount * entry + 1024) });
  } catch (e) {
    if (CorruptIndexError.isInstance(e)) throw e;
    throw r.fail(`the dictionary does not inflate (${(e as Error).message})`);
  }
  const d = new Reader(dict);
  const terms: string[] = [], counts: number[] = [];
  const seen = new Set<string>();
  let prev = new Uint8Array(0);
  for (let t = 0; t < termCount; t++) {
    const shared = d.varint("term prefix");
    const suffix = d.varint("term suffix length");
    if (shared > prev.length) throw d.fail(`term ${t} shares ${shared} bytes with a ${prev.length}-byte predecessor`);
    const tb = new Uint8Array(shared + suffix);
    tb.set(prev.subarray(0, shared));
    tb.set(d.take(suffix, "term"), shared);
    let term: string;
    try {
      term = dec.decode(tb);
    } catch {
      throw d.fail(`term ${t} is not valid UTF-8`);
    }
    if (seen.has(term)) throw d.fail(`term "${term}" appears twice`);
    seen.add(term);
    const count = d.varint("posting count");
    // A posting takes at least 2 bits, which bounds the allocation below by the section's size.
    if (count === 0 || count > capacity || count > (bytes.length - r.pos) * 4) {
      throw d.fail(`term "${term}" has ${count} postings for ${capacity} documents`);
    }
    terms.push(term);
    counts.push(count);
    prev = tb;
  }
  if (d.pos !== dict.length) throw d.fail(`${dict.length - d.pos} unexpected bytes after the last term`);
  const lists: Uint8Array[] = [], used: number[] = [], df: number[] = [], last: number[] = [];
  const bits = new BitReader(bytes, r.pos, bytes.length);
  for (let t = 0; t < termCount; t++) {
    const term = terms[t]!, count = counts[t]!;
    const k = bits.bits(5);
    const hasTf = bits.one();
    if (k < 0 || k > 24 || hasTf < 0) throw r.fail(`posting list of term "${term}" has a bad Rice parameter`);
    let list = new Uint8Array(Math.max(8, Math.min(count * 2, 4096)));
    let len = 0, lastDoc = -1;
    const maxQuotient = Math.floor(capacity / 2 ** k) + 1;
    for (let i = 0; i < count; i++) {
      const gap = readRice(bits, k, maxQuotient);
      const tf = hasTf ? readGamma(bits, 17) : 1;
      const doc = lastDoc + gap + 1;
      if (gap < 0 || tf < 1 || tf > MAX_TF || doc >= capacity || docState[doc] === DOC_ABSENT) {
        r.pos = bits.pos;
        throw r.fail(`posting list of term "${term}" is damaged at posting ${i} of ${count}`);
      }
      if (len + 10 > list.length) {
        const g = new Uint8Array(list.length * 2);
        g.set(list.subarray(0, len));
        list = g;
      }
      len = encodePosting(list, len, doc - lastDoc, tf);
      lastDoc = doc;
    }
    bits.align();
    lists.push(list);
    used.push(len);
    df.push(count);
    last.push(lastDoc);
  }
  r.pos = bits.pos;
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

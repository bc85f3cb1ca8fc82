import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { readCurrent } from "../../src/format/current.js";
import { decodeIndexFile, encodeIndexFile, readIndexFile, type SectionData } from "../../src/format/index-file.js";
import { FOOTER_BYTES } from "../../src/store/passage-file.js";
import type { StoredParts } from "../../src/store/passages.js";
import { encodeMetaPart, encodeTextPart } from "../../src/store/record-codec.js";
import { crc32 } from "../../src/util/crc32.js";
import { encodeWtf8 } from "../../src/util/wtf8.js";

/** Hand-made files in older or damaged layouts, with valid checksums (docs/format.md). */

/** Unsigned LEB128 bytes of `v`. */
export function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** A version-1 passage file: one record of text + metadata JSON per passage, 48-byte footer. */
export function legacyPassageFile(records: { id: string; text: string; metadata: Record<string, unknown> }[]): Buffer {
  const enc = new TextEncoder();
  const pre = Buffer.alloc(16);
  pre.write("LEANNPSG", 0, "latin1");
  pre.writeUInt32LE(1, 8);
  const recs: Buffer[] = [];
  const offsets = new Float64Array(records.length + 1);
  const crcs = new Uint32Array(records.length);
  let pos = 16;
  records.forEach((r, i) => {
    const text = enc.encode(r.text);
    const meta = enc.encode(Object.keys(r.metadata).length ? JSON.stringify(r.metadata) : "");
    const plain = Buffer.concat([text, meta]);
    const z = deflateRawSync(plain);
    const compressed = plain.length >= 96 && z.length + 1 < plain.length;
    const rec = Buffer.from([...varint(text.length * 2 + (compressed ? 1 : 0)), ...(compressed ? z : plain)]);
    offsets[i] = pos;
    crcs[i] = crc32(rec);
    pos += rec.length;
    recs.push(rec);
  });
  offsets[records.length] = pos;
  const ids = Buffer.concat(records.map((r) => Buffer.from([...varint(Buffer.byteLength(r.id)), ...enc.encode(r.id)])));
  const table = Buffer.concat([Buffer.from(offsets.buffer), Buffer.from(crcs.buffer)]);
  const footer = Buffer.alloc(48);
  footer.write("LEANNEND", 0, "latin1");
  footer.writeDoubleLE(records.length, 8);
  footer.writeDoubleLE(pos, 16);
  footer.writeDoubleLE(ids.length, 24);
  footer.writeDoubleLE(pos + ids.length, 32);
  footer.writeUInt32LE(crc32(table, crc32(ids)), 40);
  footer.writeUInt32LE(1, 44);
  return Buffer.concat([pre, ...recs, ids, table, footer]);
}

/**
 * A version-2 passage file (each text and metadata part compressed alone, 24 table bytes a
 * passage, 64-byte footer), as this library wrote before version 3. `parts` replaces the
 * encoded parts of chosen passages (planted damage, with valid checksums).
 */
export function v2PassageFile(records: { id: string; text: string; metadata: Record<string, unknown> }[], parts: (StoredParts | undefined)[] = []): Buffer {
  const n = records.length;
  const pre = Buffer.alloc(16);
  pre.write("LEANNPSG", 0, "latin1");
  pre.writeUInt32LE(2, 8);
  const starts = new Float64Array(n + 1), metaStarts = new Float64Array(n);
  const textCrc = new Uint32Array(n), metaCrc = new Uint32Array(n);
  const recs: Uint8Array[] = [];
  let pos = 16;
  records.forEach((r, i) => {
    const { text, meta } = parts[i] ?? { text: encodeTextPart(r.text, r.id), meta: encodeMetaPart(r.metadata, r.id) };
    starts[i] = pos;
    metaStarts[i] = pos + text.length;
    textCrc[i] = crc32(text);
    metaCrc[i] = crc32(meta);
    pos += text.length + meta.length;
    recs.push(text, meta);
  });
  starts[n] = pos;
  const ids = Buffer.concat(records.map((r) => Buffer.from([...varint(encodeWtf8(r.id).length), ...encodeWtf8(r.id)])));
  const table = Buffer.concat([starts, metaStarts, textCrc, metaCrc].map((a) => Buffer.from(a.buffer)));
  const footer = Buffer.alloc(64);
  footer.write("LEANNEND", 0, "latin1");
  footer.writeDoubleLE(n, 8);
  footer.writeDoubleLE(pos, 16);
  footer.writeDoubleLE(ids.length, 24);
  footer.writeDoubleLE(pos + ids.length, 32);
  footer.writeUInt32LE(crc32(table, crc32(ids)), 40);
  footer.writeUInt32LE(2, 44);
  Buffer.from("0123456789abcdef0123456789abcdef", "hex").copy(footer, 48);
  return Buffer.concat([pre, ...recs, ids, table, footer]);
}

/** A stored block of a version-3 passage file: its bytes as written and the passages it holds. */
export interface CraftedBlock {
  bytes: Uint8Array;
  count: number;
}

/** The stored form of a block of entries: varint 2 * length + compressed, then the bytes. */
export function craftBlock(entries: Uint8Array[], compress?: { dictionary?: Uint8Array }): Uint8Array {
  const raw = Buffer.concat(entries.flatMap((e) => [Buffer.from(varint(e.length)), Buffer.from(e)]));
  const body = compress ? deflateRawSync(raw, compress.dictionary ? { dictionary: compress.dictionary } : {}) : raw;
  return Buffer.concat([Buffer.from(varint(raw.length * 2 + (compress ? 1 : 0))), body]);
}

/**
 * A version-3 passage file from given parts, with valid checksums: dictionary, text and
 * metadata blocks as stored, ids (stored uncompressed unless `idsBlock` gives the stored ids
 * block); `dictionaryLength` overrides the length the footer states.
 */
export function v3PassageFile(o: { dictionary?: Uint8Array; text: CraftedBlock[]; meta: CraftedBlock[]; ids: string[]; dictionaryLength?: number; idsBlock?: Uint8Array }): Buffer {
  const dict = Buffer.from(o.dictionary ?? new Uint8Array(0));
  const pre = Buffer.alloc(16);
  pre.write("LEANNPSG", 0, "latin1");
  pre.writeUInt32LE(3, 8);
  let pos = 16 + dict.length;
  const table = (blocks: CraftedBlock[]) => {
    let first = 0;
    return blocks.map((b) => {
      const row = { start: pos, length: b.bytes.length, first, crc: crc32(b.bytes) };
      pos += b.bytes.length;
      first += b.count;
      return row;
    });
  };
  const t = table(o.text), m = table(o.meta);
  const idsRaw = Buffer.concat(o.ids.map((id) => Buffer.from([...varint(encodeWtf8(id).length), ...encodeWtf8(id)])));
  const ids = Buffer.from(o.idsBlock ?? Buffer.concat([Buffer.from(varint(idsRaw.length * 2)), idsRaw]));
  const rows = [...t, ...m];
  const tb = Buffer.concat([
    Buffer.from(Float64Array.from(rows.map((r) => r.start)).buffer),
    ...[t, m].map((k) => Buffer.from(Uint32Array.from([...k.map((r) => r.length), ...k.map((r) => r.first), ...k.map((r) => r.crc)]).buffer)),
  ]);
  const footer = Buffer.alloc(88);
  footer.write("LEANNEND", 0, "latin1");
  footer.writeDoubleLE(o.ids.length, 8);
  footer.writeDoubleLE(pos, 16);
  footer.writeDoubleLE(ids.length, 24);
  footer.writeDoubleLE(pos + ids.length, 32);
  footer.writeUInt32LE(crc32(tb, crc32(ids, crc32(dict))), 40);
  footer.writeUInt32LE(3, 44);
  Buffer.from("00112233445566778899aabbccddeeff", "hex").copy(footer, 48);
  footer.writeDoubleLE(t.length, 64);
  footer.writeDoubleLE(m.length, 72);
  footer.writeUInt32LE(o.dictionaryLength ?? dict.length, 80);
  return Buffer.concat([pre, dict, ...[...o.text, ...o.meta].map((b) => Buffer.from(b.bytes)), ids, tb, footer]);
}

/** Footer bytes of a passage file, by the version in its preamble. */
export function footerBytesOf(buf: Buffer): number {
  return FOOTER_BYTES[buf.readUInt32LE(8)]!;
}

/** Where the table of a version-3 or 4 passage file starts, and its block counts. */
export function v3Table(buf: Buffer): { at: number; nt: number; nm: number } {
  const f = buf.length - footerBytesOf(buf);
  return { at: buf.readDoubleLE(f + 32), nt: buf.readDoubleLE(f + 64), nm: buf.readDoubleLE(f + 72) };
}

/** Recomputes the footer checksum of a passage file after its ids, order, table (or version-3/4 dictionary) were edited. */
export function refooter(buf: Buffer, footerBytes: number): void {
  const f = buf.length - footerBytes;
  const idsOffset = buf.readDoubleLE(f + 16);
  const dict = footerBytes >= 88 ? buf.subarray(16, 16 + Math.min(buf.readUInt32LE(f + 80), idsOffset - 16)) : new Uint8Array(0);
  buf.writeUInt32LE(crc32(buf.subarray(idsOffset, f), crc32(dict)), f + 40);
}

/** Rewrites the current index file of `dir` with `edit` applied to its sections, checksums recomputed. */
export function rewriteSections(dir: string, edit: (sections: Map<string, SectionData>) => void): void {
  const path = join(dir, readCurrent(dir)!.index);
  const { header, sections } = decodeIndexFile(path, readIndexFile(path));
  edit(sections);
  const { sections: _s, format: _f, version: _v, ...rest } = header;
  writeFileSync(path, Buffer.concat(encodeIndexFile(rest, Object.fromEntries(sections))));
}

/** A version-4 passage file with its ids or order block replaced, offsets and footer checksum made valid. */
export function replaceV4Tail(buf: Buffer, o: { ids?: Uint8Array; order?: Uint8Array }): Buffer {
  const f = buf.length - 96;
  const idsAt = buf.readDoubleLE(f + 16), idsEnd = idsAt + buf.readDoubleLE(f + 24), tableAt = buf.readDoubleLE(f + 32);
  const ids = o.ids ?? buf.subarray(idsAt, idsEnd), order = o.order ?? buf.subarray(idsEnd, tableAt);
  const footer = Buffer.from(buf.subarray(f));
  footer.writeDoubleLE(ids.length, 24);
  footer.writeDoubleLE(idsAt + ids.length + order.length, 32);
  footer.writeDoubleLE(order.length, 88);
  const out = Buffer.concat([buf.subarray(0, idsAt), ids, order, buf.subarray(tableAt, f), footer]);
  refooter(out, 96);
  return out;
}

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateRawSync } from "node:zlib";
import { readCurrent } from "../../src/format/current.js";
import { decodeIndexFile, encodeIndexFile, readIndexFile, type SectionData } from "../../src/format/index-file.js";
import { crc32 } from "../../src/util/crc32.js";

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

/** Recomputes the footer checksum of a passage file after its ids or table were edited. */
export function refooter(buf: Buffer, footerBytes: number): void {
  const f = buf.length - footerBytes;
  const idsOffset = buf.readDoubleLE(f + 16);
  buf.writeUInt32LE(crc32(buf.subarray(idsOffset, f)), f + 40);
}

/** Rewrites the current index file of `dir` with `edit` applied to its sections, checksums recomputed. */
export function rewriteSections(dir: string, edit: (sections: Map<string, SectionData>) => void): void {
  const path = join(dir, readCurrent(dir)!.index);
  const { header, sections } = decodeIndexFile(path, readIndexFile(path));
  edit(sections);
  const { sections: _s, format: _f, version: _v, ...rest } = header;
  writeFileSync(path, Buffer.concat(encodeIndexFile(rest, Object.fromEntries(sections))));
}

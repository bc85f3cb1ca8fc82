import { deflateRawSync, inflateRawSync } from "node:zlib";
import { InvalidInputError } from "../errors.js";
import { varintSize, writeVarint } from "../util/varint.js";
import { decodeWtf8, encodeWtf8 } from "../util/wtf8.js";

/** JSON-serialisable metadata of a passage. */
export type Metadata = Record<string, unknown>;

/**
 * Largest decoded text or metadata of one passage. It bounds what a record read may
 * allocate, whatever a (damaged or hostile) file claims: a 1 MB record cannot inflate to
 * 1 GiB. Passages are chunks of documents, a few KB each.
 */
export const MAX_PART_BYTES = 64 * 1024 * 1024;
/** DEFLATE cannot expand data more than about 1032:1; a claim beyond that is damage. */
const MAX_RATIO = 1032;
/** Parts shorter than this are stored as they are (DEFLATE rarely pays below it). */
const MIN_COMPRESS = 96;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * One part (the text or the metadata JSON of a passage): a varint h = 2 * (byte length) +
 * compressed, then the bytes as they are or, when smaller, compressed with raw DEFLATE.
 */
export function encodePart(bytes: Uint8Array, what: string, dictionary?: Uint8Array): Uint8Array {
  checkPartSize(bytes.length, what);
  return encodeCompressed(bytes, dictionary);
}

/** @throws InvalidInputError when a text or metadata is beyond MAX_PART_BYTES */
export function checkPartSize(bytes: number, what: string): void {
  if (bytes > MAX_PART_BYTES) {
    throw new InvalidInputError(`${what} is ${bytes} bytes; a passage's text or metadata may take at most ${MAX_PART_BYTES} bytes. Split the document into smaller passages.`);
  }
}

/** Varint h = 2 * length + compressed, then the bytes, raw DEFLATE (with the preset dictionary) when smaller. */
export function encodeCompressed(bytes: Uint8Array, dictionary?: Uint8Array): Uint8Array {
  let payload = bytes;
  let flag = 0;
  if (bytes.length >= MIN_COMPRESS) {
    const z = dictionary && dictionary.length > 0 ? deflateRawSync(bytes, { dictionary }) : deflateRawSync(bytes);
    if (z.length + 1 < bytes.length) {
      payload = z;
      flag = 1;
    }
  }
  const h = bytes.length * 2 + flag;
  const out = new Uint8Array(varintSize(h) + payload.length);
  out.set(payload, writeVarint(out, 0, h));
  return out;
}

/** The metadata JSON stored for a passage: empty when there is none. */
export function metadataBytes(m: Metadata): Uint8Array {
  return m && Object.keys(m).length > 0 ? encodeWtf8(JSON.stringify(m)) : new Uint8Array(0);
}

export function encodeTextPart(text: string, id: string): Uint8Array {
  return encodePart(encodeWtf8(text), `passage ${JSON.stringify(id)}: the text`);
}

export function encodeMetaPart(m: Metadata, id: string): Uint8Array {
  const bytes = metadataBytes(m);
  return bytes.length === 0 ? bytes : encodePart(bytes, `passage ${JSON.stringify(id)}: the metadata`);
}

function header(buf: Uint8Array): { h: number; p: number } {
  let h = 0, shift = 1, p = 0, b: number;
  do {
    if (p >= buf.length || p >= 8) throw new Error("length header ends early or is too long");
    b = buf[p++]!;
    h += (b & 0x7f) * shift;
    shift *= 128;
  } while (b & 0x80);
  return { h, p };
}

/** Inflates at most `limit` bytes: a stream that would grow beyond it is damage, not work. */
function inflateBounded(payload: Uint8Array, limit: number, dictionary?: Uint8Array): Buffer {
  try {
    return inflateRawSync(payload, dictionary && dictionary.length > 0 ? { maxOutputLength: Math.max(1, limit), dictionary } : { maxOutputLength: Math.max(1, limit) });
  } catch (err) {
    throw new Error(`compressed data is damaged or inflates beyond its stated ${limit} bytes (${(err as Error).message})`);
  }
}

/** The declared length must fit both the part limit and what the stored bytes can expand to. */
function checkDeclared(len: number, stored: number, compressed: boolean, max: number): void {
  if (len > max) throw new Error(`states ${len} bytes, more than the ${max} a part may hold`);
  if (compressed ? len > stored * MAX_RATIO + 64 : len !== stored) throw new Error(`states ${len} bytes but stores ${stored}`);
}

/**
 * Decodes one part to its bytes, inflating at most its stated length, which may not exceed
 * `max`; throws a plain Error when malformed (checksum verified by the caller).
 */
export function decodePart(buf: Uint8Array, dictionary?: Uint8Array, max = MAX_PART_BYTES): Uint8Array {
  const { h, p } = header(buf);
  const len = Math.floor(h / 2), compressed = h % 2 === 1;
  const payload = buf.subarray(p);
  checkDeclared(len, payload.length, compressed, max);
  if (!compressed) return payload;
  const out = inflateBounded(payload, len, dictionary);
  if (out.length !== len) throw new Error(`inflates to ${out.length} bytes, stated ${len}`);
  return out;
}

export function decodeText(part: Uint8Array): string {
  return decodeWtf8(decodePart(part));
}

export function parseMetadata(bytes: Uint8Array): Metadata {
  if (bytes.length === 0) return {};
  const m = JSON.parse(utf8.decode(bytes)) as unknown;
  // The writer stores plain objects only; null or an array would break every filter.
  if (typeof m !== "object" || m === null || Array.isArray(m)) throw new Error(`metadata is ${m === null ? "null" : Array.isArray(m) ? "an array" : typeof m}, not an object`);
  return m as Metadata;
}

export function decodeMeta(part: Uint8Array): Metadata {
  return part.length === 0 ? {} : parseMetadata(decodePart(part));
}

/**
 * Decodes a record of a version-1 passage file: h = 2 * (text length) + compressed, then
 * the text and the metadata JSON together. Throws a plain Error when malformed.
 */
export function decodeLegacyRecord(buf: Uint8Array): { text: string; metadata: Metadata } {
  const { h, p } = header(buf);
  const tl = Math.floor(h / 2);
  const payload = buf.subarray(p);
  if (tl > MAX_PART_BYTES) throw new Error(`states a text of ${tl} bytes, more than ${MAX_PART_BYTES}`);
  const body = h % 2 === 1 ? inflateBounded(payload, Math.min(2 * MAX_PART_BYTES, payload.length * MAX_RATIO + 64)) : payload;
  if (tl > body.length) throw new Error("text runs past the record");
  return { text: decodeWtf8(body.subarray(0, tl)), metadata: parseMetadata(body.subarray(tl)) };
}

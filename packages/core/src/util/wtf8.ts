/**
 * WTF-8: UTF-8 that also encodes lone surrogates (as the 3-byte sequences ED A0..BF xx),
 * so that every JavaScript string survives encoding and decoding exactly. Plain UTF-8
 * replaces a lone surrogate with U+FFFD, which changes an id after a save and reload.
 * Well-formed strings encode to the same bytes as UTF-8, so files of well-formed text are
 * plain UTF-8.
 */

const enc = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true });
const LONE_SURROGATE = /\p{Cs}/u;

export function encodeWtf8(s: string): Uint8Array {
  if (!LONE_SURROGATE.test(s)) return enc.encode(s);
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) out.push(cp);
    else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return Uint8Array.from(out);
}

/** True when `b` holds an encoded surrogate (ED followed by A0..BF), which UTF-8 forbids. */
export function hasSurrogate(b: Uint8Array): boolean {
  for (let i = b.indexOf(0xed); i !== -1 && i + 1 < b.length; i = b.indexOf(0xed, i + 1)) if (b[i + 1]! >= 0xa0) return true;
  return false;
}

/** Decodes WTF-8; throws a plain Error on bytes that are not WTF-8 (the caller names the file). */
export function decodeWtf8(b: Uint8Array): string {
  if (!hasSurrogate(b)) return strict.decode(b);
  let s = "";
  let i = 0;
  const cont = (k: number) => {
    const x = b[i + k];
    if (x === undefined || (x & 0xc0) !== 0x80) throw new Error(`invalid WTF-8 at byte ${i}`);
    return x & 0x3f;
  };
  while (i < b.length) {
    const x = b[i]!;
    let cp: number, len: number;
    if (x < 0x80) (cp = x), (len = 1);
    else if (x >= 0xc2 && x < 0xe0) (cp = ((x & 0x1f) << 6) | cont(1)), (len = 2);
    else if (x >= 0xe0 && x < 0xf0) (cp = ((x & 0x0f) << 12) | (cont(1) << 6) | cont(2)), (len = 3);
    else if (x >= 0xf0 && x < 0xf5) (cp = ((x & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3)), (len = 4);
    else throw new Error(`invalid WTF-8 at byte ${i}`);
    if ((len === 3 && cp < 0x800) || (len === 4 && (cp < 0x10000 || cp > 0x10ffff))) throw new Error(`overlong or out-of-range WTF-8 at byte ${i}`);
    s += String.fromCodePoint(cp);
    i += len;
  }
  // A high surrogate followed by a low one would have been encoded as one 4-byte sequence.
  if (/[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(s) && encodeWtf8(s).length !== b.length) throw new Error("surrogate pair encoded as two sequences");
  return s;
}

/**
 * A reader for the safetensors format: an 8-byte little-endian header length,
 * a JSON header naming each tensor's dtype, shape and byte range, then the data.
 * Every length and range is checked before any view is made, so a truncated or
 * foreign file fails here with a message instead of producing garbage vectors.
 */
import { ModelLoadError } from "./errors.js";

const DTYPE_BYTES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
} as const;

export type SafetensorsDType = keyof typeof DTYPE_BYTES;

export interface SafetensorsTensor {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** The tensor's bytes (a view into the file's buffer, little-endian). */
  readonly bytes: Uint8Array;
}

/** Larger headers are not written by any exporter; refusing them guards against reading garbage lengths. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function corrupt(file: string, why: string): ModelLoadError {
  return new ModelLoadError(
    `${file} is not a valid safetensors file: ${why}. ` +
      `The download may be incomplete or the file altered: delete it (or its model folder in the cache) and download it again.`,
    { file },
  );
}

/**
 * Parses a safetensors file held in memory.
 * @throws {ModelLoadError} when the header is missing, not JSON, or names a range outside the file.
 */
export function parseSafetensors(buf: Uint8Array, file: string): Map<string, SafetensorsTensor> {
  if (buf.byteLength < 8) throw corrupt(file, `it has ${buf.byteLength} bytes, fewer than the 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(Math.min(MAX_HEADER_BYTES, buf.byteLength - 8))) {
    throw corrupt(file, `its header claims ${headerLen} bytes but the file has ${buf.byteLength - 8} after the length`);
  }
  const n = Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (err) {
    throw corrupt(file, `its header is not JSON (${(err as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw corrupt(file, "its header is not a JSON object");
  const dataStart = 8 + n;
  const dataLen = buf.byteLength - dataStart;
  const out = new Map<string, SafetensorsTensor>();
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t.dtype !== "string" || !(t.dtype in DTYPE_BYTES)) {
      throw corrupt(file, `tensor "${name}" has dtype ${JSON.stringify(t.dtype)}; expected one of ${Object.keys(DTYPE_BYTES).join(", ")}`);
    }
    const dtype = t.dtype as SafetensorsDType;
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw corrupt(file, `tensor "${name}" has shape ${JSON.stringify(t.shape)}; expected a list of non-negative integers`);
    }
    const shape = t.shape as number[];
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0) || offs[0] > offs[1]) {
      throw corrupt(file, `tensor "${name}" has data_offsets ${JSON.stringify(offs)}; expected [begin, end] with begin <= end`);
    }
    const [begin, end] = offs as [number, number];
    if (end > dataLen) throw corrupt(file, `tensor "${name}" ends at byte ${end} of the data but the data has ${dataLen} bytes (truncated file?)`);
    const expected = shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      throw corrupt(file, `tensor "${name}" (${dtype} [${shape.join(", ")}]) needs ${expected} bytes but its range holds ${end - begin}`);
    }
    out.set(name, { dtype, shape, bytes: buf.subarray(dataStart + begin, dataStart + end) });
  }
  return out;
}

/** Copies when the view is not aligned to `bytesPer`, since typed arrays need aligned offsets. */
function aligned(bytes: Uint8Array, bytesPer: number): Uint8Array {
  return bytes.byteOffset % bytesPer === 0 ? bytes : bytes.slice();
}

export function asFloat32(t: SafetensorsTensor): Float32Array {
  const b = aligned(t.bytes, 4);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

export function asUint16(t: SafetensorsTensor): Uint16Array {
  const b = aligned(t.bytes, 2);
  return new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2);
}

export function asInt8(t: SafetensorsTensor): Int8Array {
  return new Int8Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.byteLength);
}

/** Integer tensor (I32 or I64) as Int32Array; used for Model2Vec's token-to-row `mapping`. */
export function asInt32(t: SafetensorsTensor, file: string): Int32Array {
  if (t.dtype === "I32") {
    const b = aligned(t.bytes, 4);
    return new Int32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  }
  if (t.dtype === "I64") {
    const b = aligned(t.bytes, 8);
    const big = new BigInt64Array(b.buffer, b.byteOffset, b.byteLength / 8);
    const out = new Int32Array(big.length);
    for (let i = 0; i < big.length; i++) out[i] = Number(big[i]);
    return out;
  }
  throw new ModelLoadError(`${file}: expected an integer tensor (I32 or I64), found ${t.dtype}.`, { file });
}

/** Every IEEE half-precision value as f32: decoding by table lookup keeps f16 tables at half the memory of f32. */
export function float16Table(): Float32Array {
  const lut = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    let v: number;
    if (exp === 0) v = frac * 2 ** -24;
    else if (exp === 31) v = frac ? NaN : Infinity;
    else v = (1 + frac / 1024) * 2 ** (exp - 15);
    lut[h] = sign * v;
  }
  return lut;
}

/** bfloat16 is the top half of an f32. */
export function bfloat16ToFloat32(src: Uint16Array): Float32Array {
  const u = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) u[i] = src[i]! << 16;
  return new Float32Array(u.buffer);
}

/**
 * Just enough of the WebAssembly binary format to assemble the small SIMD kernels by hand
 * (graph/dot-wasm.ts, quantize/scan-wasm.ts): no build step, nothing native.
 */
export const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
/** Signed LEB128 (i32.const immediates). */
export const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
export const name = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
export const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
/** A SIMD instruction (prefix 0xfd). */
export const simd = (op: number): number[] => [0xfd, ...leb(op)];
/** A function body with its size. */
export const fn = (body: number[]): number[] => [...leb(body.length), ...body];
export const type = (params: number[], results: number[]): number[] => [0x60, params.length, ...params, results.length, ...results];

export const I32 = 0x7f, I64 = 0x7e, F32 = 0x7d, F64 = 0x7c, V128 = 0x7b;
export const BLOCK = 0x02, LOOP = 0x03, IF = 0x04, VOID = 0x40, END = 0x0b, BR = 0x0c, BR_IF = 0x0d, RETURN = 0x0f, CALL = 0x10, SELECT = 0x1b;
export const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22;
export const I32_LOAD = 0x28, F32_LOAD = 0x2a, I32_STORE = 0x36, F32_STORE = 0x38, I32_CONST = 0x41;
export const I32_EQZ = 0x45, I32_LT_U = 0x49, I32_LT_S = 0x48, I32_GE_U = 0x4f, I64_LT_S = 0x53, F32_EQ = 0x5b, F32_LT = 0x5d, F64_EQ = 0x61, F64_LT = 0x63;
export const I32_ADD = 0x6a, I32_MUL = 0x6c, I32_AND = 0x71, I32_OR = 0x72, I32_SHL = 0x74;
export const F32_ADD = 0x92, F64_NEG = 0x9a, I32_WRAP_I64 = 0xa7, F64_PROMOTE_F32 = 0xbb;
// SIMD opcodes (after the 0xfd prefix).
export const V128_LOAD = 0, V128_CONST = 12, F64X2_SPLAT = 20, I64X2_EXTRACT_LANE = 29, F32X4_EXTRACT_LANE = 31, F64X2_EXTRACT_LANE = 33;
export const F32X4_SPLAT = 19, I32X4_EXTRACT_LANE = 27, F32X4_LT = 67, I32X4_ADD = 174, F32X4_SUB = 229;
export const F64X2_LT = 73, V128_BITSELECT = 82, I64X2_ADD = 206, F32X4_ADD = 228, F32X4_MUL = 230, F64X2_ADD = 240, F64X2_SUB = 241, F64X2_MUL = 242;

export const get = (i: number): number[] => [LOCAL_GET, i];
export const set = (i: number): number[] => [LOCAL_SET, i];
/** Adds `by` to i32 local `i`. */
export const bump = (i: number, by: number): number[] => [...get(i), I32_CONST, ...sleb(by), I32_ADD, ...set(i)];

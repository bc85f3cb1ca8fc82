/**
 * The graph build's WebAssembly SIMD dot products, assembled here byte by byte (no build
 * step, nothing native). The module imports a shared memory "env.mem" and exports
 *   dot(a, b, n) -> f32: the sum of a[i] * b[i] over n floats (n a multiple of 8), with two
 *     f32x4 accumulators, one for the even and one for the odd blocks of 4 floats;
 *   dots(q, ids, count, out, rowBytes, n): out[k] = dot(q, ids[k] * rowBytes, n) as f32;
 *   firstCloser(e, ids, count, rowBytes, n, de: f64, tmp) -> i32: the first k with
 *     -dot(e, ids[k] * rowBytes, n) < de (the RNG heuristic's test at inner product), or -1.
 * Offsets are bytes into the memory (`ids` an i32 array, `out` an f32 array, `tmp` 8 bytes
 * of scratch). The batched forms save the call from JavaScript a distance (a third of the
 * kernel's time at 64 dimensions) and score two or four rows against one in a pass: each
 * row keeps its own two accumulators, added in the order `dot` adds them, so every result
 * is the very f32 that `dot` returns (and a graph built with them is byte for byte the one
 * built without), while the rows' independent sums keep the processor busy where one
 * row's chain of additions left it waiting (about 1.6x at 512 dimensions).
 */
import {
  BLOCK, BR, BR_IF, bump, CALL, END, F32, F32_ADD, F32_LOAD, F32_STORE, F32X4_ADD, F32X4_EXTRACT_LANE, F32X4_MUL, F64, F64_LT, F64_NEG, F64_PROMOTE_F32, fn, get,
  I32, I32_ADD, I32_CONST, I32_EQZ, I32_GE_U, I32_LOAD, I32_LT_U, I32_MUL, I32_SHL, IF, leb, LOCAL_SET, LOCAL_TEE, LOOP, name, RETURN, section, simd, sleb, type, V128, V128_LOAD, VOID,
} from "../util/wasm-asm.js";

const FUNC_DOT = 0, FUNC_DOT2 = 1, FUNC_DOT4 = 2;

/** Pushes (i32 at local `ids` + `at`) times local `rowBytes`: a row's byte offset. */
const rowAt = (ids: number, at: number, rowBytes: number): number[] => [...get(ids), I32_LOAD, 2, ...leb(at), ...get(rowBytes), I32_MUL];
/** Pushes -f32 < local `de` (f64) for the f32 on the stack. */
const below = (de: number): number[] => [F64_PROMOTE_F32, F64_NEG, ...get(de), F64_LT];

/**
 * dot (k = 1, returns the f32) or dotK(q, e0 .. e(k-1), n, out) storing k f32s at out.
 * Params: 0 q, 1..k the rows, k+1 n, k+2 out (k > 1). Locals: two v128 accumulators a row,
 * the query's two blocks, the end offset.
 */
function dotBody(k: number): number[] {
  const n = k + 1, first = k > 1 ? k + 3 : k + 2;
  const acc = (r: number, h: number) => first + 2 * r + h;
  const qa = first + 2 * k, qb = qa + 1, end = qb + 1;
  const body = [2, 2 * k + 2, V128, 1, I32];
  body.push(...get(0), ...get(n), I32_CONST, 2, I32_SHL, I32_ADD, LOCAL_SET, end);
  body.push(BLOCK, VOID, LOOP, VOID, ...get(0), ...get(end), I32_GE_U, BR_IF, 1);
  body.push(...get(0), ...simd(V128_LOAD), 4, 0, LOCAL_SET, qa, ...get(0), ...simd(V128_LOAD), 4, 16, LOCAL_SET, qb);
  for (let r = 0; r < k; r++) {
    for (const [h, q, at] of [[0, qa, 0], [1, qb, 16]] as const) {
      body.push(...get(acc(r, h)), ...get(q), ...get(1 + r), ...simd(V128_LOAD), 4, at, ...simd(F32X4_MUL), ...simd(F32X4_ADD), LOCAL_SET, acc(r, h));
    }
  }
  body.push(...bump(0, 32));
  for (let r = 0; r < k; r++) body.push(...bump(1 + r, 32));
  body.push(BR, 0, END, END);
  for (let r = 0; r < k; r++) {
    if (k > 1) body.push(...get(k + 2));
    const a = acc(r, 0);
    body.push(...get(a), ...get(acc(r, 1)), ...simd(F32X4_ADD), LOCAL_TEE, a, ...simd(F32X4_EXTRACT_LANE), 0);
    for (let lane = 1; lane < 4; lane++) body.push(...get(a), ...simd(F32X4_EXTRACT_LANE), lane, F32_ADD);
    if (k > 1) body.push(F32_STORE, 2, ...leb(4 * r));
  }
  return [...body, END];
}

// dots. Params: 0 q, 1 ids, 2 count, 3 out, 4 rowBytes, 5 n. Four rows a call of dot4, then one at a time.
const dotsBody = [
  0,
  BLOCK, VOID, LOOP, VOID,
  ...get(2), I32_CONST, 4, I32_LT_U, BR_IF, 1,
  ...get(0), ...rowAt(1, 0, 4), ...rowAt(1, 4, 4), ...rowAt(1, 8, 4), ...rowAt(1, 12, 4), ...get(5), ...get(3), CALL, FUNC_DOT4,
  ...bump(1, 16), ...bump(3, 16), ...bump(2, -4),
  BR, 0, END, END,
  BLOCK, VOID, LOOP, VOID,
  ...get(2), I32_EQZ, BR_IF, 1,
  ...get(3), ...get(0), ...rowAt(1, 0, 4), ...get(5), CALL, FUNC_DOT, F32_STORE, 2, 0,
  ...bump(1, 4), ...bump(3, 4), ...bump(2, -1),
  BR, 0, END, END,
  END,
];

// firstCloser. Params: 0 e, 1 ids, 2 count, 3 rowBytes, 4 n, 5 de (f64), 6 tmp. Local: 7 k.
// Two rows a call of dot2 (one computed past the answer at most), then the odd one.
const firstCloserBody = [
  1, 1, I32,
  BLOCK, VOID, LOOP, VOID,
  ...get(7), I32_CONST, 1, I32_ADD, ...get(2), I32_GE_U, BR_IF, 1,
  ...get(0), ...rowAt(1, 0, 3), ...rowAt(1, 4, 3), ...get(4), ...get(6), CALL, FUNC_DOT2,
  ...get(6), F32_LOAD, 2, 0, ...below(5), IF, VOID, ...get(7), RETURN, END,
  ...get(6), F32_LOAD, 2, 4, ...below(5), IF, VOID, ...get(7), I32_CONST, 1, I32_ADD, RETURN, END,
  ...bump(1, 8), ...bump(7, 2),
  BR, 0, END, END,
  BLOCK, VOID,
  ...get(7), ...get(2), I32_GE_U, BR_IF, 0,
  ...get(0), ...rowAt(1, 0, 3), ...get(4), CALL, FUNC_DOT, ...below(5), IF, VOID, ...get(7), RETURN, END,
  END,
  I32_CONST, ...sleb(-1),
  END,
];

const i32s = (k: number): number[] => new Array<number>(k).fill(I32);

export const DOT_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  ...section(1, [5, ...type(i32s(3), [F32]), ...type(i32s(5), []), ...type(i32s(7), []), ...type(i32s(6), []), ...type([...i32s(5), F64, I32], [I32])]),
  ...section(2, [1, ...name("env"), ...name("mem"), 0x02, 0x03, ...leb(1), ...leb(65536)]),
  ...section(3, [5, 0, 1, 2, 3, 4]),
  ...section(7, [3, ...name("dot"), 0x00, FUNC_DOT, ...name("dots"), 0x00, 3, ...name("firstCloser"), 0x00, 4]),
  ...section(10, [5, ...fn(dotBody(1)), ...fn(dotBody(2)), ...fn(dotBody(4)), ...fn(dotsBody), ...fn(firstCloserBody)]),
]);

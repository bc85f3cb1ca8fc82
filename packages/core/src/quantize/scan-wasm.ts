/**
 * The nearest-centroid scan of k-means and encoding (kmeans.ts nearestCentroids) for rows
 * held at a stride S of 8 to MAX_SCAN_STRIDE floats (a multiple of 4: kmeans.ts strideOf pads
 * subspaces to one), in WebAssembly SIMD, one module a stride: four centroids a pass, one in each lane
 * of an f32x4, each lane keeping its own best; the lanes' bests then combine to the lowest
 * index among equal distances, as the JavaScript scan's strict "<" from centroid 0 does.
 * The sums are float32 (the JavaScript scan's are float64): rows almost equally near two
 * centroids may pick the other one, which no measure of the codes' quality can see.
 *
 * scan(xs, count, cT, nT, K, out): for rows [0, count) of xs (f32, stride S), out[i] (i32) =
 * the nearest centroid, by the least |c|^2 - 2 x.c. cT holds the centroids in fours, dimension
 * by dimension (group g, dimension t, lane l at byte g * 16 S + t * 16 + l * 4, f32), nT their
 * squared norms (group g, lane l at g * 16 + l * 4); K is a multiple of 4. The row's S values
 * sit in S locals, so a module is assembled for each stride a codebook uses (scanWasm).
 */
import {
  BLOCK, BR, BR_IF, bump, END, F32, F32_EQ, F32_LOAD, F32_LT, F32X4_ADD, F32X4_EXTRACT_LANE, F32X4_LT, F32X4_MUL, F32X4_SPLAT, F32X4_SUB, fn, get,
  I32, I32_ADD, I32_AND, I32_CONST, I32_GE_U, I32_LT_S, I32_MUL, I32_OR, I32_STORE, I32X4_ADD, I32X4_EXTRACT_LANE, IF, leb, LOCAL_TEE, LOOP, name, sleb,
  section, set, simd, type, V128, V128_BITSELECT, V128_CONST, V128_LOAD, VOID,
} from "../util/wasm-asm.js";

const v128 = (write: (v: DataView) => void): number[] => {
  const v = new DataView(new ArrayBuffer(16));
  write(v);
  return [...simd(V128_CONST), ...new Uint8Array(v.buffer)];
};
const f32x4 = (a: number): number[] => v128((v) => { for (let l = 0; l < 4; l++) v.setFloat32(4 * l, a, true); });
const i32x4 = (a: number, step: number): number[] => v128((v) => { for (let l = 0; l < 4; l++) v.setInt32(4 * l, a + step * l, true); });

/** The widest stride the SIMD scan takes (one v128 local a dimension); wider subspaces scan in JavaScript. */
export const MAX_SCAN_STRIDE = 64;

/** Whether the SIMD scan takes rows at stride S. */
export function scanTakes(S: number): boolean {
  return S >= 8 && S <= MAX_SCAN_STRIDE && S % 4 === 0;
}

// Params: 0 xs, 1 count, 2 cT, 3 nT, 4 K, 5 out.
const XS = 0, COUNT = 1, CT = 2, NT = 3, K = 4, OUT = 5;
const X = 6;

/** The scan's function body for stride S. */
function scanBody(S: number): number[] {
  // Locals: v128 x0..x(S-1), best, bestIndex, index, d, s; i32 c, nn, cEnd, xEnd, bi, li; f32 bd, ld.
  const BEST = X + S, BEST_INDEX = BEST + 1, INDEX = BEST + 2, D = BEST + 3, SUM = BEST + 4;
  const C = BEST + 5, NN = C + 1, C_END = C + 2, X_END = C + 3, BI = C + 4, LI = C + 5, BD = C + 6, LD = C + 7;
  /** Pushes x_t * (group's dimension t) + x_(t+1) * (dimension t + 1). */
  const products = (t: number): number[] => [
    ...get(X + t), ...get(C), ...simd(V128_LOAD), 4, ...leb(t * 16), ...simd(F32X4_MUL),
    ...get(X + t + 1), ...get(C), ...simd(V128_LOAD), 4, ...leb((t + 1) * 16), ...simd(F32X4_MUL),
    ...simd(F32X4_ADD),
  ];
  /** Pushes the sum of the pairs from `lo` (inclusive) to `hi`, as a balanced tree (at S = 8: ((p0 + p2) + (p4 + p6))). */
  const sum = (lo: number, hi: number): number[] => {
    if (hi - lo === 1) return products(2 * lo);
    const mid = lo + Math.ceil((hi - lo) / 2);
    return [...sum(lo, mid), ...sum(mid, hi), ...simd(F32X4_ADD)];
  };
  const body: number[] = [
    3, ...leb(S + 5), V128, 6, I32, 2, F32,
    ...get(CT), ...get(K), I32_CONST, ...sleb(16 * S / 4), I32_MUL, I32_ADD, ...set(C_END),
    ...get(XS), ...get(COUNT), I32_CONST, ...sleb(4 * S), I32_MUL, I32_ADD, ...set(X_END),
    BLOCK, VOID, LOOP, VOID,
    ...get(XS), ...get(X_END), I32_GE_U, BR_IF, 1,
  ];
  for (let t = 0; t < S; t++) body.push(...get(XS), F32_LOAD, 2, ...leb(4 * t), ...simd(F32X4_SPLAT), ...set(X + t));
  body.push(
    ...f32x4(Infinity), ...set(BEST),
    ...i32x4(0, 1), ...set(BEST_INDEX),
    ...i32x4(0, 1), ...set(INDEX),
    ...get(CT), ...set(C), ...get(NT), ...set(NN),
    BLOCK, VOID, LOOP, VOID,
    ...get(C), ...get(C_END), I32_GE_U, BR_IF, 1,
    // d = |c|^2 - 2 x.c
    ...get(NN), ...simd(V128_LOAD), 4, 0,
    ...sum(0, S / 2),
    LOCAL_TEE, SUM, ...get(SUM), ...simd(F32X4_ADD),
    ...simd(F32X4_SUB), ...set(D),
    // Where d < best: best = d, bestIndex = index.
    ...get(D), ...get(BEST), ...get(D), ...get(BEST), ...simd(F32X4_LT), LOCAL_TEE, SUM, ...simd(V128_BITSELECT), ...set(BEST),
    ...get(INDEX), ...get(BEST_INDEX), ...get(SUM), ...simd(V128_BITSELECT), ...set(BEST_INDEX),
    ...get(INDEX), ...i32x4(4, 0), ...simd(I32X4_ADD), ...set(INDEX),
    ...bump(C, 16 * S), ...bump(NN, 16),
    BR, 0, END, END,
    // The lanes' bests: a later lane wins if nearer, or as near with a lower index.
    ...get(BEST), ...simd(F32X4_EXTRACT_LANE), 0, ...set(BD),
    ...get(BEST_INDEX), ...simd(I32X4_EXTRACT_LANE), 0, ...set(BI),
  );
  for (let lane = 1; lane < 4; lane++) {
    body.push(
      ...get(BEST), ...simd(F32X4_EXTRACT_LANE), lane, ...set(LD),
      ...get(BEST_INDEX), ...simd(I32X4_EXTRACT_LANE), lane, ...set(LI),
      ...get(LD), ...get(BD), F32_LT, ...get(LD), ...get(BD), F32_EQ, ...get(LI), ...get(BI), I32_LT_S, I32_AND, I32_OR,
      IF, VOID, ...get(LD), ...set(BD), ...get(LI), ...set(BI), END,
    );
  }
  body.push(
    ...get(OUT), ...get(BI), I32_STORE, 2, 0,
    ...bump(XS, 4 * S), ...bump(OUT, 4),
    BR, 0, END, END,
    END,
  );
  return body;
}

const modules = new Map<number, Uint8Array>();

/**
 * The scan's module for rows at stride S (assembled once a stride).
 * @throws RangeError when the SIMD scan does not take S (scanTakes)
 */
export function scanWasm(S: number): Uint8Array {
  if (!scanTakes(S)) throw new RangeError(`scanWasm: stride ${S} is not a multiple of 4 from 8 to ${MAX_SCAN_STRIDE}`);
  let wasm = modules.get(S);
  if (!wasm) {
    wasm = new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
      ...section(1, [1, ...type([I32, I32, I32, I32, I32, I32], [])]),
      ...section(2, [1, ...name("env"), ...name("mem"), 0x02, 0x00, 1]),
      ...section(3, [1, 0]),
      ...section(7, [1, ...name("scan"), 0x00, 0]),
      ...section(10, [1, ...fn(scanBody(S))]),
    ]);
    modules.set(S, wasm);
  }
  return wasm;
}

/**
 * Assigns rows [0, count) of `rows` (stride `stride`) to their nearest of K centroids (same stride, squared norms
 * `norms`); returns a view valid until the next call.
 */
export type Scan = ((rows: Float32Array, count: number, cents: Float64Array, norms: Float64Array) => Int32Array) & { readonly stride: number };

/**
 * A scan at stride S (its module: scanWasm(S)) of up to `maxRows` rows a call over K centroids, on its own memory;
 * undefined where the runtime lacks WebAssembly SIMD. Self-contained (no module scope): worker
 * threads receive its source text and the modules.
 */
export function createScan(wasm: Uint8Array, S: number, maxRows: number, K: number): Scan | undefined {
  interface Wasm {
    validate(b: Uint8Array): boolean;
    Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
    Module: new (b: Uint8Array) => object;
    Instance: new (m: object, i: object) => { exports: Record<string, unknown> };
  }
  const WA = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly;
  if (!WA || K % 4 !== 0 || !WA.validate(wasm)) return undefined;
  const xsAt = 0, cAt = xsAt + maxRows * 4 * S, nAt = cAt + K * 4 * S, outAt = nAt + K * 4;
  const memory = new WA.Memory({ initial: Math.ceil((outAt + maxRows * 4) / 65536) });
  const scan = new WA.Instance(new WA.Module(wasm), { env: { mem: memory } }).exports.scan as (xs: number, count: number, c: number, n: number, k: number, out: number) => void;
  const xs = new Float32Array(memory.buffer, xsAt, maxRows * S);
  const cT = new Float32Array(memory.buffer, cAt, K * S);
  const nT = new Float32Array(memory.buffer, nAt, K);
  const out = new Int32Array(memory.buffer, outAt, maxRows);
  const run = (rows: Float32Array, count: number, cents: Float64Array, norms: Float64Array): Int32Array => {
    if (count > maxRows) throw new RangeError(`scan: ${count} rows, at most ${maxRows}`);
    xs.set(rows.subarray(0, count * S));
    for (let c = 0; c < K; c++) {
      const g = (c >> 2) * 4 * S + (c & 3);
      for (let t = 0; t < S; t++) cT[g + t * 4] = cents[c * S + t]!;
    }
    nT.set(norms.subarray(0, K));
    scan(xsAt, count, cAt, nAt, K, outAt);
    return out;
  };
  return Object.assign(run, { stride: S });
}

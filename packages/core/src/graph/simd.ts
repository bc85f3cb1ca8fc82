/**
 * A WebAssembly SIMD dot product, for graph construction (about 4x faster than the
 * scalar loop in V8). The module is assembled here byte by byte (no build step, nothing
 * native): it imports a shared memory "env.mem" and exports
 *   dot(aByteOffset: i32, bByteOffset: i32, n: i32) -> f32
 * summing a[i] * b[i] over n floats with two f32x4 accumulators; n must be a multiple of 8.
 */
const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const name = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
const simd = (op: number): number[] => [0xfd, ...leb(op)];
const V128_LOAD = 0, F32X4_EXTRACT_LANE = 31, F32X4_ADD = 228, F32X4_MUL = 230;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, I32_CONST = 0x41, I32_ADD = 0x6a, I32_SHL = 0x74, I32_GE_U = 0x4f, F32_ADD = 0x92;

// Params: 0 a, 1 b, 2 n. Locals: 3, 4 v128 accumulators; 5 i32 end.
const body = [
  2, 2, 0x7b, 1, 0x7f,
  LOCAL_GET, 0, LOCAL_GET, 2, I32_CONST, 2, I32_SHL, I32_ADD, LOCAL_SET, 5,
  0x02, 0x40, 0x03, 0x40,
  LOCAL_GET, 0, LOCAL_GET, 5, I32_GE_U, 0x0d, 1,
  LOCAL_GET, 3, LOCAL_GET, 0, ...simd(V128_LOAD), 4, 0, LOCAL_GET, 1, ...simd(V128_LOAD), 4, 0, ...simd(F32X4_MUL), ...simd(F32X4_ADD), LOCAL_SET, 3,
  LOCAL_GET, 4, LOCAL_GET, 0, ...simd(V128_LOAD), 4, 16, LOCAL_GET, 1, ...simd(V128_LOAD), 4, 16, ...simd(F32X4_MUL), ...simd(F32X4_ADD), LOCAL_SET, 4,
  LOCAL_GET, 0, I32_CONST, 32, I32_ADD, LOCAL_SET, 0, LOCAL_GET, 1, I32_CONST, 32, I32_ADD, LOCAL_SET, 1,
  0x0c, 0, 0x0b, 0x0b,
  LOCAL_GET, 3, LOCAL_GET, 4, ...simd(F32X4_ADD), LOCAL_TEE, 3,
  ...simd(F32X4_EXTRACT_LANE), 0,
  LOCAL_GET, 3, ...simd(F32X4_EXTRACT_LANE), 1, F32_ADD,
  LOCAL_GET, 3, ...simd(F32X4_EXTRACT_LANE), 2, F32_ADD,
  LOCAL_GET, 3, ...simd(F32X4_EXTRACT_LANE), 3, F32_ADD,
  0x0b,
];

export const DOT_WASM = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7d]),
  ...section(2, [1, ...name("env"), ...name("mem"), 0x02, 0x03, ...leb(1), ...leb(65536)]),
  ...section(3, [1, 0]),
  ...section(7, [1, ...name("dot"), 0x00, 0]),
  ...section(10, [1, ...leb(body.length), ...body]),
]);

/** The part of the WebAssembly API used here (the project's TS lib settings carry no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

const PAGE = 65536;
const MAX_PAGES = 65536; // 4 GiB: wasm32's limit

let supported: boolean | undefined;
/** True when this runtime validates the module (SIMD and threads). */
export function simdAvailable(): boolean {
  if (supported === undefined) {
    try {
      supported = WA !== undefined && WA.validate(DOT_WASM);
    } catch {
      supported = false;
    }
  }
  return supported === true;
}

/** Memories behind the vector arrays made by allocateVectors, so construction can use them without a copy. */
const memories = new WeakMap<ArrayBufferLike, WasmMemory>();

/**
 * Allocates a row-major vector table that graph construction can use as it is: inside a
 * shared WebAssembly memory when the SIMD kernel can serve `dims`, else in a
 * SharedArrayBuffer (worker threads read it without a copy either way).
 */
export function allocateVectors(count: number, dims: number): Float32Array {
  const bytes = count * dims * 4;
  const pages = Math.ceil(bytes / PAGE) + 1;
  if (dims % 8 === 0 && simdAvailable() && pages <= MAX_PAGES) {
    const memory = new WA!.Memory({ initial: pages, maximum: pages, shared: true });
    memories.set(memory.buffer, memory);
    return new Float32Array(memory.buffer, 0, count * dims);
  }
  return new Float32Array(new SharedArrayBuffer(Math.max(8, bytes)));
}

/**
 * True when `vectors` sit in memory that construction uses in place (allocateVectors with
 * SIMD, or shared memory), so rows written later are seen by every worker.
 */
export function ownsVectors(vectors: Float32Array): boolean {
  if (vectors.byteOffset === 0 && memories.has(vectors.buffer)) return true;
  return vectors.buffer instanceof SharedArrayBuffer;
}

export interface SimdVectors {
  memory: WasmMemory;
  /** The vectors, viewed inside the shared memory at byte offset 0. */
  vectors: Float32Array;
  dot: (a: number, b: number, n: number) => number;
}

/** Copies vectors into a shared WebAssembly memory, or returns undefined when SIMD cannot serve them. */
export function simdVectors(vectors: Float32Array, dims: number): SimdVectors | undefined {
  if (dims % 8 !== 0 || !simdAvailable()) return undefined;
  const own = vectors.byteOffset === 0 ? memories.get(vectors.buffer) : undefined;
  if (own) return { memory: own, vectors, dot: instantiateDot(own) };
  const pages = Math.ceil(vectors.byteLength / PAGE) + 1;
  if (pages > MAX_PAGES) return undefined;
  const memory = new WA!.Memory({ initial: pages, maximum: pages, shared: true });
  const view = new Float32Array(memory.buffer, 0, vectors.length);
  view.set(vectors);
  return { memory, vectors: view, dot: instantiateDot(memory) };
}

/** Instantiates the module on a memory (also used inside worker threads). */
export function instantiateDot(memory: WasmMemory): (a: number, b: number, n: number) => number {
  const instance = new WA!.Instance(new WA!.Module(DOT_WASM), { env: { mem: memory } });
  return instance.exports.dot as (a: number, b: number, n: number) => number;
}

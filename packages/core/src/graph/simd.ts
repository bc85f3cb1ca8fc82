/**
 * WebAssembly SIMD for graph construction: shared memories that hold the vectors (so worker
 * threads read them in place) and the dot-product kernel of dot-wasm.ts instantiated on them.
 */
import { DOT_WASM } from "./dot-wasm.js";

export { DOT_WASM };

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
/**
 * Every memory made here ends with one page past its vectors: scratch space where the
 * batched forms read neighbour ids and write results (hnsw-build.ts shares it out, a slice a thread).
 */
export const SCRATCH_BYTES = PAGE;

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

/** The module's exports (see the header comment); every offset is in bytes. */
export interface SimdKernel {
  dot: (a: number, b: number, n: number) => number;
  dots: (q: number, ids: number, count: number, out: number, rowBytes: number, n: number) => void;
  firstCloser: (e: number, ids: number, count: number, rowBytes: number, n: number, de: number, tmp: number) => number;
}

export interface SimdVectors extends SimdKernel {
  memory: WasmMemory;
  /** The vectors, viewed inside the shared memory at byte offset 0. */
  vectors: Float32Array;
}

/** Copies vectors into a shared WebAssembly memory, or returns undefined when SIMD cannot serve them. */
export function simdVectors(vectors: Float32Array, dims: number): SimdVectors | undefined {
  if (dims % 8 !== 0 || !simdAvailable()) return undefined;
  const own = vectors.byteOffset === 0 ? memories.get(vectors.buffer) : undefined;
  if (own) return { memory: own, vectors, ...instantiateKernel(own) };
  const pages = Math.ceil(vectors.byteLength / PAGE) + 1;
  if (pages > MAX_PAGES) return undefined;
  const memory = new WA!.Memory({ initial: pages, maximum: pages, shared: true });
  const view = new Float32Array(memory.buffer, 0, vectors.length);
  view.set(vectors);
  return { memory, vectors: view, ...instantiateKernel(memory) };
}

/** Instantiates the module on a memory (worker threads do the same from DOT_WASM). */
export function instantiateKernel(memory: WasmMemory): SimdKernel {
  const instance = new WA!.Instance(new WA!.Module(DOT_WASM), { env: { mem: memory } });
  const e = instance.exports as unknown as SimdKernel;
  return { dot: e.dot, dots: e.dots, firstCloser: e.firstCloser };
}

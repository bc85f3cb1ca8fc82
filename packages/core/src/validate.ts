import { randomUUID } from "node:crypto";
import { MAX_COMPONENT, type Embedder } from "./embedder.js";
import { DimensionMismatchError, DuplicateIdError, InvalidInputError, InvalidOptionsError } from "./errors.js";
import type { Metadata, PassageRecord } from "./store/passages.js";
import type { PassageInput } from "./types.js";

/** Checks that metadata survives a JSON round trip (finite numbers, plain objects, no cycles). */
function validateMetadata(m: unknown, where: string): Metadata {
  if (m === undefined || m === null) return {};
  if (typeof m !== "object" || Array.isArray(m)) {
    throw new InvalidInputError(`${where}: metadata must be a plain object, received ${Array.isArray(m) ? "an array" : typeof m}.`);
  }
  const check = (v: unknown, path: string, depth: number): void => {
    if (depth > 64) throw new InvalidInputError(`${where}: metadata nests deeper than 64 levels at ${path} (a cycle?).`);
    if (v === null || typeof v === "string" || typeof v === "boolean") return;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) throw new InvalidInputError(`${where}: metadata ${path} is ${v}; JSON cannot store it. Use a finite number or a string.`);
      return;
    }
    if (Array.isArray(v)) return v.forEach((x, i) => check(x, `${path}[${i}]`, depth + 1));
    if (typeof v === "object" && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)) {
      for (const [k, x] of Object.entries(v)) check(x, `${path}.${k}`, depth + 1);
      return;
    }
    throw new InvalidInputError(
      `${where}: metadata ${path} is ${v instanceof Date ? "a Date" : typeof v}, which JSON cannot round-trip. Convert it to a string, number, boolean, null, array or plain object.`,
    );
  };
  for (const [k, x] of Object.entries(m)) check(x, k, 1);
  return m as Metadata;
}

/** Validates passages at the boundary and assigns missing ids. */
export function validatePassages(passages: unknown): PassageRecord[] {
  if (!Array.isArray(passages)) throw new InvalidInputError(`passages must be an array of { id?, text, metadata? }, received ${typeof passages}.`);
  const seen = new Set<string>();
  return passages.map((p: unknown, i) => {
    const where = `passage ${i}`;
    if (typeof p !== "object" || p === null) throw new InvalidInputError(`${where} must be an object { id?, text, metadata? }, received ${p === null ? "null" : typeof p}.`);
    const { id, text, metadata } = p as PassageInput;
    if (typeof text !== "string") throw new InvalidInputError(`${where}: text must be a string, received ${typeof text}.`);
    if (text.trim().length === 0) throw new InvalidInputError(`${where}${id ? ` (id ${JSON.stringify(id)})` : ""}: text is empty. Drop empty chunks before indexing.`);
    if (id !== undefined && (typeof id !== "string" || id.length === 0)) {
      throw new InvalidInputError(`${where}: id must be a non-empty string, received ${JSON.stringify(id)}.`);
    }
    const finalId = id ?? randomUUID();
    if (seen.has(finalId)) {
      throw new DuplicateIdError(`${where}: id ${JSON.stringify(finalId)} appears more than once in this call; ids must be unique.`);
    }
    seen.add(finalId);
    return { id: finalId, text, metadata: validateMetadata(metadata, where) };
  });
}

export function checkEmbedder(embedder: unknown, where: string): asserts embedder is Embedder {
  if (typeof embedder !== "object" || embedder === null || typeof (embedder as Embedder).embedDocuments !== "function") {
    throw new InvalidOptionsError(
      `${where}: options.embedder must be an object with embedDocuments(texts) (any LangChain Embeddings works), received ${embedder === null ? "null" : typeof embedder}.`,
    );
  }
}

/** Copies caller-given vectors into one flat array, checking count, dimensions and finiteness. */
export function vectorsFrom(
  rows: ArrayLike<number>[],
  n: number,
  alloc: (length: number, dims: number) => Float32Array = (length) => new Float32Array(length),
): { vectors: Float32Array; dims: number } {
  if (!Array.isArray(rows) || rows.length !== n) {
    throw new InvalidInputError(`options.vectors has ${Array.isArray(rows) ? rows.length : typeof rows} rows for ${n} passages; give exactly one vector per passage.`);
  }
  const dims = rows[0]?.length ?? 0;
  if (!dims) throw new InvalidInputError("options.vectors: the first vector is empty.");
  const out = alloc(n * dims, dims);
  rows.forEach((r, i) => {
    if (r.length !== dims) throw new DimensionMismatchError(dims, r.length, `options.vectors[${i}]`);
    for (let j = 0; j < dims; j++) {
      const x = r[j]!;
      if (typeof x !== "number" || !Number.isFinite(x) || Math.abs(x) > MAX_COMPONENT) {
        throw new InvalidInputError(`options.vectors[${i}][${j}] is ${x}; vectors must hold finite numbers within ±${MAX_COMPONENT} (the half-precision range of the codebooks).`);
      }
      out[i * dims + j] = x;
    }
  });
  return { vectors: out, dims };
}

/** Promise helpers that let a test order concurrent work without sleeping, and assert rejections. */
import type { LeannError } from "@leann/core";

/**
 * The brand every LeannError carries (see packages/core/src/errors.ts). Checked here
 * instead of calling `LeannError.isInstance` so the kit has no runtime import of the
 * engine: scripts that borrow fixtures (the onnx bench) run without a built @leann/core.
 */
const LEANN_BRAND = Symbol.for("leann.error");

const isLeannError = (v: unknown): v is LeannError => typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[LEANN_BRAND] === true;

/** A promise with its settle functions, for a test to resolve at the moment it chooses. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * What `p` rejects with, for asserting an error's class and code without a bare
 * try/catch (which passes silently when nothing throws).
 * @throws {Error} when `p` resolves instead: the test expected a failure.
 */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  const sentinel = Symbol("resolved");
  const r = await p.then(
    () => sentinel,
    (e: unknown) => e,
  );
  if (r === sentinel) throw new Error("rejectionOf: the promise resolved, but the test expected it to reject.");
  return r;
}

/**
 * The `LeannError` that `p` rejects with (branded check, so it works across duplicate
 * copies of @leann/core). The test then asserts its class and code.
 * @throws {Error} when `p` resolves, or rejects with anything that is not a LeannError.
 */
export async function leannErrorOf(p: Promise<unknown>): Promise<LeannError> {
  const r = await rejectionOf(p);
  if (!isLeannError(r)) throw new Error(`leannErrorOf: expected a LeannError, got ${r instanceof Error ? `${r.name}: ${r.message}` : String(r)}.`);
  return r;
}

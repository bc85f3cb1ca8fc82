/**
 * Helpers for embedders that call a server (`@leann/ollama`, `@leann/openai`): one limit on
 * the requests in flight per embedder instance, and the fan-out of a call's texts into
 * batches under it. Kept in core so every remote embedder behaves the same way.
 */

import { DimensionMismatchError, InvalidInputError } from "./errors.js";

/**
 * Checks the texts a remote embedder was handed before any request goes out.
 * @throws InvalidInputError naming `where` when `texts` is not an array of strings
 */
export function checkTexts(texts: unknown, where: string): asserts texts is string[] {
  if (Array.isArray(texts) && texts.every((t) => typeof t === "string")) return;
  const bad = Array.isArray(texts) ? `an array holding ${typeof texts.find((t) => typeof t !== "string")}` : typeof texts;
  throw new InvalidInputError(`${where}: texts must be an array of strings, received ${bad}.`);
}

/**
 * Checks embedding `i` of a server's answer: a non-empty array of finite numbers, `expected`
 * long when a width is known (configured, or learnt from an earlier answer). Returns its length,
 * so the caller can learn the width from the first answer.
 * @throws the error `responseError` makes (the package's own) for a malformed vector
 * @throws DimensionMismatchError when its length differs from `expected`
 */
export function checkServedVector(v: unknown, i: number, where: string, expected: number | undefined, responseError: (message: string) => Error): number {
  if (!Array.isArray(v) || v.length === 0) {
    const hint = typeof v === "string" ? " (a base64 string: this client expects the default float encoding)" : "";
    throw responseError(`${where}: embedding ${i} is ${Array.isArray(v) ? "empty" : (JSON.stringify(v)?.slice(0, 40) ?? typeof v)}${hint}; expected an array of numbers.`);
  }
  if (expected !== undefined && v.length !== expected) throw new DimensionMismatchError(expected, v.length, where);
  for (let j = 0; j < v.length; j++) {
    const x: unknown = v[j];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw responseError(`${where}: embedding ${i}, component ${j} is ${JSON.stringify(x) ?? typeof x}; expected a finite number.`);
    }
  }
  return v.length;
}

/**
 * Bounds the requests in flight for one embedder instance: every call on it (the concurrent
 * searches of a server, a build's batches) shares the same slots, so the inference server
 * sees at most `limit` requests from this process. Waiters get slots in FIFO order.
 */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Tasks running now. */
  get running(): number {
    return this.active;
  }

  /** Runs `task` once a slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((grant) => this.waiting.push(grant));
    else this.active++;
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter (active stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/**
 * Embeds `texts` in batches of `batchSize`, each batch a task of `limiter`, and returns one
 * vector per text in order. Once a batch fails, the call's batches still queued are not
 * sent (the call fails anyway), and the call rejects with the first failure only after
 * every request it started has settled, so no request outlives the call.
 * @throws whatever `embedBatch` threw first
 */
export async function embedInBatches(
  texts: readonly string[],
  batchSize: number,
  limiter: Limiter,
  embedBatch: (batch: string[]) => Promise<number[][]>,
): Promise<number[][]> {
  const out: number[][] = new Array(texts.length);
  let failure: { error: unknown } | undefined;
  const tasks: Promise<void>[] = [];
  for (let start = 0; start < texts.length; start += batchSize) {
    const batch = texts.slice(start, start + batchSize);
    tasks.push(
      limiter.run(async () => {
        if (failure) return;
        try {
          const vectors = await embedBatch(batch);
          for (let i = 0; i < vectors.length; i++) out[start + i] = vectors[i]!;
        } catch (error) {
          failure ??= { error };
        }
      }),
    );
  }
  await Promise.all(tasks);
  if (failure) throw failure.error;
  return out;
}

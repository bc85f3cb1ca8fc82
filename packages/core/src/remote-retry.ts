/**
 * The retry machinery every embedder that calls a server shares (`@leann/ollama`, `@leann/openai`):
 * reading the network error code out of a fetch failure, telling "nothing listens there" from a
 * passing hiccup, equal-jitter exponential backoff, and the loop that retries transient failures.
 * What counts as transient, and the errors thrown, stay with each package (they know their server).
 */

/** Network error codes meaning "nothing listens there": retrying will not help, a hint about the address will. */
export const UNREACHABLE_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

/**
 * The system error code of a failed fetch, if any. undici throws `TypeError("fetch failed",
 * { cause: Error & { code } })`, sometimes nested once more, and an AggregateError of the IPv4
 * and IPv6 attempts for dual-stack dials; at most four causes deep are looked at.
 */
export function networkErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) {
      for (const x of inner) {
        const c = (x as { code?: unknown })?.code;
        if (typeof c === "string") return c;
      }
    }
  }
  return undefined;
}

/**
 * The delay before retry `attempt` (0-based), equal jitter: half of `baseMs * 2^attempt`
 * (capped at `maxMs`) fixed, the other half random.
 */
export function backoffDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** attempt);
  return exp / 2 + random() * (exp / 2);
}

/** How one attempt ended. `F` is what a package keeps about a transient failure (for its messages). */
export type AttemptOutcome<T, F> =
  | { kind: "ok"; value: T }
  /** Worth another try; after `retryAfterMs` when the server named a wait, else after the backoff. */
  | { kind: "transient"; failure: F; retryAfterMs?: number }
  | { kind: "fatal"; error: Error };

export interface RetryLoopOptions<F> {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Base of the exponential backoff, ms. */
  retryDelayMs: number;
  /** Cap of one backoff delay, ms. */
  maxDelayMs: number;
  /** The error to throw once `maxRetries + 1` attempts failed transiently. */
  exhausted: (last: F, attempts: number) => Error;
  /** Called before every retry, with the delay about to be waited. */
  onRetry?: (attempt: number, delayMs: number, failure: F) => void;
  /** Waits between attempts; tests may replace it. */
  sleep?: (ms: number) => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, fails fatally, or has failed transiently `maxRetries + 1`
 * times, waiting the server's Retry-After or a jittered backoff between tries.
 * @throws the fatal outcome's error, or `exhausted(last, attempts)` when retries ran out
 */
export async function retryLoop<T, F>(attempt: () => Promise<AttemptOutcome<T, F>>, o: RetryLoopOptions<F>): Promise<T> {
  for (let i = 0; ; i++) {
    const r = await attempt();
    if (r.kind === "ok") return r.value;
    if (r.kind === "fatal") throw r.error;
    if (i >= o.maxRetries) throw o.exhausted(r.failure, i + 1);
    const delay = r.retryAfterMs ?? backoffDelayMs(i, o.retryDelayMs, o.maxDelayMs);
    o.onRetry?.(i + 1, delay, r.failure);
    await (o.sleep ?? sleep)(delay);
  }
}

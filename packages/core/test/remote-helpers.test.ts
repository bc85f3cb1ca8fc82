import { describe, expect, it } from "vitest";
import { DimensionMismatchError } from "../src/errors.js";
import { checkServedVector } from "../src/remote-batches.js";
import { backoffDelayMs, networkErrorCode, retryLoop, UNREACHABLE_CODES, type AttemptOutcome } from "../src/remote-retry.js";

describe("networkErrorCode", () => {
  it("finds the code undici puts on the cause of a fetch failure", () => {
    const err = new TypeError("fetch failed", { cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }) });
    expect(networkErrorCode(err)).toBe("ECONNREFUSED");
    expect(UNREACHABLE_CODES.has(networkErrorCode(err)!)).toBe(true);
  });

  it("finds the code inside an AggregateError of dual-stack dials", () => {
    const agg = new AggregateError([new Error("v6"), Object.assign(new Error("v4"), { code: "EHOSTUNREACH" })]);
    expect(networkErrorCode(new TypeError("fetch failed", { cause: agg }))).toBe("EHOSTUNREACH");
  });

  it("returns undefined for an error without a code, and stops at four causes deep", () => {
    expect(networkErrorCode(new Error("plain"))).toBeUndefined();
    let deep: Error = Object.assign(new Error("root"), { code: "ECONNRESET" });
    for (let i = 0; i < 4; i++) deep = new Error(`wrap ${i}`, { cause: deep });
    expect(networkErrorCode(deep)).toBeUndefined();
  });
});

describe("backoffDelayMs", () => {
  it("doubles per attempt with equal jitter and respects the cap", () => {
    expect(backoffDelayMs(0, 100, 8000, () => 0)).toBe(50);
    expect(backoffDelayMs(0, 100, 8000, () => 1)).toBe(100);
    expect(backoffDelayMs(3, 100, 8000, () => 0)).toBe(400);
    expect(backoffDelayMs(20, 100, 8000, () => 1)).toBe(8000);
  });
});

describe("retryLoop", () => {
  const scripted = <T>(outcomes: AttemptOutcome<T, string>[]) => {
    let i = 0;
    return { attempt: async () => outcomes[i++]!, calls: () => i };
  };
  const waits: number[] = [];
  const base = { maxRetries: 2, retryDelayMs: 10, maxDelayMs: 1000, sleep: async (ms: number) => void waits.push(ms), exhausted: (last: string, n: number) => new Error(`gave up after ${n}: ${last}`) };

  it("retries transient failures, waiting the server's delay when it names one", async () => {
    waits.length = 0;
    const s = scripted<number>([{ kind: "transient", failure: "busy", retryAfterMs: 777 }, { kind: "ok", value: 42 }]);
    const retried: string[] = [];
    await expect(retryLoop(s.attempt, { ...base, onRetry: (_n, _d, f) => retried.push(f) })).resolves.toBe(42);
    expect(waits).toEqual([777]);
    expect(retried).toEqual(["busy"]);
  });

  it("throws the fatal error at once, without retrying", async () => {
    const s = scripted<number>([{ kind: "fatal", error: new RangeError("no such model") }, { kind: "ok", value: 1 }]);
    await expect(retryLoop(s.attempt, base)).rejects.toBeInstanceOf(RangeError);
    expect(s.calls()).toBe(1);
  });

  it("gives up after maxRetries + 1 transient failures with the package's error", async () => {
    waits.length = 0;
    const s = scripted<number>([1, 2, 3, 4].map((i) => ({ kind: "transient", failure: `reset ${i}` })));
    await expect(retryLoop(s.attempt, base)).rejects.toThrow("gave up after 3: reset 3");
    expect(s.calls()).toBe(3);
    expect(waits).toHaveLength(2);
  });
});

describe("checkServedVector", () => {
  const bad = (m: string) => new SyntaxError(m);
  it("returns the width of a good vector and learns nothing wrong", () => {
    expect(checkServedVector([0.5, -1, 2], 0, "srv", undefined, bad)).toBe(3);
    expect(checkServedVector([0.5, -1, 2], 1, "srv", 3, bad)).toBe(3);
  });

  it("throws the package's error for empty, non-array and non-finite vectors, naming where", () => {
    expect(() => checkServedVector([], 0, "srv", undefined, bad)).toThrow(/srv: embedding 0 is empty/);
    expect(() => checkServedVector("AAAA", 2, "srv", undefined, bad)).toThrow(/base64/);
    expect(() => checkServedVector([1, null, 3], 4, "srv", undefined, bad)).toThrow(/embedding 4, component 1 is null/);
    expect(() => checkServedVector([1, Number.NaN], 0, "srv", undefined, bad)).toThrow(SyntaxError);
  });

  it("throws DimensionMismatchError when the width differs from the expected one", () => {
    expect(() => checkServedVector([1, 2], 0, "srv", 3, bad)).toThrow(DimensionMismatchError);
  });
});

import { ConcurrentWriteError, LockedError } from "@leann/core";
import { describe, expect, it } from "vitest";
import { classify, EXIT } from "../src/exit-codes.js";

describe("classify", () => {
  it.each([
    ["another process holds the lock", new LockedError("/x is being written by process 1"), "LOCKED"],
    ["another writer saved the index meanwhile", new ConcurrentWriteError("/x", "/x was saved by another writer"), "CONCURRENT_WRITE"],
  ])("exits 6 (conflict) with its code when %s", (_, err, code) => {
    expect(classify(err)).toMatchObject({ exitCode: EXIT.CONFLICT, code });
  });
});

import { describe, expect, it } from "vitest";
import type { FileEntry } from "../src/home.js";
import { compareWithIndex, fileOfChunkId } from "../src/reconcile.js";

const entry = (chunks: number, dropped?: number[]): FileEntry => ({ mtimeMs: 1, size: 1, chunks, textBytes: 1, ...(dropped ? { dropped } : {}) });

describe("compareWithIndex", () => {
  it.each([
    ["finds nothing when the index holds exactly the recorded chunks", { "/a.md": entry(2) }, ["/a.md#0", "/a.md#1"], [], []],
    ["flags a file when the index lost its chunks (a delete saved, leann.json not)", { "/a.md": entry(2), "/b.md": entry(1) }, ["/b.md#0"], ["/a.md"], []],
    ["flags a file when the index holds more chunks than recorded (a grown file re-indexed, leann.json not)", { "/a.md": entry(1) }, ["/a.md#0", "/a.md#1"], ["/a.md"], []],
    ["flags a file the index holds but leann.json does not list (an add saved, leann.json not)", { "/a.md": entry(1) }, ["/a.md#0", "/new.md#0"], [], ["/new.md"]],
    ["takes chunks dropped by delete --id as intended", { "/a.md": entry(3, [1]) }, ["/a.md#0", "/a.md#2"], [], []],
    ["ignores ids that are not CLI chunk ids", { "/a.md": entry(1) }, ["/a.md#0", "custom-id", "#0", "x#y"], [], []],
  ])("%s", (_, files, ids, mismatched, unrecorded) => {
    const d = compareWithIndex(files, ids);
    expect(d.mismatched).toEqual(mismatched);
    expect(d.unrecorded).toEqual(unrecorded);
  });

  it("groups the index's ids by file, a path holding '#' included", () => {
    const d = compareWithIndex({}, ["/x#y.md#0", "/x#y.md#1", "/z.md#0"]);
    expect(Object.fromEntries(d.idsByFile)).toEqual({ "/x#y.md": ["/x#y.md#0", "/x#y.md#1"], "/z.md": ["/z.md#0"] });
    expect(fileOfChunkId("/x#y.md#12")).toBe("/x#y.md");
    expect(fileOfChunkId("/x.md#")).toBeUndefined();
  });
});

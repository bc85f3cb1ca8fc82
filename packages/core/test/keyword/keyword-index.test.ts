import { describe, expect, it } from "vitest";
import { CorruptIndexError } from "../../src/errors.js";
import { KeywordIndex } from "../../src/keyword/index.js";

describe("KeywordIndex bytes", () => {
  it("does reopen a dictionary of regular terms that deflates far better than 64x (20,000 numbered passages)", () => {
    // Front-coded numbers ("0".."19999", df 1 each) once deflated ~65x and were refused as a bomb on load.
    const index = KeywordIndex.create();
    for (let i = 0; i < 20_000; i++) index.add(i, `passage ${i}`);
    const again = KeywordIndex.fromBytes(index.toBytes());
    expect(again.search("12345", { k: 1 }).hits.map((h) => h.id)).toEqual([12345]);
    expect(again.toBytes()).toEqual(index.toBytes());
  });

  it("does refuse a section whose term count leaves no room for the terms' posting lists", () => {
    const index = KeywordIndex.create();
    for (let i = 0; i < 50; i++) index.add(i, `word${i} common`);
    const bytes = index.toBytes();
    // Cut the postings off: the dictionary still names every term.
    const cut = bytes.subarray(0, bytes.length - 40);
    expect(() => KeywordIndex.fromBytes(cut)).toThrow(CorruptIndexError);
  });
});

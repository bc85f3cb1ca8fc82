import { describe, expect, it } from "vitest";
import { compileFilter, LeannIndex, type MetadataFilter } from "../../src/index.js";
import { metadataValue } from "../../src/search/filter.js";
import { HashEmbedder } from "../fixtures/hash-embedder.js";

const meta = JSON.parse(
  '{"k": 3, "tag": "t1", "flag": true, "list": ["a", "b"], "loc": {"lines": {"from": 4, "to": 9}}, "a.b": "literal", "a": {"b": "nested"}, "__proto__": "own-proto"}',
) as Record<string, unknown>;

/** One row per case: the filter, and whether `meta` matches it. */
const ROWS: [MetadataFilter, boolean][] = [
  [{ key: "k", operator: "==", value: 3 }, true],
  [{ key: "k", operator: "!=", value: 3 }, false],
  [{ key: "k", operator: ">", value: 2 }, true],
  [{ key: "k", operator: "<", value: 3 }, false],
  [{ key: "k", operator: ">=", value: 3 }, true],
  [{ key: "k", operator: "<=", value: 2 }, false],
  [{ key: "tag", operator: "in", value: ["t0", "t1"] }, true],
  [{ key: "tag", operator: "nin", value: ["t0", "t1"] }, false],
  [{ key: "list", operator: "any", value: ["b", "z"] }, true],
  [{ key: "list", operator: "all", value: ["a", "z"] }, false],
  [{ key: "list", operator: "contains", value: "a" }, true],
  [{ key: "tag", operator: "text_match", value: "t" }, true],
  [{ key: "missing", operator: "is_empty" }, true],
  [{ key: "flag", operator: "==", value: true }, true],
  [{ key: "flag", operator: "!=", value: true }, false],
  [{ key: "flag", operator: "==", value: false }, false],
  // Inherited keys are not metadata: absent keys fail every operator but is_empty.
  [{ key: "constructor", operator: "!=", value: "x" }, false],
  [{ key: "hasOwnProperty", operator: "!=", value: "x" }, false],
  [{ key: "toString", operator: "is_empty" }, true],
  [{ key: "__proto__", operator: "==", value: "own-proto" }, true],
  // Dotted keys reach nested metadata; a literal dotted own key wins.
  [{ key: "loc.lines.from", operator: "==", value: 4 }, true],
  [{ key: "loc.lines.to", operator: ">", value: 8 }, true],
  [{ key: "loc.lines.nope", operator: "is_empty" }, true],
  [{ key: "a.b", operator: "==", value: "literal" }, true],
  [{ key: "loc.constructor", operator: "!=", value: "x" }, false],
];

describe("declarative filters", () => {
  it.each(ROWS.map(([f, want]) => [`${f.key} ${f.operator} ${JSON.stringify(f.value)}`, f, want] as const))("does %s as documented", (_, f, want) => {
    expect(compileFilter({ filters: [f] })!(meta, "x")).toBe(want);
  });

  it("matches nothing instead of throwing when metadata is null or not an object", () => {
    const f = compileFilter({ filters: [{ key: "k", operator: "!=", value: 1 }] })!;
    expect(f(null as never, "x")).toBe(false);
    expect(f(7 as never, "x")).toBe(false);
    expect(metadataValue(null, "a.b")).toBeUndefined();
  });

  it("rejects booleans for order and substring operators with InvalidOptionsError", () => {
    for (const operator of [">", "<", ">=", "<=", "text_match"] as const) {
      expect(() => compileFilter({ filters: [{ key: "flag", operator, value: true }] })).toThrow(expect.objectContaining({ code: "INVALID_OPTIONS" }));
    }
  });
});

describe("filter functions", () => {
  it.each([
    ["1", () => 1],
    ["a string", () => "yes"],
    ["undefined", () => undefined],
    ["a promise", async () => true],
  ])("throws InvalidOptionsError when a predicate returns %s", (_, fn) => {
    const f = compileFilter(fn as never)!;
    expect(() => f({}, "p1")).toThrow(expect.objectContaining({ code: "INVALID_OPTIONS" }));
  });

  it("wraps a predicate's own error in InvalidOptionsError and keeps it as the cause", () => {
    const boom = new TypeError("boom");
    const f = compileFilter(() => {
      throw boom;
    })!;
    try {
      f({}, "p1");
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: "INVALID_OPTIONS", cause: boom });
    }
  });

  it("fails a search with InvalidOptionsError when the predicate returns a non-boolean", async () => {
    const embedder = new HashEmbedder();
    const index = await LeannIndex.build(
      Array.from({ length: 30 }, (_, k) => ({ id: `n${k}`, text: `passage ${k}`, metadata: { k } })),
      { embedder },
    );
    await expect(index.search("passage 3", { filter: (() => 1) as never })).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
    const none = await index.search("passage 3", { filter: { filters: [{ key: "constructor", operator: "!=", value: "x" }] } });
    expect(none.hits).toEqual([]);
    const nested = await index.search("passage 3", { filter: { filters: [{ key: "k", operator: "==", value: 3 }] } });
    expect(nested.hits.map((h) => h.id)).toEqual(["n3"]);
  });
});

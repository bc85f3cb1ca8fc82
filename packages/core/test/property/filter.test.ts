/**
 * Metadata filters (search/filter.ts): one table row per operator with hand-written
 * expectations, the rejections of malformed filters, and fast-check comparing compiled
 * filters with a reference written here from the documented semantics (LlamaIndex's
 * SimpleVectorStore: a missing key fails every operator but is_empty).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidOptionsError } from "../../src/errors.js";
import { compileFilter, type FilterOperator, type MetadataFilter, type MetadataFilters } from "../../src/search/filter.js";

type Meta = Record<string, unknown>;

/** The reference: one filter on one metadata record. */
function reference(f: MetadataFilter, m: Meta): boolean {
  const v = Object.hasOwn(m, f.key) ? m[f.key] : undefined;
  const op = f.operator ?? "==";
  if (op === "is_empty") return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
  if (v === undefined) return false;
  const x = f.value as never;
  const xs = f.value as unknown[];
  switch (op) {
    case "==": return v === x;
    case "!=": return v !== x;
    // Relational operators compare as JavaScript does (numbers by value, strings by code unit).
    case ">": return (v as never) > x;
    case "<": return (v as never) < x;
    case ">=": return (v as never) >= x;
    case "<=": return (v as never) <= x;
    case "in": return xs.includes(v);
    case "nin": return !xs.includes(v);
    case "any": return Array.isArray(v) && xs.some((e) => v.includes(e));
    case "all": return Array.isArray(v) && xs.every((e) => v.includes(e));
    case "contains": return Array.isArray(v) && v.includes(x);
    case "text_match": return typeof v === "string" ? v.includes(String(x)) : Array.isArray(v) && v.includes(x);
  }
}

function referenceAll(filters: MetadataFilters, m: Meta): boolean {
  if (filters.filters.length === 0) return true; // no filter at all
  const each = filters.filters.map((f) => reference(f, m));
  return (filters.condition ?? "and") === "and" ? each.every(Boolean) : each.some(Boolean);
}

const run = (f: MetadataFilter, m: Meta) => compileFilter({ filters: [f] })!(m, "id");

/** [filter, metadata, expected]: per operator, a match, a miss, and a missing key. */
const TABLE: [string, MetadataFilter, [Meta, boolean][]][] = [
  ["== (default)", { key: "n", value: 5 }, [[{ n: 5 }, true], [{ n: "5" }, false], [{}, false]]],
  ["==", { key: "s", operator: "==", value: "x" }, [[{ s: "x" }, true], [{ s: "y" }, false], [{ t: "x" }, false]]],
  ["!=", { key: "n", operator: "!=", value: 5 }, [[{ n: 6 }, true], [{ n: null }, true], [{ n: 5 }, false], [{}, false]]],
  [">", { key: "n", operator: ">", value: 3 }, [[{ n: 5 }, true], [{ n: 3 }, false], [{}, false]]],
  ["<", { key: "n", operator: "<", value: 3 }, [[{ n: 2 }, true], [{ n: 3 }, false], [{}, false]]],
  [">=", { key: "n", operator: ">=", value: 3 }, [[{ n: 3 }, true], [{ n: 2 }, false], [{}, false]]],
  ["<=", { key: "y", operator: "<=", value: "2022" }, [[{ y: "2021" }, true], [{ y: "2023" }, false], [{}, false]]],
  ["in", { key: "k", operator: "in", value: ["x", 2] }, [[{ k: 2 }, true], [{ k: "x" }, true], [{ k: "2" }, false], [{}, false]]],
  ["nin", { key: "k", operator: "nin", value: ["x", 2] }, [[{ k: "y" }, true], [{ k: 2 }, false], [{}, false]]],
  ["any", { key: "tags", operator: "any", value: ["a", "z"] }, [[{ tags: ["b", "a"] }, true], [{ tags: ["c"] }, false], [{ tags: "a" }, false], [{}, false]]],
  ["all", { key: "tags", operator: "all", value: ["a", "b"] }, [[{ tags: ["b", "c", "a"] }, true], [{ tags: ["a"] }, false], [{ tags: "ab" }, false], [{}, false]]],
  ["contains", { key: "tags", operator: "contains", value: "a" }, [[{ tags: ["a", "b"] }, true], [{ tags: ["b"] }, false], [{ tags: "a" }, false], [{}, false]]],
  ["text_match", { key: "s", operator: "text_match", value: "ell" }, [[{ s: "hello" }, true], [{ s: ["x", "ell"] }, true], [{ s: "world" }, false], [{ s: 5 }, false], [{}, false]]],
  ["is_empty", { key: "k", operator: "is_empty" }, [[{}, true], [{ k: null }, true], [{ k: "" }, true], [{ k: [] }, true], [{ k: 0 }, false], [{ k: "x" }, false], [{ k: [0] }, false]]],
];

describe("metadata filters, one row per operator", () => {
  it.each(TABLE)("does what %s says on matching, non-matching and missing keys", (_, filter, rows) => {
    for (const [m, want] of rows) {
      expect(run(filter, m), JSON.stringify(m)).toBe(want);
      expect(reference(filter, m), `reference on ${JSON.stringify(m)}`).toBe(want);
    }
  });

  it("combines filters with and / or, and treats an empty list as no filter", () => {
    const a: MetadataFilter = { key: "n", operator: ">", value: 1 }, b: MetadataFilter = { key: "s", value: "x" };
    const m = { n: 2, s: "y" };
    expect(compileFilter({ filters: [a, b] })!(m, "id")).toBe(false);
    expect(compileFilter({ filters: [a, b], condition: "or" })!(m, "id")).toBe(true);
    expect(compileFilter({ filters: [] })).toBeUndefined();
    expect(compileFilter(undefined)).toBeUndefined();
    const fn = (meta: Meta, id: string) => id === "id" && meta.n === 2;
    const compiled = compileFilter(fn)!;
    expect(compiled({ n: 2 }, "id")).toBe(true);
    expect(compiled({ n: 3 }, "id")).toBe(false);
  });
});

describe("malformed filters", () => {
  const BAD: [string, unknown][] = [
    ["an unknown operator", { filters: [{ key: "k", operator: "~=", value: 1 }] }],
    ["a list for a comparison", { filters: [{ key: "k", operator: ">", value: [1] }] }],
    ["a string for in", { filters: [{ key: "k", operator: "in", value: "abc" }] }],
    ["nested lists for any", { filters: [{ key: "k", operator: "any", value: [[1]] }] }],
    ["no key", { filters: [{ operator: "==", value: 1 }] }],
    ["a condition other than and/or", { filters: [{ key: "k", value: 1 }], condition: "xor" }],
    ["no filters array", { key: "k", value: 1 }],
  ];
  it.each(BAD)("rejects %s with InvalidOptionsError", (_, filter) => {
    const compile = () => compileFilter(filter as MetadataFilters);
    expect(compile).toThrow(InvalidOptionsError);
    expect(compile).toThrow(expect.objectContaining({ code: "INVALID_OPTIONS" }));
  });
});

// Own, ordinary key names only: see the report on inherited names such as "toString".
const KEYS = ["a", "b", "c"] as const;
const scalar = fc.oneof(fc.constantFrom("", "x", "y", "xy", "yx", "X"), fc.integer({ min: -3, max: 3 }));
const metaValue = fc.oneof(scalar, fc.boolean(), fc.constant(null), fc.constant(undefined), fc.array(scalar, { maxLength: 4 }));
const metadata = fc.dictionary(fc.constantFrom(...KEYS), metaValue, { maxKeys: 3 });

const LIST_OPS = ["in", "nin", "any", "all"] as const;
const SCALAR_OPS = ["==", "!=", ">", "<", ">=", "<=", "contains", "text_match"] as const;
const filter: fc.Arbitrary<MetadataFilter> = fc.oneof(
  fc.record({ key: fc.constantFrom(...KEYS), operator: fc.constantFrom<FilterOperator>(...SCALAR_OPS), value: scalar }),
  fc.record({ key: fc.constantFrom(...KEYS), operator: fc.constantFrom<FilterOperator>(...LIST_OPS), value: fc.array(scalar, { maxLength: 4 }) }),
  fc.record({ key: fc.constantFrom(...KEYS), operator: fc.constant<FilterOperator>("is_empty") }),
  fc.record({ key: fc.constantFrom(...KEYS), value: scalar }),
);
const filters = fc.record({ filters: fc.array(filter, { maxLength: 4 }), condition: fc.constantFrom<"and" | "or">("and", "or") });

describe("compiled filters against the reference", () => {
  it("agree on every record when given random metadata and random filters", () => {
    fc.assert(
      fc.property(filters, fc.array(metadata, { minLength: 1, maxLength: 8 }), (f, records) => {
        const compiled = compileFilter(f);
        for (const m of records) expect(compiled ? compiled(m, "id") : true).toBe(referenceAll(f, m));
      }),
      { numRuns: 500 },
    );
  });
});

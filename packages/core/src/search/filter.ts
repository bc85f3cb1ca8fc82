import { InvalidOptionsError } from "../errors.js";
import type { Metadata } from "../store/passages.js";

/** The LlamaIndex operator set, with the semantics of its SimpleVectorStore. */
export type FilterOperator = "==" | "!=" | ">" | "<" | ">=" | "<=" | "in" | "nin" | "any" | "all" | "contains" | "text_match" | "is_empty";

export interface MetadataFilter {
  key: string;
  operator?: FilterOperator;
  value?: string | number | boolean | null | (string | number)[];
}

export interface MetadataFilters {
  filters: MetadataFilter[];
  condition?: "and" | "or";
}

/** A filter: a predicate on (metadata, id), or a declarative metadata filter. */
export type SearchFilter = ((metadata: Metadata, id: string) => boolean) | MetadataFilters;

const OPERATORS = new Set<string>(["==", "!=", ">", "<", ">=", "<=", "in", "nin", "any", "all", "contains", "text_match", "is_empty"]);

type Test = (m: Metadata) => boolean;

function primitive(f: MetadataFilter, i: number): string | number {
  if (typeof f.value !== "number" && typeof f.value !== "string") {
    throw new InvalidOptionsError(`filter.filters[${i}] (${f.key} ${f.operator}): value must be a string or a number, received ${JSON.stringify(f.value)}.`);
  }
  return f.value;
}

function list(f: MetadataFilter, i: number): (string | number)[] {
  if (!Array.isArray(f.value) || !f.value.every((v) => typeof v === "string" || typeof v === "number")) {
    throw new InvalidOptionsError(`filter.filters[${i}] (${f.key} ${f.operator}): value must be an array of strings or numbers, received ${JSON.stringify(f.value)}.`);
  }
  return f.value;
}

function compileOne(f: MetadataFilter, i: number): Test {
  if (typeof f !== "object" || f === null || typeof f.key !== "string") {
    throw new InvalidOptionsError(`filter.filters[${i}] must be { key, operator, value }, received ${JSON.stringify(f)}.`);
  }
  const op = f.operator ?? "==";
  if (!OPERATORS.has(op)) {
    throw new InvalidOptionsError(`filter.filters[${i}]: operator ${JSON.stringify(op)} is not supported; use one of ${[...OPERATORS].join(" ")}.`);
  }
  const key = f.key;
  if (op === "is_empty") {
    return (m) => {
      const v = m[key];
      return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
    };
  }
  let test: (v: unknown) => boolean;
  switch (op) {
    case "==": { const x = primitive(f, i); test = (v) => v === x; break; }
    case "!=": { const x = primitive(f, i); test = (v) => v !== x; break; }
    case ">": { const x = primitive(f, i); test = (v) => (v as number) > (x as number); break; }
    case "<": { const x = primitive(f, i); test = (v) => (v as number) < (x as number); break; }
    case ">=": { const x = primitive(f, i); test = (v) => (v as number) >= (x as number); break; }
    case "<=": { const x = primitive(f, i); test = (v) => (v as number) <= (x as number); break; }
    case "in": { const xs = list(f, i); test = (v) => xs.some((x) => x === v); break; }
    case "nin": { const xs = list(f, i); test = (v) => !xs.some((x) => x === v); break; }
    case "any": { const xs = list(f, i); test = (v) => Array.isArray(v) && xs.some((x) => v.includes(x)); break; }
    case "all": { const xs = list(f, i); test = (v) => Array.isArray(v) && xs.every((x) => v.includes(x)); break; }
    case "contains": { const x = f.value; test = (v) => Array.isArray(v) && v.some((e) => e === x); break; }
    default: {
      // text_match: substring of a string value (or element of an array value).
      const x = primitive(f, i);
      test = (v) => (typeof v === "string" ? v.includes(String(x)) : Array.isArray(v) ? v.includes(x) : false);
    }
  }
  // A missing key fails every operator but is_empty.
  return (m) => m[key] !== undefined && test(m[key]);
}

/** Compiles a filter to a predicate over (metadata, id); undefined means "no filter". */
export function compileFilter(filter: SearchFilter | undefined | null): ((m: Metadata, id: string) => boolean) | undefined {
  if (filter === undefined || filter === null) return undefined;
  if (typeof filter === "function") return filter;
  if (typeof filter !== "object" || !Array.isArray(filter.filters)) {
    throw new InvalidOptionsError(
      `filter must be a function (metadata, id) => boolean or { filters: [{ key, operator, value }], condition: "and" | "or" }, received ${JSON.stringify(filter)}.`,
    );
  }
  const condition = filter.condition ?? "and";
  if (condition !== "and" && condition !== "or") throw new InvalidOptionsError(`filter.condition must be "and" or "or", received ${JSON.stringify(condition)}.`);
  const tests = filter.filters.map(compileOne);
  if (tests.length === 0) return undefined;
  return condition === "and" ? (m) => tests.every((t) => t(m)) : (m) => tests.some((t) => t(m));
}

import { InvalidOptionsError, LeannError } from "../errors.js";
import type { Metadata } from "../store/passages.js";

/** The LlamaIndex operator set, with the semantics of its SimpleVectorStore. */
export type FilterOperator = "==" | "!=" | ">" | "<" | ">=" | "<=" | "in" | "nin" | "any" | "all" | "contains" | "text_match" | "is_empty";

export interface MetadataFilter {
  /**
   * A metadata key. A dotted key (`loc.lines.from`, as LangChain's splitters produce) reaches
   * into nested objects, unless the metadata has an own key with that literal dotted name.
   */
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

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The value at `key`, or undefined when absent. Only own properties count: an inherited
 * `constructor` or `__proto__` is no metadata, so `constructor != "x"` must not match
 * everything. A literal own key wins over the nested reading of a dotted key.
 */
export function metadataValue(m: unknown, key: string): unknown {
  if (typeof m !== "object" || m === null) return undefined;
  if (hasOwn(m, key)) return (m as Record<string, unknown>)[key];
  if (!key.includes(".")) return undefined;
  let v: unknown = m;
  for (const part of key.split(".")) {
    if (typeof v !== "object" || v === null || !hasOwn(v, part)) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function where(f: MetadataFilter, i: number): string {
  return `filter.filters[${i}] (${f.key} ${f.operator ?? "=="})`;
}

function scalar(f: MetadataFilter, i: number): string | number | boolean {
  if (typeof f.value !== "number" && typeof f.value !== "string" && typeof f.value !== "boolean") {
    throw new InvalidOptionsError(`${where(f, i)}: value must be a string, a number or a boolean, received ${JSON.stringify(f.value)}.`);
  }
  return f.value;
}

/** Order comparisons and substring matches make no sense on booleans. */
function ordered(f: MetadataFilter, i: number): string | number {
  const x = scalar(f, i);
  if (typeof x === "boolean") {
    throw new InvalidOptionsError(`${where(f, i)}: value must be a string or a number for this operator, received ${x}; use "==" or "!=" to compare booleans.`);
  }
  return x;
}

function list(f: MetadataFilter, i: number): (string | number)[] {
  if (!Array.isArray(f.value) || !f.value.every((v) => typeof v === "string" || typeof v === "number")) {
    throw new InvalidOptionsError(`${where(f, i)}: value must be an array of strings or numbers, received ${JSON.stringify(f.value)}.`);
  }
  return f.value;
}

function compileOne(f: MetadataFilter, i: number): Test {
  if (typeof f !== "object" || f === null || typeof f.key !== "string" || f.key.length === 0) {
    throw new InvalidOptionsError(`filter.filters[${i}] must be { key, operator, value } with a non-empty key, received ${JSON.stringify(f)}.`);
  }
  const op = f.operator ?? "==";
  if (!OPERATORS.has(op)) {
    throw new InvalidOptionsError(`filter.filters[${i}]: operator ${JSON.stringify(op)} is not supported; use one of ${[...OPERATORS].join(" ")}.`);
  }
  const key = f.key;
  if (op === "is_empty") {
    return (m) => {
      const v = metadataValue(m, key);
      return v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0);
    };
  }
  let test: (v: unknown) => boolean;
  switch (op) {
    case "==": { const x = scalar(f, i); test = (v) => v === x; break; }
    case "!=": { const x = scalar(f, i); test = (v) => v !== x; break; }
    case ">": { const x = ordered(f, i); test = (v) => (v as number) > (x as number); break; }
    case "<": { const x = ordered(f, i); test = (v) => (v as number) < (x as number); break; }
    case ">=": { const x = ordered(f, i); test = (v) => (v as number) >= (x as number); break; }
    case "<=": { const x = ordered(f, i); test = (v) => (v as number) <= (x as number); break; }
    case "in": { const xs = list(f, i); test = (v) => xs.some((x) => x === v); break; }
    case "nin": { const xs = list(f, i); test = (v) => !xs.some((x) => x === v); break; }
    case "any": { const xs = list(f, i); test = (v) => Array.isArray(v) && xs.some((x) => v.includes(x)); break; }
    case "all": { const xs = list(f, i); test = (v) => Array.isArray(v) && xs.every((x) => v.includes(x)); break; }
    case "contains": { const x = f.value; test = (v) => Array.isArray(v) && v.some((e) => e === x); break; }
    default: {
      // text_match: substring of a string value (or element of an array value).
      const x = ordered(f, i);
      test = (v) => (typeof v === "string" ? v.includes(String(x)) : Array.isArray(v) ? v.includes(x) : false);
    }
  }
  // A missing key fails every operator but is_empty.
  return (m) => {
    const v = metadataValue(m, key);
    return v !== undefined && test(v);
  };
}

function describeValue(v: unknown): string {
  if (v instanceof Promise || (typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function")) return "a promise";
  if (typeof v === "object" || typeof v === "function") return v === null ? "null" : typeof v;
  return `${typeof v} ${String(v)}`;
}

/**
 * Guards a user predicate: a result that is not a boolean (1, "yes", a promise of an
 * async function) would otherwise be read as "no match" for every passage, silently.
 */
function strictPredicate(fn: (m: Metadata, id: string) => unknown): (m: Metadata, id: string) => boolean {
  return (m, id) => {
    let r: unknown;
    try {
      r = fn(m, id);
    } catch (err) {
      if (LeannError.isInstance(err)) throw err;
      throw new InvalidOptionsError(`The filter function threw on passage ${JSON.stringify(id)}: ${(err as Error)?.message ?? err}. Make it return true or false for any metadata.`, {
        cause: err,
      });
    }
    if (typeof r !== "boolean") {
      throw new InvalidOptionsError(
        `The filter function returned ${describeValue(r)} for passage ${JSON.stringify(id)}; it must return true or false. ` +
          `Filters run synchronously inside the search: an async function's promise cannot be waited for.`,
      );
    }
    return r;
  };
}

/**
 * Compiles a filter to a predicate over (metadata, id); undefined means "no filter".
 * @throws InvalidOptionsError for a malformed declarative filter; the returned predicate
 *   throws InvalidOptionsError when a filter function throws or returns a non-boolean.
 */
export function compileFilter(filter: SearchFilter | undefined | null): ((m: Metadata, id: string) => boolean) | undefined {
  if (filter === undefined || filter === null) return undefined;
  if (typeof filter === "function") return strictPredicate(filter);
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

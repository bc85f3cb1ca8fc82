import { LeannIndex, type MetadataFilter, type MetadataFilters, type SearchHit } from "@leann/core";
import type { LocalEmbeddings } from "@leann/onnx";
import type { Ctx } from "./context.js";
import { createEmbedder, modelSpec } from "./embedder.js";
import { usage } from "./exit-codes.js";
import { indexDir, readMeta, type IndexMeta } from "./home.js";

export interface OpenIndex {
  meta: IndexMeta;
  index: LeannIndex;
  embedder: LocalEmbeddings;
  dir: string;
  model: string;
}

/**
 * Opens a named index with its model (--model, else the one it was built with).
 * @throws CliError NOT_FOUND when there is no such index
 * @throws ModelNotFoundError / ModelLoadError (exit 4) when the model cannot be loaded
 * @throws ModelMismatchError / CorruptIndexError (exit 3) when the index does not open with it
 */
export async function openIndex(ctx: Ctx, name: string, modelFlag: string | undefined): Promise<OpenIndex> {
  const meta = readMeta(ctx.home, name);
  const dir = indexDir(ctx.home, name);
  const model = modelSpec(modelFlag, meta.model, ctx.io.env, ctx.io.cwd);
  const embedder = createEmbedder(model, ctx.io.env, ctx.io.stderr);
  await embedder.load();
  const index = await LeannIndex.load(dir, { embedder });
  return { meta, index, embedder, dir, model };
}

const OPS = ["==", "!=", ">=", "<=", "~", "=", ">", "<"] as const;
const OP_OF: Record<(typeof OPS)[number], MetadataFilter["operator"]> = { "==": "==", "=": "==", "!=": "!=", ">=": ">=", "<=": "<=", ">": ">", "<": "<", "~": "text_match" };

/**
 * Parses --filter values into one MetadataFilters (all must hold). Each value is either
 * `KEY OP VALUE` with OP one of == (or =), !=, >, <, >=, <=, ~ (substring), or a JSON
 * MetadataFilters object for anything else (`in`, `or`, ...). Numbers compare as numbers.
 * @throws CliError (usage) for a value of neither form
 */
export function parseFilters(values: string[]): MetadataFilters | undefined {
  if (values.length === 0) return undefined;
  const filters: MetadataFilter[] = [];
  for (const raw of values) {
    const v = raw.trim();
    if (v.startsWith("{")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(v);
      } catch (err) {
        throw usage(`--filter ${JSON.stringify(raw)} is not valid JSON (${(err as Error).message}).`);
      }
      const f = parsed as MetadataFilters;
      if (!Array.isArray(f?.filters)) throw usage(`--filter JSON must be { "filters": [{ "key", "operator", "value" }], "condition": "and" | "or" }, received ${v}.`);
      if (values.length === 1) return f;
      if ((f.condition ?? "and") !== "and") throw usage("An \"or\" JSON filter cannot be combined with other --filter flags; put every condition in the one JSON filter.");
      filters.push(...f.filters);
      continue;
    }
    const m = /^([A-Za-z_][\w.-]*)\s*(==|!=|>=|<=|~|=|>|<)\s*(.*)$/s.exec(v);
    if (!m) {
      throw usage(
        `--filter ${JSON.stringify(raw)} is not a filter.`,
        `Write KEY OP VALUE with OP one of == != > < >= <= ~ (e.g. --filter ext==md, --filter "source~docs/"), or a JSON MetadataFilters object.`,
      );
    }
    const [, key, op, text] = m as unknown as [string, string, (typeof OPS)[number], string];
    const value = text !== "" && Number.isFinite(Number(text)) && op !== "~" ? Number(text) : text;
    filters.push({ key, operator: OP_OF[op], value });
  }
  return { filters, condition: "and" };
}

/** A hit as reported by search and ask. */
export function hitLocation(ctx: Ctx, hit: SearchHit): string {
  const m = hit.metadata;
  const src = typeof m.source === "string" ? ctx.show(m.source) : hit.id;
  if (typeof m.page === "number") return `${src} p.${m.page}`;
  if (typeof m.line === "number") return `${src}:${m.line}${typeof m.endLine === "number" && m.endLine !== m.line ? `-${m.endLine}` : ""}`;
  return src;
}

export function snippet(text: string, max = 240): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

import { DimensionMismatchError, LeannError, LeannIndex, type MetadataFilter, type MetadataFilters, type SearchHit } from "@leann/core";
import type { Ctx } from "./context.js";
import { modelSpec, openModel, type CliEmbedder } from "./embedder.js";
import { CliError, EXIT, usage } from "./exit-codes.js";
import { indexDir, readMeta, type IndexMeta } from "./home.js";

export interface OpenIndex {
  meta: IndexMeta;
  index: LeannIndex;
  embedder: CliEmbedder;
  dir: string;
  /** The model spec in use (the index's own unless --model named another). */
  model: string;
}

/** The model flags of a command that opens an index; both optional. */
export interface ModelFlags {
  /** `--model`: another spec than the index's own. */
  readonly model?: string | undefined;
  /** `--base-url`: the server of a remote model. */
  readonly baseUrl?: string | undefined;
}

/** The index and the model disagree: worded for the command line (the core's message names an API option). */
function mismatch(name: string, recordedId: string, spec: string, loadedId: string, flags: ModelFlags): CliError {
  const { model: flag, baseUrl } = flags;
  const why =
    flag !== undefined
      ? `--model ${flag} loads "${loadedId}"`
      : baseUrl !== undefined
        ? `--base-url ${baseUrl} serves it as "${loadedId}"`
        : `its recorded model ${spec} now loads as "${loadedId}"`;
  const hint =
    flag !== undefined
      ? `Leave out --model: search, ask, add and delete use the index's own model. To change model, rebuild: leann build ${name} --force --model ${flag} PATH...`
      : baseUrl !== undefined
        ? `The endpoint is part of a served model's identity. Leave out --base-url to use the recorded one, or rebuild on the new server: leann build ${name} --force --model ${spec} --base-url ${baseUrl} PATH...`
        : `Rebuild it with a model this leann has (see \`leann models\`): leann build ${name} --force PATH...`;
  return new CliError(EXIT.FAILED, "MODEL_MISMATCH", `Index "${name}" was embedded with "${recordedId}", but ${why}: queries and passages would be embedded differently.`, hint);
}

/**
 * Opens a named index with its model: the one it was built with, recorded in leann.json,
 * unless --model names another. A remote model goes back to the endpoint it recorded
 * unless --base-url names another.
 * @throws CliError NOT_FOUND when there is no such index
 * @throws ModelNotFoundError / ModelLoadError (exit 4) when the model cannot be loaded
 * @throws OpenAIConnectionError / OllamaConnectionError (exit 5) when a remote model's server does not answer
 * @throws CliError MODEL_MISMATCH / CorruptIndexError (exit 3) when the index does not open with it
 * @throws DimensionMismatchError (exit 3) when the model now gives vectors of another length than the index's
 */
export async function openIndex(ctx: Ctx, name: string, flags: ModelFlags = {}): Promise<OpenIndex> {
  const meta = readMeta(ctx.home, name);
  const dir = indexDir(ctx.home, name);
  const model = modelSpec(flags.model, meta.model, ctx.io.env, ctx.io.cwd);
  const handle = await openModel(model, ctx.io.env, ctx.io.stderr, { baseUrl: flags.baseUrl, recordedModelId: meta.modelId });
  if (meta.modelId && handle.modelId !== meta.modelId) throw mismatch(name, meta.modelId, model, handle.modelId, flags);
  // A server can change what it serves under one name; caught here, before any search or add mixes lengths.
  if (meta.dimensions && handle.dimensions !== meta.dimensions) throw new DimensionMismatchError(meta.dimensions, handle.dimensions, `Index "${name}" and its model ${model}`);
  let index: LeannIndex;
  try {
    index = await LeannIndex.load(dir, { embedder: handle.embedder });
  } catch (err) {
    if (LeannError.isInstance(err) && err.code === "MODEL_MISMATCH") throw mismatch(name, meta.modelId, model, handle.modelId, flags);
    throw err;
  }
  return { meta, index, embedder: handle.embedder, dir, model };
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

/**
 * The Model Context Protocol face of the index home: three tools an assistant (Claude
 * Code, Claude Desktop, Cursor) can call. `search` answers from indexes kept open
 * between calls; `list_indexes` and `index_info` reuse the `leann list` / `leann info`
 * reports as they are. A failing call becomes an MCP error result (`isError: true`) with
 * the same code, message and hint the command line would print; the server stays up.
 */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { DEFAULTS } from "@leann/core";
import { z } from "zod";
import type { Ctx } from "../context.js";
import { classify } from "../exit-codes.js";
import { checkName } from "../home.js";
import { checkAlpha } from "../hybrid.js";
import { parseFilters } from "../open-index.js";
import { info, list } from "../commands/inspect.js";
import { hitsJson, statsJson } from "../commands/search.js";
import { IndexPool } from "./index-pool.js";

/** Passages a search returns unless asked for another number; enough context, small enough for a prompt. */
export const DEFAULT_K = 5;
/** Characters of a passage shown in the text result; the structured result carries it whole. */
const TEXT_PREVIEW = 2000;

export interface LeannMcp {
  server: McpServer;
  /** Closes the indexes the server opened. */
  close(): Promise<void>;
}

/** Runs `fn` and turns a throw into an MCP error result, so a bad call never takes the server down. */
async function guarded(fn: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await fn();
  } catch (err) {
    const c = classify(err);
    return { isError: true, content: [{ type: "text", text: `${c.code}: ${c.message}${c.hint ? `\n${c.hint}` : ""}` }] };
  }
}

/** The one JSON document a reporting command emits, captured instead of printed. */
async function report(ctx: Ctx, command: (ctx: Ctx) => void | Promise<void>): Promise<Record<string, unknown>> {
  let value: unknown;
  await command({ ...ctx, json: true, emit: (v) => void (value = v) });
  return value as Record<string, unknown>;
}

function json(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value, null, 2) }], structuredContent: value };
}

/**
 * Builds the server over the index home of `ctx`. `ctx` must never write to the
 * protocol's stdout: give it an io whose stdout is stderr.
 */
export function createLeannMcp(ctx: Ctx, version: string): LeannMcp {
  const pool = new IndexPool(ctx);
  const server = new McpServer({ name: "leann", version }, { instructions: "Semantic search over local LEANN indexes. Call list_indexes first to learn the index names." });

  server.registerTool(
    "search",
    {
      title: "Search a LEANN index",
      description:
        "Finds the passages of a local index that best match a query, by meaning and by exact words together (hybrid search). Each result carries the passage text, its source file (with line range or page) and a score (higher is closer).",
      inputSchema: {
        query: z.string().min(1).describe("what to look for, in natural language"),
        index: z.string().min(1).describe("the index name, as list_indexes reports it"),
        k: z.number().int().min(1).max(100).optional().describe(`passages to return (default ${DEFAULT_K})`),
        filter: z
          .union([z.string(), z.array(z.string())])
          .optional()
          .describe('metadata filters that must all hold: KEY OP VALUE with OP one of == != > < >= <= ~ (substring), e.g. "ext==md" or "source~docs/". Keys: source, ext, chunk, line, endLine, page'),
        alpha: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe(
            `how much meaning counts against exact words, 0 to 1 (default ${DEFAULTS.alpha}). Lower it (toward 0) to find an identifier, function name, error code or exact phrase; 1 for meaning only, e.g. a paraphrased question; 0 for exact words only`,
          ),
      },
    },
    ({ query, index, k, filter, alpha }) =>
      guarded(async () => {
        const name = checkName(index, "search");
        const filters = parseFilters(filter === undefined ? [] : Array.isArray(filter) ? filter : [filter]);
        const { index: open, model } = await pool.get(name);
        await checkAlpha(open, name, alpha);
        const r = await open.search(query, { k: k ?? DEFAULT_K, ...(alpha !== undefined ? { alpha } : {}), ...(filters ? { filter: filters } : {}) });
        const hits = hitsJson(r).map(({ metadata: _metadata, ...h }) => h);
        const lines = hits.map((h) => {
          const where = h.source === null ? h.id : h.page !== null ? `${h.source} p.${h.page}` : h.line !== null ? `${h.source}:${h.line}${h.endLine !== null && h.endLine !== h.line ? `-${h.endLine}` : ""}` : h.source;
          const text = h.text.length > TEXT_PREVIEW ? `${h.text.slice(0, TEXT_PREVIEW)}…` : h.text;
          return `[${h.rank}] ${where} (score ${h.score.toFixed(3)})\n${text}`;
        });
        const text = hits.length ? lines.join("\n\n") : filters ? "No passages match the filter." : "No passages found.";
        return { content: [{ type: "text", text }], structuredContent: { index: name, query, model, hits, stats: statsJson(r) } };
      }),
  );

  server.registerTool(
    "list_indexes",
    {
      title: "List LEANN indexes",
      description: "The indexes in the index home: name, passages, files, model, bytes on disk, last update.",
      inputSchema: {},
    },
    () => guarded(async () => json(await report(ctx, list))),
  );

  server.registerTool(
    "index_info",
    {
      title: "Describe a LEANN index",
      description: "One index in detail: passages, files, embedding model, chunking, source folders, bytes by component, last update.",
      inputSchema: { index: z.string().min(1).describe("the index name, as list_indexes reports it") },
    },
    ({ index }) => guarded(async () => json(await report(ctx, (c) => info(c, checkName(index, "info"))))),
  );

  return { server, close: () => pool.close() };
}

/**
 * The `leann` command: `main(argv, io)` parses the command line with node:util's
 * parseArgs, runs one command and returns its exit code (see exit-codes.ts). It never
 * calls process.exit, so tests run it in-process with captured streams.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { DEFAULTS } from "@leann/core";
import { DEFAULT_MODEL } from "@leann/onnx";
import { DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS } from "./chunk.js";
import { ask, DEFAULT_LLM, DEFAULT_OLLAMA_HOST } from "./commands/ask.js";
import { build, parseBudget } from "./commands/build.js";
import { info, list, remove } from "./commands/inspect.js";
import { mcp } from "./commands/mcp.js";
import { models } from "./commands/models.js";
import { search, type SearchKnobs } from "./commands/search.js";
import { add, del } from "./commands/update.js";
import { DEFAULT_DEBOUNCE_MS, watch } from "./commands/watch.js";
import { makeCtx, type CliIO, type Ctx } from "./context.js";
import { classify, EXIT, usage, type ExitCode } from "./exit-codes.js";
import { checkName, indexHome } from "./home.js";
import { parseAlpha } from "./hybrid.js";
import { guardedSink } from "./process-io.js";
import type { CollectOptions } from "./sources.js";

export const VERSION = "0.1.0";
export type { CliIO } from "./context.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

const COMMON: Options = {
  home: { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  help: { type: "boolean", short: "h" },
};
const MODEL: Options = { model: { type: "string", short: "m" }, "base-url": { type: "string" } };
/** The model flags as the commands take them. */
const modelFlags = (v: Record<string, unknown>) => ({ model: v.model as string | undefined, baseUrl: v["base-url"] as string | undefined });
const COLLECT: Options = {
  ext: { type: "string" },
  ignore: { type: "string", multiple: true },
  "no-gitignore": { type: "boolean" },
};
const QUERY: Options = {
  k: { type: "string", short: "k" },
  filter: { type: "string", multiple: true, short: "f" },
  ef: { type: "string" },
  "max-recompute": { type: "string" },
  patience: { type: "string" },
  alpha: { type: "string" },
};

const COMMON_HELP = `Common options:
  --home DIR        index home (default $LEANN_HOME, else ~/.leann/indexes)
  --json            print one JSON document (errors too: {"error": {code, exitCode, message}})
  -q, --quiet       no progress bars or notes on stderr
  -h, --help        this help`;

const MODEL_HELP = `  -m, --model M     embedding model: a Hugging Face id or a local model folder; openai:MODEL
                    (any OpenAI-compatible server) or ollama:MODEL; \`leann models\` lists them
                    (default: the index's own; for build $LEANN_MODEL, else
                    ${DEFAULT_MODEL}, which ships with leann)
  --base-url URL    server of an openai: or ollama: model (default: the one the index
                    recorded; for build $OPENAI_BASE_URL or $OLLAMA_HOST); the key comes
                    from $OPENAI_API_KEY and is never stored`;

const KNOBS_HELP = `  --ef N            beam of the approximate walk (default ${DEFAULTS.ef}, to ${2 * DEFAULTS.ef} past 100k passages); no embeddings:
                    raise it before --max-recompute (see docs/tuning.md)
  --max-recompute N embeddings recomputed per query at most (default ${DEFAULTS.maxRecompute}): recall for time
  --patience N      caution of the stop rule: 2 re-ranks deeper (default ${DEFAULTS.patience})
  --alpha A         dense share of the fused score, 0 to 1 (default ${DEFAULTS.alpha}: meaning and exact
                    words together); 1 = meaning only, 0 = exact words only (no embedding).
                    Lower it for identifiers and exact terms (see docs/tuning.md)`;

interface Command {
  summary: string;
  usage: string;
  options: Options;
  help: string;
  run(ctx: Ctx, values: Record<string, unknown>, positionals: string[]): Promise<void>;
}

function int(values: Record<string, unknown>, flag: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = values[flag];
  if (raw === undefined) return fallback;
  const s = String(raw).trim();
  const n = /^-?\d+$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw usage(`--${flag} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}, received ${JSON.stringify(raw)}.`);
  return n;
}

/** The search knobs of docs/tuning.md given on the command line; absent ones keep the core's defaults. */
function knobs(values: Record<string, unknown>): SearchKnobs {
  const out: { -readonly [K in keyof SearchKnobs]: SearchKnobs[K] } = {};
  if (values.ef !== undefined) out.ef = int(values, "ef", 0, 1, 100_000);
  if (values["max-recompute"] !== undefined) out.maxRecompute = int(values, "max-recompute", 0, 1, 1_000_000);
  if (values.patience !== undefined) out.patience = int(values, "patience", 0, 1, 1000);
  if (typeof values.alpha === "string") out.alpha = parseAlpha(values.alpha);
  return out;
}

function collectOptions(values: Record<string, unknown>): CollectOptions {
  const out: CollectOptions = { gitignore: values["no-gitignore"] !== true, ignore: (values.ignore as string[] | undefined) ?? [] };
  if (typeof values.ext === "string") {
    const exts = values.ext.split(",").map((e) => e.trim().replace(/^\./, "").toLowerCase()).filter(Boolean);
    if (exts.length === 0) throw usage("--ext needs a comma-separated list of extensions, e.g. --ext md,txt,pdf.");
    out.extensions = new Set(exts);
  }
  return out;
}

function expectArgs(command: string, positionals: string[], min: number, max: number, what: string): void {
  if (positionals.length < min) throw usage(`leann ${command}: missing ${what}.`, `Usage: ${COMMANDS[command]!.usage}`);
  if (positionals.length > max) throw usage(`leann ${command}: unexpected argument ${JSON.stringify(positionals[max])}.`, `Usage: ${COMMANDS[command]!.usage}`);
}

const COMMANDS: Record<string, Command> = {
  build: {
    summary: "index files and folders (text, Markdown, source, HTML, PDF)",
    usage: "leann build NAME PATH... [options]",
    options: {
      ...COMMON,
      ...MODEL,
      ...COLLECT,
      "chunk-tokens": { type: "string" },
      overlap: { type: "string" },
      force: { type: "boolean" },
      fresh: { type: "boolean" },
      budget: { type: "string" },
      "no-keyword-index": { type: "boolean" },
    },
    help: `Folders are walked honouring .gitignore and .leannignore; files are split into
overlapping chunks of about --chunk-tokens tokens and embedded with the model, with a
progress bar and ETA. An interrupted build resumes where it stopped when run again.

  --chunk-tokens N  tokens per chunk, estimated (default ${DEFAULT_CHUNK_TOKENS})
  --overlap N       tokens shared by consecutive chunks (default ${DEFAULT_OVERLAP_TOKENS})
  --ext LIST        extensions to index in folders, e.g. md,txt,pdf (default: text, source and PDF)
  --ignore PATTERN  extra ignore rule, gitignore syntax (repeatable)
  --no-gitignore    do not read .gitignore / .leannignore
  --force           rebuild an index that already exists
  --fresh           discard the checkpoint of an interrupted build
  --budget B        bytes a passage for the index structures (graph, codes, stored vectors):
                    tiny (~64), balanced (~128, default), fast (~192) or a number from 8
                    to 65536. More bytes, fewer embeddings recomputed a search; a rebuild
                    keeps the index's budget. \`leann info\` shows what it chose (docs/tuning.md)
  --no-keyword-index
                    build no BM25 keyword index beside the graph: a little smaller, but
                    searches match meaning only (as --alpha 1) and miss exact identifiers
${MODEL_HELP}`,
    async run(ctx, v, p) {
      expectArgs("build", p, 2, Infinity, "NAME and at least one PATH");
      const chunkTokens = int(v, "chunk-tokens", DEFAULT_CHUNK_TOKENS, 16, 8192);
      const overlapTokens = int(v, "overlap", Math.min(DEFAULT_OVERLAP_TOKENS, Math.floor(chunkTokens / 4)), 0, 8192);
      if (overlapTokens * 2 >= chunkTokens) throw usage(`--overlap (${overlapTokens}) must be less than half of --chunk-tokens (${chunkTokens}).`);
      await build(ctx, {
        name: checkName(p[0], "build"),
        paths: p.slice(1),
        ...modelFlags(v),
        chunking: { chunkTokens, overlapTokens },
        collect: collectOptions(v),
        force: v.force === true,
        fresh: v.fresh === true,
        budget: typeof v.budget === "string" ? parseBudget(v.budget) : undefined,
        keywordIndex: v["no-keyword-index"] !== true,
      });
    },
  },
  search: {
    summary: "find the passages closest to a query",
    usage: 'leann search NAME "QUERY" [--k N] [--filter EXPR]... [--alpha A] [--ef N] [--max-recompute N] [--json]',
    options: { ...COMMON, ...MODEL, ...QUERY },
    help: `  -k, --k N         passages to return (default 5)
  -f, --filter EXPR only passages whose metadata match: KEY OP VALUE with OP one of
                    == != > < >= <= ~ (substring), e.g. ext==md, "source~docs/";
                    or a JSON MetadataFilters object. Repeated filters must all hold.
                    Keys: source (absolute path), ext, chunk, line, endLine, page.
${KNOBS_HELP}
${MODEL_HELP}`,
    async run(ctx, v, p) {
      expectArgs("search", p, 2, 2, "NAME and QUERY");
      if (!p[1]!.trim()) throw usage("leann search: the query is empty.");
      await search(ctx, { name: checkName(p[0], "search"), query: p[1]!, k: int(v, "k", 5, 1, 1000), filters: (v.filter as string[] | undefined) ?? [], ...modelFlags(v), knobs: knobs(v) });
    },
  },
  ask: {
    summary: "chat with an index through a local LLM on Ollama (streamed)",
    usage: 'leann ask NAME ["QUESTION"] [--llm MODEL] [--host URL]',
    options: { ...COMMON, ...MODEL, ...QUERY, llm: { type: "string" }, host: { type: "string" } },
    help: `Without QUESTION, reads one question a line from standard input (a chat on a terminal).
  --llm MODEL       Ollama model (default $LEANN_LLM, else ${DEFAULT_LLM})
  --host URL        Ollama server (default $OLLAMA_HOST, else ${DEFAULT_OLLAMA_HOST})
  -k, --k N         passages given to the model (default 4)
  -f, --filter EXPR as for search
  --alpha, --ef, --max-recompute, --patience   as for search
${MODEL_HELP}`,
    async run(ctx, v, p) {
      expectArgs("ask", p, 1, 2, "NAME");
      const env = ctx.io.env;
      await ask(ctx, {
        name: checkName(p[0], "ask"),
        question: p[1],
        llm: (v.llm as string | undefined) ?? env.LEANN_LLM ?? DEFAULT_LLM,
        host: (v.host as string | undefined) ?? env.OLLAMA_HOST ?? DEFAULT_OLLAMA_HOST,
        k: int(v, "k", 4, 1, 100),
        filters: (v.filter as string[] | undefined) ?? [],
        ...modelFlags(v),
        knobs: knobs(v),
      });
    },
  },
  add: {
    summary: "index new and changed files into an existing index",
    usage: "leann add NAME [PATH...] [--prune]",
    options: { ...COMMON, ...MODEL, ...COLLECT, prune: { type: "boolean" } },
    help: `Without PATH, rescans the paths the index was built from. Unchanged files (same size
and modification time) are skipped; changed files are re-chunked and replace their old passages.
  --prune           also drop indexed files under the scanned folders that no longer exist
  --ext, --ignore, --no-gitignore   as for build
${MODEL_HELP}`,
    async run(ctx, v, p) {
      expectArgs("add", p, 1, Infinity, "NAME");
      await add(ctx, { name: checkName(p[0], "add"), paths: p.slice(1), ...modelFlags(v), collect: collectOptions(v), prune: v.prune === true });
    },
  },
  delete: {
    summary: "drop files (all their passages) or passages by id from an index",
    usage: "leann delete NAME PATH... | --id ID...",
    options: { ...COMMON, ...MODEL, id: { type: "string", multiple: true } },
    help: `  PATH              a file, or a folder (every indexed file under it)
  --id ID           a passage id, as search --json reports it (repeatable)
${MODEL_HELP}`,
    async run(ctx, v, p) {
      expectArgs("delete", p, 1, Infinity, "NAME");
      await del(ctx, { name: checkName(p[0], "delete"), paths: p.slice(1), ids: (v.id as string[] | undefined) ?? [], ...modelFlags(v) });
    },
  },
  models: {
    summary: "the embedding models --model can name",
    usage: "leann models [--json]",
    options: { ...COMMON },
    help: "The model shipped with leann, the ones downloaded into the cache, and the other forms of --model.",
    async run(ctx, _v, p) {
      expectArgs("models", p, 0, 0, "");
      await models(ctx);
    },
  },
  list: {
    summary: "the indexes in the index home",
    usage: "leann list [--json]",
    options: { ...COMMON },
    help: "",
    async run(ctx, _v, p) {
      expectArgs("list", p, 0, 0, "");
      list(ctx);
    },
  },
  info: {
    summary: "passages, model and bytes by component of an index",
    usage: "leann info NAME [--json]",
    options: { ...COMMON },
    help: "Shows the bytes of each part (graph, PQ codes, passages) and their share of the raw text,\nthe --budget the index was built with and the layout it chose, and bytes a passage by part.",
    async run(ctx, _v, p) {
      expectArgs("info", p, 1, 1, "NAME");
      await info(ctx, checkName(p[0], "info"));
    },
  },
  remove: {
    summary: "delete an index",
    usage: "leann remove NAME [--json]",
    options: { ...COMMON },
    help: "",
    async run(ctx, _v, p) {
      expectArgs("remove", p, 1, 1, "NAME");
      remove(ctx, checkName(p[0], "remove"));
    },
  },
  mcp: {
    summary: "serve the indexes to AI assistants (Model Context Protocol over stdio)",
    usage: "leann mcp [--home DIR]",
    options: { ...COMMON },
    help: `Tools: search (query, index, k, filter, alpha), list_indexes, index_info. Register it with
Claude Code: claude mcp add leann -- leann mcp   (Claude Desktop and Cursor: see the README).`,
    async run(ctx, _v, p) {
      expectArgs("mcp", p, 0, 0, "");
      await mcp(ctx, VERSION);
    },
  },
  watch: {
    summary: "keep an index in sync with the folders it was built from",
    usage: "leann watch NAME [--debounce MS]",
    options: { ...COMMON, ...MODEL, ...COLLECT, debounce: { type: "string" } },
    help: `Catches up first, then indexes new and changed files and drops deleted ones as they
happen (each sync is \`leann add NAME --prune\`), printing a line for each. Ctrl-C stops it
after the sync in flight; one watcher per index.
  --debounce MS     quiet time before a sync (default ${DEFAULT_DEBOUNCE_MS})
  --ext, --ignore, --no-gitignore   as for build
${MODEL_HELP}`,
    async run(ctx, v, p) {
      expectArgs("watch", p, 1, 1, "NAME");
      await watch(ctx, { name: checkName(p[0], "watch"), ...modelFlags(v), collect: collectOptions(v), debounceMs: int(v, "debounce", DEFAULT_DEBOUNCE_MS, 0, 600_000) });
    },
  },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return `leann ${VERSION}: a vector index that stores no embeddings

Usage: leann COMMAND [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join("\n")}

Run \`leann COMMAND --help\` for a command's options.

${COMMON_HELP}

Exit codes: 0 ok, 1 usage error, 2 not found, 3 index or operation failed,
4 model cannot be loaded, 5 Ollama unavailable, 6 conflict (exists, locked), 130 interrupted.
`;
}

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return `Usage: ${c.usage}

${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.
${c.help ? `\n${c.help}\n` : ""}
${COMMON_HELP}
`;
}

function processIO(): CliIO {
  return { stdout: guardedSink(process.stdout), stderr: guardedSink(process.stderr), stdin: process.stdin, env: process.env, cwd: process.cwd() };
}

/**
 * Runs one `leann` command line (without the program name) and returns the exit code.
 * Output goes to `io` (default: the process's streams and environment).
 */
export async function main(argv: string[], io: CliIO = processIO()): Promise<ExitCode> {
  const wantsJson = argv.includes("--json");
  const fail = (err: unknown): ExitCode => {
    const c = classify(err);
    if (wantsJson) io.stdout.write(JSON.stringify({ error: { code: c.code, exitCode: c.exitCode, message: c.message, ...(c.hint ? { hint: c.hint } : {}) } }, null, 2) + "\n");
    io.stderr.write(`leann: ${c.message}\n`);
    if (c.hint) io.stderr.write(`  ${c.hint}\n`);
    return c.exitCode;
  };
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic !== undefined && !COMMANDS[topic]) return fail(usage(`Unknown command "${topic}".`, "Run `leann --help` for the list."));
    io.stdout.write(topic ? commandHelp(topic) : mainHelp());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === "--version" || name === "-V") {
    io.stdout.write(`${VERSION}\n`);
    return EXIT.OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    return fail(usage(name.startsWith("-") ? `Expected a command before ${JSON.stringify(name)}.` : `Unknown command "${name}".`, `Commands: ${Object.keys(COMMANDS).join(", ")}. Run \`leann --help\`.`));
  }
  let values: Record<string, unknown>, positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true }));
  } catch (err) {
    // parseArgs' messages name the flag: "Unknown option '--kk'", "Option '--k <value>' argument missing".
    return fail(usage(`leann ${name}: ${(err as Error).message.split(". ")[0]!.replace(/\.$/, "")}.`, `Run \`leann ${name} --help\` for its options.`));
  }
  if (values.help) {
    io.stdout.write(commandHelp(name));
    return EXIT.OK;
  }
  try {
    const home = indexHome(values.home as string | undefined, io.env, io.cwd);
    const ctx = makeCtx(io, home, values.json === true, values.quiet === true);
    await command.run(ctx, values, positionals);
    return EXIT.OK;
  } catch (err) {
    return fail(err);
  }
}

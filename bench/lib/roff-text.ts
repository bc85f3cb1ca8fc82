/**
 * Plain text of a man page's roff source (the man macros of the Linux man-pages project), for the man-pages set
 * of build-qa-sets.ts: font changes and spacing requests dropped, special characters spelled out, tables kept as
 * their cells. Not a formatter: just enough that the words of the page read as a person sees them.
 */

const CHARS: Record<string, string> = {
  em: "\u2014", en: "\u2013", hy: "-", mi: "-", pl: "+", mu: "\u00d7", aq: "'", dq: '"', lq: '"', rq: '"', oq: "'",
  cq: "'", bu: "\u2022", rs: "\\", ti: "~", ha: "^", co: "\u00a9", rg: "\u00ae", tm: "\u2122", ">=": "\u2265",
  "<=": "\u2264", "->": "\u2192", "<-": "\u2190", "!=": "\u2260", de: "\u00b0", "+-": "\u00b1", lh: "", rh: "",
  Tm: "\u2122", R: "\u00ae", ga: "`", aa: "'", sh: "#", Do: "$", at: "@", sl: "/", ba: "|", or: "|", ul: "_",
};

const ESCAPE = /\\(\[[^\]]*\]|\(..|\*(?:\[[^\]]*\]|\(..|.)|f(?:\[[^\]]*\]|\(..|.)|s[+-]?\d+|.)/g;

/** Resolves roff escapes in one line of text. */
export function unescapeRoff(s: string): string {
  return s.replace(ESCAPE, (_, e: string) => {
    if (e.startsWith("[")) return CHARS[e.slice(1, -1)] ?? "";
    if (e.startsWith("(")) return CHARS[e.slice(1)] ?? "";
    if (e.startsWith("*")) {
      const name = e.slice(1).replace(/^\(|^\[|\]$/g, "");
      return CHARS[name] ?? "";
    }
    if (e.startsWith("f") || e.startsWith("s")) return "";
    switch (e) {
      case "-":
        return "-";
      case "e":
      case "\\":
        return "\\";
      case "~":
      case "0":
      case " ":
        return " ";
      default:
        return ""; // \& \| \^ \% \: \c \, \/ and anything unknown: zero-width
    }
  });
}

/** A macro line's arguments: blank-separated, double quotes group ("" inside quotes is one quote). */
function macroArgs(rest: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"]|"")*)"?|((?:\\.|[^\s\\])+)/g; // an escaped blank ("\ ") stays inside its argument
  for (let m = re.exec(rest); m; m = re.exec(rest)) out.push(unescapeRoff(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!));
  return out;
}

/**
 * The text of roff source, one paragraph or unfilled line a line: filled text (outside .nf/.EX) is joined as roff
 * fills it, a `.TP` tag stands on its own line, `.SH` / `.SS` titles are lines of their own.
 */
export function roffLines(src: string): string[] {
  const out: string[] = [];
  let table = 0; // 0 outside a table, 1 in its options/format lines, 2 in its data
  let fill = true;
  let joinable = false; // the last line is filled text that the next filled text continues
  let tagNext = false;
  const emit = (text: string, filled = fill) => {
    if (filled && joinable && !tagNext) out[out.length - 1] += ` ${text}`;
    else out.push(text);
    joinable = filled && !tagNext;
    tagNext = false;
  };
  const brk = (blank: boolean) => {
    if (blank) out.push("");
    joinable = false;
  };
  for (const line of src.replace(/\r\n?/g, "\n").replace(/\\\n/g, "").split("\n")) {
    if (/^['.]\s*\\"/.test(line) || /^\.\s*$/.test(line)) continue;
    const m = /^[.']\s*(\S+)\s*(.*)$/.exec(line);
    if (table === 1) {
      if (m?.[1] === "TE") table = 0;
      else if (/\.\s*$/.test(line)) table = 2; // the format spec ends with a period
      continue;
    }
    if (m) {
      const [, name, rest] = m as unknown as [string, string, string];
      const args = macroArgs(rest);
      if (name === "TS") (table = 1), brk(true);
      else if (name === "TE") (table = 0), brk(true);
      else if (name === "SH" || name === "SS") brk(true), emit(args.join(" "), false), brk(true);
      else if (["B", "I", "SM", "SB"].includes(name)) args.length > 0 && emit(args.join(" "));
      else if (["BR", "BI", "IB", "IR", "RB", "RI"].includes(name)) emit(args.join(""));
      else if (["PP", "P", "LP", "sp", "HP"].includes(name)) brk(true);
      else if (name === "TP" || name === "TQ") brk(name === "TP"), (tagNext = true);
      else if (name === "IP") brk(true), args[0] && emit(args[0], false);
      else if (name === "br") brk(false);
      else if (name === "nf" || name === "EX") (fill = false), brk(false);
      else if (name === "fi" || name === "EE") (fill = true), brk(false);
      else if (name === "UR" || name === "MT") emit(args[0] ?? "");
      continue; // other requests (.RS .RE .in .ft .ad ...) carry no words
    }
    if (table === 2) {
      if (!/^[_=]$/.test(line.trim())) emit(unescapeRoff(line.replace(/T[{}]/g, "").replace(/\t/g, "  ")), false);
      continue;
    }
    if (line.trim() === "" ) brk(true);
    else emit(unescapeRoff(line));
  }
  return out;
}

/** A man page split into its NAME line (names, description) and the text of everything else. */
export interface ManPage {
  names: string[];
  description: string;
  body: string;
}

/**
 * Parses a man page; undefined for a page that only points at another (`.so`) or has no "name \- what" line.
 * The NAME section is left out of the body: it is where the query comes from.
 */
export function parseManPage(src: string): ManPage | undefined {
  if (/^\.so\s/m.test(src)) return undefined;
  const lines = src.replace(/\r\n?/g, "\n").split("\n");
  const sh = (l: string) => /^\.\s*SH\b/.test(l);
  const start = lines.findIndex((l) => sh(l) && /^\.\s*SH\s+"?NAME"?\s*$/.test(l));
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && !sh(lines[end]!)) end++;
  const nameLine = roffLines(lines.slice(start + 1, end).join("\n")).join(" ").replace(/\s+/g, " ").trim();
  const m = /^(.*?)\s+[-\u2013\u2014]\s+(.*)$/.exec(nameLine);
  if (!m) return undefined;
  const body = roffLines([...lines.slice(0, start), ...lines.slice(end)].join("\n")).join("\n").replace(/\n{3,}/g, "\n\n").trim();
  return { names: m[1]!.split(/\s*,\s*/).filter(Boolean), description: m[2]!, body };
}

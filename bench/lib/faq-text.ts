/**
 * Section splitters for the plain-text and Info documents of build-qa-sets.ts (tools-faq): pure functions from a
 * file's text to its sections, heading apart from body, so that no question heading is ever part of a passage.
 */

/** One titled stretch of a document: its heading (never part of a passage) and its body text. */
export interface Section {
  file: string;
  heading: string;
  body: string;
  isQuestion: boolean;
}

/** A question: a heading that ends in "?" and has at least 3 words (the rule of every set). */
export function isQuestionHeading(heading: string): boolean {
  return heading.endsWith("?") && heading.split(/\s+/).length >= 3;
}

/**
 * Splits a plain-text FAQ at its numbered headings. `heading` matches a heading's first line and captures its
 * title without the number (each FAQ numbers its own way: "1.2.4<tab>", "7.6.<nbsp>", "3.1: "). A heading wraps
 * onto the lines that follow it up to a blank line (or the next heading, as in a table of contents, whose
 * entries thereby get empty bodies and no passage). Text before `start` (title page, table of contents) is left
 * out: a contents page lists every question verbatim, and is layout, not an answer.
 */
export function numberedSections(file: string, text: string, heading: RegExp, start?: RegExp): Section[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let i = start ? lines.findIndex((l) => start.test(l)) : 0;
  if (i < 0) throw new Error(`${file}: no line matches ${start}; the document's layout changed`);
  const out: Section[] = [];
  let title = "";
  let body: string[] = [];
  const flush = () => {
    const t = title.replace(/[\s\u00a0]+/g, " ").trim();
    out.push({ file, heading: t, body: body.join("\n"), isQuestion: isQuestionHeading(t) });
    body = [];
  };
  for (; i < lines.length; i++) {
    const m = heading.exec(lines[i]!);
    if (!m) {
      body.push(lines[i]!);
      continue;
    }
    flush();
    title = m[1]!;
    while (i + 1 < lines.length && lines[i + 1]!.trim() !== "" && !heading.test(lines[i + 1]!)) title += ` ${lines[++i]}`;
  }
  flush();
  return out.filter((s) => s.body.trim() !== "");
}

const INFO_UNDERLINE = /^([*=\-.])\1*$/;

/**
 * Splits an Info file (texi2any output) into sections at its headings (a title underlined by `*`, `=`, `-` or
 * `.`), section numbers ("7.1 ", "A.2 ", "Appendix B ") dropped from the title. Node header lines and menus
 * ("* Menu:" to the node's end, including index nodes) are left out: a menu entry repeats a node's name, which
 * in a FAQ is the question itself. The tag table of a split manual is not text and is skipped.
 */
export function infoSections(file: string, text: string, questions: boolean): Section[] {
  const out: Section[] = [];
  let heading = "";
  let body: string[] = [];
  const flush = () => {
    out.push({ file, heading, body: body.join("\n"), isQuestion: questions && isQuestionHeading(heading) });
    body = [];
  };
  for (const node of text.replace(/\r\n?/g, "\n").split("\u001f")) {
    const lines = node.replace(/^\n/, "").split("\n");
    if (/^(Tag Table:|Indirect:|End Tag Table)/.test(lines[0] ?? "")) continue;
    if (/^File: /.test(lines[0] ?? "")) lines.shift();
    const menu = lines.findIndex((l) => l.startsWith("* Menu:"));
    if (menu >= 0) lines.length = menu;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      const next = lines[i + 1];
      if (next !== undefined && line.trim() && INFO_UNDERLINE.test(next) && next.length === line.length) {
        flush();
        heading = line.trim().replace(/^(Appendix [A-Z]|[A-Z](\.\d+)+|\d+(\.\d+)*)\s+/, "");
        i++;
        continue;
      }
      body.push(line);
    }
  }
  flush();
  return out.filter((s) => s.body.trim() !== "");
}

/**
 * HTML as the text a reader sees: tags, comments and the bodies of script, style and
 * template elements removed, character references decoded. Every newline of the source
 * is kept where it was, so the line numbers search reports point into the .html file.
 *
 * A single forward scan (no backtracking regular expressions): linear in the input,
 * whatever the markup, closed or not.
 */

/** Elements whose content is code or markup, not text. */
const RAW = new Set(["script", "style", "template", "noscript", "svg", "math"]);

const NAMED: Record<string, string> = {
  amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", ndash: "–", mdash: "—", hellip: "…", copy: "©", reg: "®",
  trade: "™", laquo: "«", raquo: "»", lsquo: "‘", rsquo: "’", ldquo: "“", rdquo: "”", bull: "•", middot: "·", deg: "°",
  times: "×", divide: "÷", euro: "€", pound: "£", yen: "¥", cent: "¢", sect: "§", para: "¶", shy: "",
};

/** The newlines of `s` (a removed stretch keeps its line breaks), else one space so words stay apart. */
function residue(s: string): string {
  let n = 0;
  for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) n++;
  return n > 0 ? "\n".repeat(n) : " ";
}

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z][a-z0-9]{1,31});/gi, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code = ref[1] === "x" || ref[1] === "X" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

/** The readable text of an HTML document, line for line. */
export function htmlToText(html: string): string {
  let out = "";
  let i = 0;
  const n = html.length;
  while (i < n) {
    const lt = html.indexOf("<", i);
    if (lt === -1) {
      out += html.slice(i);
      break;
    }
    out += html.slice(i, lt);
    const next = html[lt + 1] ?? "";
    let end: number;
    if (html.startsWith("<!--", lt)) {
      const close = html.indexOf("-->", lt + 4);
      end = close === -1 ? n : close + 3;
    } else if (/[A-Za-z/!?]/.test(next)) {
      const gt = html.indexOf(">", lt + 1);
      end = gt === -1 ? n : gt + 1;
      const name = /^<([A-Za-z][A-Za-z0-9-]*)/.exec(html.slice(lt, Math.min(end, lt + 40)))?.[1]?.toLowerCase();
      if (name && RAW.has(name) && !html.slice(lt, end).endsWith("/>")) {
        const closing = new RegExp(`</${name}`, "gi");
        closing.lastIndex = end;
        const close = closing.exec(html)?.index ?? -1;
        const closeEnd = close === -1 ? n : html.indexOf(">", close);
        end = closeEnd === -1 ? n : closeEnd + 1;
      }
    } else {
      out += "<"; // a bare "<" in text, as in "a < b"
      i = lt + 1;
      continue;
    }
    out += residue(html.slice(lt, end));
    i = end;
  }
  return decodeEntities(out)
    .split("\n")
    .map((line) => line.replace(/[ \t\u00a0]+/g, " ").trim())
    .join("\n");
}

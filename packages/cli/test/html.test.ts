import { describe, expect, it } from "vitest";
import { htmlToText } from "../src/html.js";

describe("htmlToText", () => {
  const rows: Array<[string, string, string]> = [
    ["drops tags and keeps words apart", "<p>Rotate<b>keys</b></p><p>often</p>", "Rotate keys often"],
    ["drops comments", "a<!-- hidden\ncomment -->b", "a\nb"],
    ["drops script, style and template bodies, whatever their case", "x<SCRIPT>if (a < b) alert('<p>')</SCRIPT>y<style>p{}</style>z<template><p>t</p></template>", "x y z"],
    ["decodes named and numeric references", "caf&eacute; &amp; &lt;tag&gt; &#8364;5 &#x41; &nbsp;x", "caf&eacute; & <tag> €5 A x"],
    ["keeps a bare less-than sign", "1 < 2 and 3 <= 4", "1 < 2 and 3 <= 4"],
    ["ends cleanly at an unclosed tag or comment", "text <a href='x", "text"],
    ["ends cleanly at an unclosed script", "text <script>var x", "text"],
    ["keeps invalid numeric references as written", "&#xD800; &#0;", "&#xD800; &#0;"],
  ];
  it.each(rows)("%s", (_, html, text) => {
    expect(htmlToText(html)).toBe(text);
  });

  it("keeps every newline where it was, so line numbers point into the file", () => {
    const html = "<html>\n<head><title>Guide</title>\n<style>\nbody{}\n</style></head>\n<body>\n<h1>Keys</h1>\n<p>Rotate every\nninety days.</p>\n</body></html>\n";
    const text = htmlToText(html);
    expect(text.split("\n")).toHaveLength(html.split("\n").length);
    expect(text.split("\n")[7]).toBe("Rotate every");
    expect(text).not.toMatch(/[<>]/);
  });

  it("takes linear time on pathological markup", () => {
    const html = "<".repeat(200_000) + "<a".repeat(100_000) + "<script>".repeat(20_000);
    const text = htmlToText(html);
    expect(text.length).toBeLessThanOrEqual(html.length);
  });
});

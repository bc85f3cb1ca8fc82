import { describe, expect, it } from "vitest";
import { InvalidInputError, InvalidOptionsError } from "../../src/errors.js";
import { createTokenizer, foldCase, identifierParts } from "../../src/keyword/tokenize.js";
import { createRng } from "../../src/util/rng.js";

const tok = createTokenizer();

describe("keyword tokenizer", () => {
  it("does find an identifier whole and in stemmed parts when it is camelCase, snake_case, a --flag or dotted", () => {
    expect(tok.tokenize("reorderForLocality")).toEqual(["reorderforlocality", "reorder", "for", "local"]);
    expect(tok.tokenize("asn1_der_coding")).toEqual(["asn1_der_coding", "asn1", "der", "code"]);
    expect(tok.tokenize("git rebase --rebase-merges")).toEqual(["git", "rebas", "rebas", "merg", "rebase-merges"]);
    expect(tok.tokenize("os.path.join(a)")).toEqual(["os.path.join", "os", "path", "join", "a"]);
    expect(tok.tokenize("XMLHttpRequest")).toEqual(["xmlhttprequest", "xml", "http", "request"]);
  });

  it("does keep a plain word, a capitalised word and a letters-with-digits word as one stemmed or exact token", () => {
    expect(tok.tokenize("Connections connected IPv6 Python's")).toEqual(["connect", "connect", "ipv6", "python"]);
  });

  it("does match a query written differently when case, width or ligatures differ", () => {
    expect(tok.tokenize("ＲＥＯＲＤＥＲ ﬁle STRASSE")).toEqual(tok.tokenize("reorder file straße"));
    expect(foldCase("ÅNGSTRÖM")).toBe("ångström");
  });

  it("does split Chinese and Japanese into words and overlapping character bigrams when there are no spaces", () => {
    const zh = tok.tokenize("自然语言处理");
    expect(zh).toContain("自然");
    expect(zh).toContain("语言");
    expect(zh).toContain("然语"); // a bigram across the word boundary: robust to a different segmentation of the query
    const ja = tok.tokenize("東京都に住んでいます");
    expect(ja).toContain("東京");
    expect(ja).toContain("京都");
    expect(tok.tokenize("한국어 텍스트")).toEqual(["한국어", "텍스트"]);
  });

  it("does cut a very long token to maxTokenLength without splitting a surrogate pair", () => {
    const t = createTokenizer({ maxTokenLength: 16 });
    expect(t.tokenize("x".repeat(100_000))).toEqual(["x".repeat(16)]);
    const emoji = "a".repeat(15) + "\u{1F600}";
    for (const token of t.tokenize(emoji + "b")) expect(token.length).toBeLessThanOrEqual(16);
    // Identifier parts of a hostile identifier are bounded by the cut too.
    const parts = t.tokenize("aB".repeat(50_000));
    expect(parts.length).toBeLessThanOrEqual(1 + 16);
  });

  it("does not stem when the language is none, and uses a given stemmer for another language", () => {
    expect(createTokenizer({ language: "none" }).tokenize("Running dogs")).toEqual(["running", "dogs"]);
    const fr = createTokenizer({ language: "french", stemmer: (w) => w.replace(/s$/, "") });
    expect(fr.language).toBe("french");
    expect(fr.tokenize("maisons")).toEqual(["maison"]);
  });

  it.each([
    [{ language: "french" }],
    [{ maxTokenLength: 4 }],
    [{ maxTokenLength: 2.5 }],
    [{ stemmer: "porter" as unknown as (w: string) => string }],
  ])("does throw InvalidOptionsError when options are %j", (opts) => {
    expect(() => createTokenizer(opts)).toThrow(InvalidOptionsError);
  });

  it("does throw InvalidInputError when the text is not a string", () => {
    expect(() => tok.tokenize(undefined as unknown as string)).toThrow(InvalidInputError);
    expect(() => tok.tokenize(42 as unknown as string)).toThrow(InvalidInputError);
  });

  it("does return no parts for plain words and all parts for identifiers", () => {
    expect(identifierParts("Python")).toBeNull();
    expect(identifierParts("don't")).toBeNull();
    expect(identifierParts("HTTPServer")).toEqual(["HTTP", "Server"]);
    expect(identifierParts("foo::bar")).toEqual(["foo", "bar"]);
  });
});

/** Random text from a mix of scripts, identifier shapes, punctuation and whitespace (seeded). */
function randomText(rng: () => number, words: number): string {
  const pieces = [
    "alpha", "Beta", "camelCaseName", "snake_case_name", "--long-flag", "os.path.join", "v1.2.3", "IPv6", "北京大学",
    "東京都", "한국어", "ﬁle", "ＡＢＣ", "don't", "x".repeat(200), "\u{1F600}", "émigré", "-", ".", "__", "3.14", "ß",
    "Ⅻ", "\u0301", "a-b-c-d-e-f-g-h-i-j", "HTTPServer",
  ];
  const seps = [" ", "\n", "\t", ", ", ". ", " (", ") "];
  let s = "";
  for (let i = 0; i < words; i++) {
    s += pieces[Math.floor(rng() * pieces.length)]!;
    s += seps[Math.floor(rng() * seps.length)]!;
  }
  return s;
}

describe("keyword tokenizer properties (seeded random texts)", () => {
  it("does produce tokens that are non-empty, bounded, whitespace-free and already folded", () => {
    const rng = createRng(7);
    const bad: string[] = [];
    for (let trial = 0; trial < 200; trial++) {
      for (const t of tok.tokenize(randomText(rng, 30))) {
        if (t.length === 0 || t.length > 64 || /\s/.test(t) || foldCase(t) !== t) bad.push(t);
      }
    }
    expect(bad).toEqual([]);
  });

  it("does tokenise two texts joined by a space as the concatenation of their tokens", () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 200; trial++) {
      const a = randomText(rng, 1 + Math.floor(rng() * 10));
      const b = randomText(rng, 1 + Math.floor(rng() * 10));
      expect(tok.tokenize(`${a} ${b}`)).toEqual([...tok.tokenize(a), ...tok.tokenize(b)]);
    }
  });

  it("does give the same tokens for a text and its NFKC form", () => {
    const rng = createRng(13);
    for (let trial = 0; trial < 200; trial++) {
      const a = randomText(rng, 20);
      expect(tok.tokenize(a)).toEqual(tok.tokenize(a.normalize("NFKC")));
    }
  });

  it("does emit a bounded number of tokens per input character when input is hostile", () => {
    const hostile = ["a-".repeat(20_000), "aB_".repeat(20_000), "語".repeat(20_000), "1.".repeat(20_000), "\u0301".repeat(20_000)];
    for (const h of hostile) expect(tok.tokenize(h).length).toBeLessThanOrEqual(2 * h.length + 1);
  });
});

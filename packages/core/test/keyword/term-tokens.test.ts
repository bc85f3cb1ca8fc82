/**
 * The build's fast path (keyword/term-tokens.ts) against the tokeniser it stands in for: on any text, the term
 * numbers it gives name exactly the tokens `tokenize` returns, in order. The texts mix what the ASCII scanner must
 * get right (identifiers, "::", dots, apostrophes, hyphens, digits, long words) with what sends a text to the
 * general path (other scripts, CJK, emoji, marks, full-width letters).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TermRow, TermTokenizer } from "../../src/keyword/term-tokens.js";
import { TermDictionary } from "../../src/keyword/terms.js";
import { type Tokenizer, createTokenizer } from "../../src/keyword/tokenize.js";

const ASCII_PIECES = [
  "a", "Z", "foo", "Bar", "HTTP", "Server", "xmlHttpRequest", "snake_case", "_", "__init__", "0", "42", "v1.2.3", "IPv6",
  "asn1", "os.path.join", "foo::bar", "a:::b", ".", "..", ":", "::", "'", "'s", "don't", "-", "--", "---", "--rebase-merges",
  "e-mail", " ", "  ", "\n", "\t", "(", ")", "/", "#", "$", "@", ",", ";", "!", "?", "connections", "running", "x".repeat(70),
  "A".repeat(9), "ab".repeat(40), "\u0000", "\u007f",
];
const OTHER_PIECES = ["é", "ß", "ﬁ", "İ", "’", "’s", "東京", "自然语言", "の", "한국어", "ไทย", "😀", "a\u0301", "Ｒｅ", "—", "\u00a0", "٣"];

const piece = (pieces: string[]) => fc.constantFrom(...pieces);
const asciiText = fc.array(fc.oneof(piece(ASCII_PIECES), fc.string({ unit: "binary-ascii", maxLength: 6 })), { maxLength: 40 }).map((p) => p.join(""));
const mixedText = fc
  .array(fc.oneof(piece(ASCII_PIECES), piece(OTHER_PIECES), fc.string({ unit: "grapheme", maxLength: 4 })), { maxLength: 30 })
  .map((p) => p.join(""));

/** The tokens the fast path gives for each text, one TermTokenizer (and memo) for all of them, as a build uses it. */
function viaTermNumbers(tokenizer: Tokenizer, texts: string[], memoWords?: number): string[][] {
  const dict = new TermDictionary();
  const tt = new TermTokenizer(tokenizer, dict, memoWords);
  return texts.map((t) => {
    const row = new TermRow();
    tt.tokenize(t, row);
    return Array.from(row.ids.subarray(0, row.length), (id) => dict.term(id));
  });
}

const TOKENIZERS: [string, Tokenizer][] = [
  ["english", createTokenizer()],
  ["english, maxTokenLength 8", createTokenizer({ maxTokenLength: 8 })],
  ["no stemming", createTokenizer({ language: "none" })],
];

describe("term numbers straight from the text", () => {
  for (const [name, tokenizer] of TOKENIZERS) {
    it(`does give exactly tokenize's tokens when the texts are ASCII or mixed scripts (${name})`, () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(asciiText, mixedText), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 64 }), (texts, memoWords) => {
          // A tiny memo starts over often: what it forgets must not change the numbers either.
          expect(viaTermNumbers(tokenizer, texts, memoWords)).toEqual(texts.map((t) => tokenizer.tokenize(t)));
        }),
        { numRuns: 300 },
      );
    });
  }

  it("does give exactly tokenize's tokens when a seeded stream of words fills the memo many times over", () => {
    const tokenizer = createTokenizer();
    const words = ["reorderForLocality", "the", "Connections", "x1", "snake_case", "--flag-name", "a.b", "it's", "HTTPServer"];
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const texts = Array.from({ length: 200 }, () =>
      Array.from({ length: 30 }, () => (next() % 3 === 0 ? `w${next() % 5000}` : words[next() % words.length]!)).join(next() % 2 ? " " : "-"),
    );
    expect(viaTermNumbers(tokenizer, texts, 100)).toEqual(texts.map((t) => tokenizer.tokenize(t)));
  });

  it("does tokenise through the tokeniser's own tokenize when it is not one of createTokenizer's", () => {
    const own: Tokenizer = { language: "own", tokenize: (t) => t.split(/\s+/).filter(Boolean) };
    expect(viaTermNumbers(own, ["Hello  World", "hello again"])).toEqual([["Hello", "World"], ["hello", "again"]]);
  });
});

/**
 * Property tests of the chunker on hostile text: minified code, base64 and data URIs,
 * long table rows, megabytes of whitespace, CJK and astral characters, combining marks
 * and lone surrogates. Whatever the input, chunking ends, every chunk keeps within its
 * token and character bounds, and the chunks cover every non-whitespace character.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chunkText, estimateTokens, MAX_CHARS_PER_TOKEN, sliceWord } from "../src/chunk.js";

/** Pieces real hostile files are made of; arrays of them are joined into one text. */
const fragment = fc.oneof(
  fc.stringMatching(/^[a-z0-9]{1,400}$/), // identifiers, hashes
  fc.stringMatching(/^[A-Za-z0-9+/=]{200,3000}$/), // base64, data URIs
  fc.constantFrom("a.b(c),d=>{e[f]};", "<td>1</td>", "|---|", "{}", ";;;;", "\u0301\u0301", "🙂", "𠀀𠀁", "東京都", "\ud800", "\udc00"),
  fc.string({ unit: "binary", maxLength: 64 }), // any code points, lone surrogates included
  fc.stringMatching(/^[ \t\n]{1,50}$/),
  fc.integer({ min: 1, max: 5000 }).map((n) => " ".repeat(n)), // whitespace costs no tokens
  fc.tuple(fc.constantFrom("a", ",", "東", "𠀀", "x.y"), fc.integer({ min: 1, max: 2000 })).map(([s, n]) => s.repeat(n)),
);
const hostileText = fc.array(fragment, { maxLength: 24 }).map((parts) => parts.join(""));
const chunking = fc.integer({ min: 8, max: 512 }).chain((chunkTokens) =>
  fc.record({ chunkTokens: fc.constant(chunkTokens), overlapTokens: fc.integer({ min: 0, max: Math.ceil(chunkTokens / 2) - 1 }) }),
);

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
/** True when offset `i` falls between the two halves of a surrogate pair. */
const splitsPair = (text: string, i: number) => i > 0 && i < text.length && isHigh(text.charCodeAt(i - 1)) && isLow(text.charCodeAt(i));

function checkChunks(text: string, options: { chunkTokens: number; overlapTokens: number }): void {
  const chunks = chunkText(text, options);
  const maxChars = options.chunkTokens * MAX_CHARS_PER_TOKEN;
  const covered = new Uint8Array(text.length);
  let total = 0, prevStart = -1;
  for (const c of chunks) {
    expect(c.text).toBe(text.slice(c.start, c.end));
    expect(c.text.length).toBeGreaterThan(0);
    expect(c.text.length).toBeLessThanOrEqual(maxChars);
    expect(c.tokens).toBeLessThanOrEqual(options.chunkTokens);
    expect(estimateTokens(c.text)).toBeLessThanOrEqual(c.tokens);
    expect(c.start).toBeGreaterThan(prevStart); // every chunk moves forward
    expect(splitsPair(text, c.start) || splitsPair(text, c.end)).toBe(false);
    prevStart = c.start;
    total += c.text.length;
    covered.fill(1, c.start, c.end);
  }
  for (let i = 0; i < text.length; i++) if (/\S/.test(text[i]!) && !covered[i]) throw new Error(`character ${i} (${JSON.stringify(text[i])}) is in no chunk`);
  expect(total).toBeLessThanOrEqual(2 * text.length + maxChars);
}

describe("chunkText on hostile text", () => {
  it("ends with bounded chunks that cover the text when it holds long runs without spaces", () => {
    fc.assert(fc.property(hostileText, chunking, (text, options) => checkChunks(text, options)), { seed: 14, numRuns: 300 });
  });

  it("cuts a 3.3 KB run of letters then commas (the out-of-memory case) into bounded chunks", () => {
    const text = "a".repeat(3000) + ",".repeat(300);
    checkChunks(text, { chunkTokens: 256, overlapTokens: 32 });
    expect(chunkText(text).map((c) => c.text).join("")).toBe(text);
  });

  it("keeps chunks within the character bound when the text is mostly whitespace", () => {
    const text = `start ${" ".repeat(200_000)} middle ${"\n".repeat(100_000)} end`;
    const chunks = chunkText(text, { chunkTokens: 16, overlapTokens: 4 });
    expect(chunks.map((c) => c.text.trim())).toEqual(["start", "middle", "end"]);
    checkChunks(text, { chunkTokens: 16, overlapTokens: 4 });
  });

  it("keeps a chunker over megabytes without a space linear: one pass, chunks about the text's size", () => {
    const text = "x=>y;".repeat(200_000); // 1 MB of minified code
    const chunks = chunkText(text, { chunkTokens: 256, overlapTokens: 32 });
    expect(chunks.reduce((s, c) => s + c.text.length, 0)).toBe(text.length); // hard cuts do not overlap
    checkChunks(text.slice(0, 100_000), { chunkTokens: 64, overlapTokens: 8 });
  });
});

describe("sliceWord", () => {
  it("gives slices within both bounds whose estimate is exactly estimateTokens, for any word", () => {
    const word = fc.string({ unit: "binary", minLength: 1, maxLength: 3000 }).map((s) => s.replace(/\s/g, "_"));
    fc.assert(
      fc.property(word, fc.integer({ min: 1, max: 64 }), fc.integer({ min: 2, max: 400 }), (w, maxTokens, maxChars) => {
        const slices = sliceWord(w, maxTokens, maxChars);
        expect(slices.map((s) => w.slice(s.start, s.end)).join("")).toBe(w);
        for (const s of slices) {
          const text = w.slice(s.start, s.end);
          expect(s.tokens).toBe(estimateTokens(text));
          // One code point may exceed a bound smaller than itself; otherwise both hold.
          if ([...text].length > 1) {
            expect(s.tokens).toBeLessThanOrEqual(maxTokens);
            expect(text.length).toBeLessThanOrEqual(maxChars);
          }
        }
      }),
      { seed: 14, numRuns: 300 },
    );
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Tokenizer } from "@huggingface/tokenizers";
import { loadTokenizer } from "../src/tokenizer.js";
import { createRng } from "@leann/testing";
import { requirePotion } from "./helpers/potion.js";

const TRICKY = [
  "Hello, world! It's 3.14 o'clock;   isn't it?",
  "ΟΔΟΣ ΚΑΙ ΟΔΟΣ. Σίσυφος ΣΊΣΥΦΟΣ",
  "naïve café résumé Ångström e\u0301 \u0301x",
  "東京タワー and 北京 mixed中文text",
  "tabs\tand\nnewlines\r\nand  double  spaces ",
  "control\u000bchars\u000cand\u200bzero\u00a0width\u3000ideographic\ufeffbom",
  "literal [CLS] and [SEP][MASK] tokens, [UNK]x",
  "emoji 🙂👍🏽 and symbols ©®™ §¶ ±×÷",
  "a".repeat(150) + " supercalifragilisticexpialidocious",
  "   leading and trailing   ",
  "İstanbul ǅemal ﬁnance",
];

describe("word-cached tokenization", () => {
  it("gives exactly the library's ids on mixed-script text (potion's BERT WordPiece)", async () => {
    const dir = requirePotion();
    const fast = await loadTokenizer(dir);
    const lib = new Tokenizer(JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8")) as object, {});
    const pool = [..."abcXYZ  \t\n.,;'-é東ΣσΟ🙂\u0301\u000b\u00a0[]", "[CLS]", "[SEP]", "word ", "the "];
    const r = createRng(5);
    const fuzz = Array.from({ length: 300 }, () => Array.from({ length: 1 + Math.floor(r() * 40) }, () => pool[Math.floor(r() * pool.length)]).join(""));
    for (const text of [...TRICKY, ...fuzz, ...TRICKY]) {
      expect(fast.encode(text), JSON.stringify(text)).toEqual(lib.encode(text, { add_special_tokens: false }).ids);
    }
  });

  it("finds the special tokens around a sequence and the padding id", async () => {
    const t = await loadTokenizer(requirePotion());
    expect(t.prefix).toEqual([t.tokenizer.token_to_id("[CLS]")]);
    expect(t.suffix).toEqual([t.tokenizer.token_to_id("[SEP]")]);
    expect(t.padId).toBe(t.tokenizer.token_to_id("[PAD]"));
    expect(t.vocabSize).toBe(29528);
    expect([0, 1, 2, 3, 4].map((i) => t.special[i])).toEqual([1, 1, 1, 1, 1]);
    expect(t.special[1000]).toBe(0);
  });
});

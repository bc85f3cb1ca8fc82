/**
 * What both model kinds do before their maths: check every text, tokenize it
 * once, and apply the truncation policy. Kept apart so the policy (and its
 * messages) is the same for static and transformer models.
 */
import { InvalidInputError } from "@leann/core";
import { TextTooLongError } from "./errors.js";
import type { LoadedTokenizer } from "./tokenizer.js";

export type TruncationPolicy = "truncate" | "warn" | "error";

export interface TokenizeSettings {
  /** Token budget for the text itself, special tokens excluded. */
  readonly budget: number;
  readonly truncation: TruncationPolicy;
  readonly onWarning: (message: string) => void;
}

/**
 * Checks that every entry is a non-blank string.
 * @throws {InvalidInputError} naming the first offending index.
 */
export function checkTexts(texts: readonly unknown[]): asserts texts is readonly string[] {
  if (!Array.isArray(texts)) throw new InvalidInputError(`expected an array of strings, received ${typeof texts}.`);
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i];
    if (typeof t !== "string") {
      throw new InvalidInputError(`text ${i} is ${t === null ? "null" : typeof t}; expected a string. Convert documents to text before embedding.`);
    }
    if (t.trim().length === 0) {
      throw new InvalidInputError(
        `text ${i} is empty${t.length ? " (only whitespace)" : ""}; an empty text has no meaning to embed. Drop empty passages before embedding.`,
      );
    }
  }
}

/**
 * Tokenizes every text (no special tokens) and cuts it to the budget.
 * @throws {TextTooLongError} when a text is over budget and the policy is "error".
 */
export function tokenizeTexts(tok: LoadedTokenizer, texts: readonly string[], s: TokenizeSettings): number[][] {
  const out: number[][] = new Array(texts.length);
  let cut = 0;
  let firstCut = -1;
  let longest = 0;
  for (let i = 0; i < texts.length; i++) {
    const ids = tok.encode(texts[i]!);
    if (ids.length > s.budget) {
      if (s.truncation === "error") throw new TextTooLongError(i, ids.length, s.budget);
      if (firstCut < 0) firstCut = i;
      cut++;
      longest = Math.max(longest, ids.length);
      ids.length = s.budget;
    }
    out[i] = ids;
  }
  if (cut > 0 && s.truncation === "warn") {
    s.onWarning(
      `@leann/onnx: truncated ${cut} of ${texts.length} texts to the model's ${s.budget} tokens (first: text ${firstCut}, longest: ${longest} tokens); ` +
        `the cut-off part is not embedded. Chunk passages to at most ${s.budget} tokens to keep all of it.`,
    );
  }
  return out;
}

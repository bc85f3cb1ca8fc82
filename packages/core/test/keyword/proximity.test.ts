import { describe, expect, it } from "vitest";
import { proximityScore, queryPairs } from "../../src/keyword/proximity.js";
import { createTokenizer } from "../../src/keyword/tokenize.js";

const tok = createTokenizer();
const idf: Record<string, number> = { login: 3, shell: 2, zsh: 5, make: 1, my: 0.5 };
const weight = (t: string) => idf[t] ?? 0;

describe("term proximity", () => {
  it("does pair adjacent query terms once each, weighted by the commoner term, dropping unknown terms", () => {
    const pairs = queryPairs(tok.tokenize("make zsh my login shell, login shell"), weight);
    expect(pairs).toEqual([
      { a: "make", b: "zsh", w: 1 },
      { a: "zsh", b: "my", w: 0.5 },
      { a: "my", b: "login", w: 0.5 },
      { a: "login", b: "shell", w: 2 },
    ]);
    // "shell login" (the repeat, reversed) is the same pair; a term without weight pairs with nothing.
    expect(queryPairs(["login", "unknown", "shell"], weight)).toEqual([]);
  });

  it("does count a pair when its terms are within the window in either order, and once however often", () => {
    const pairs = queryPairs(["login", "shell"], weight);
    const score = (text: string, window = 3) => proximityScore(tok.tokenize(text), pairs, { window });
    expect(score("set the login shell here; the login shell again")).toBe(2);
    expect(score("a shell for your login")).toBe(2);
    expect(score("login to the machine, then a shell")).toBe(0);
    expect(score("login to the machine, then a shell", 6)).toBe(2);
    expect(score("nothing relevant")).toBe(0);
    expect(proximityScore(["login", "shell"], [], { window: 3 })).toBe(0);
  });
});

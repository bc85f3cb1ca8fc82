/**
 * KeywordIndex.byteLength against encoding from scratch: exact for a small dictionary, within the stated tolerance
 * of the compressed dictionary for a large one, after adds, deletes, upserts and compaction; and each call after a
 * change measures only the lists the change touched.
 */
import { describe, expect, it } from "vitest";
import { KeywordIndex } from "../../src/keyword/keyword-index.js";
import { dictionaryEntries } from "../../src/keyword/codec.js";
import { DICTIONARY_TOLERANCE } from "../../src/keyword/saved-size.js";
import { deflateRawSync } from "node:zlib";
import { createRng } from "../../src/util/rng.js";

/** Seeded passages over a Zipf-ish vocabulary of `vocab` made-up words, so that terms repeat and new ones keep coming. */
function texts(n: number, seed: number, vocab: number): string[] {
  const rng = createRng(seed);
  const word = (i: number) => {
    let w = "", x = i + 1;
    while (x > 0) {
      w += "bcdfghjklmnpqrstvwz"[x % 19]! + "aeiou"[(x >> 3) % 5]!;
      x = Math.floor(x / 19);
    }
    return w;
  };
  return Array.from({ length: n }, () => Array.from({ length: 5 + Math.floor(rng() * 30) }, () => word(Math.floor(vocab * rng() ** 3))).join(" "));
}

const packedDictionary = (kw: KeywordIndex) => {
  const s = kw.postings.state();
  return deflateRawSync(dictionaryEntries(s.terms, s.df).raw).length;
};

describe("keyword index byteLength", () => {
  it("does equal the encoded length exactly when the dictionary is small, after adds, deletes, upserts and compaction", () => {
    const kw = KeywordIndex.create();
    const docs = texts(300, 3, 400);
    docs.forEach((t, i) => kw.add(i, t));
    const check = () => expect(kw.byteLength()).toBe(kw.toBytes().length);
    check();
    kw.add(300, "reorderForLocality and a brand new word");
    check();
    kw.delete(7);
    check();
    kw.delete(8);
    kw.add(301, docs[8]! + " upserted"); // an upsert: the old node retired, the text under a new id
    check();
    kw.add(150 + 1000, "far ahead"); // a gap in the ids
    kw.add(302, "back in order");
    check();
    kw.compact((id) => (id === 9 ? -1 : id));
    check();
    kw.add(2000, "after compaction");
    check();
  });

  it("does stay within the stated tolerance of the compressed dictionary when it is large, measuring only what changed", () => {
    const kw = KeywordIndex.create();
    const docs = texts(2000, 5, 60_000); // about 140 KB of dictionary entries: estimated, not compressed each time
    docs.forEach((t, i) => kw.add(i, t));
    const within = (step: string) => {
      const exact = kw.toBytes().length;
      const got = kw.byteLength();
      expect(Math.abs(got - exact), `${step}: ${got} against ${exact}`).toBeLessThanOrEqual(DICTIONARY_TOLERANCE * packedDictionary(kw));
    };
    within("built");
    const more = texts(200, 9, 200_000);
    let next = 2000;
    for (let i = 0; i < more.length; i++) {
      const measured = kw.postings.listsMeasured;
      kw.add(next++, more[i]!);
      if (i % 3 === 0) kw.delete(i * 7);
      if (i % 5 === 0) {
        kw.delete(next - 2);
        kw.add(next++, more[i]! + " again");
      }
      if (i % 50 === 0) within(`after ${i + 1} changes`);
      else {
        kw.byteLength();
        // Each step touched a few passages' terms (plus the rare lists whose Rice parameter moved), not all lists.
        expect(kw.postings.listsMeasured - measured).toBeLessThan(kw.postings.termCount / 10);
      }
    }
    within("after all changes");
    kw.compact();
    within("after compaction");
  });
});

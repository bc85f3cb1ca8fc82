import { Document } from "@langchain/core/documents";
import type { LeannError } from "@leann/core";
import { HashEmbedder, leannErrorOf, topicPassages } from "@leann/testing";
import { expect } from "vitest";

export { tempDir, topicQueries as queries } from "@leann/testing";

/**
 * The kit's bag-of-words embedder with word pairs (the vectors these tests were written
 * against): texts sharing words are similar, and it records every text it embeds.
 */
export const hashEmbedder = (dims = 256): HashEmbedder => new HashEmbedder({ bigrams: true, dims });

/** The kit's seeded topic sentences as LangChain Documents (no ids: the store assigns them). */
export function sentences(n: number, seed = 7): Document[] {
  return topicPassages(n, seed).map((p) => new Document({ pageContent: p.text, metadata: p.metadata }));
}

/** Awaits `p`, and asserts it rejects with a LeannError of this class and code. */
export async function expectLeannError(p: Promise<unknown>, cls: abstract new (...args: never[]) => LeannError, code: string): Promise<LeannError> {
  const err = await leannErrorOf(p);
  expect(err).toBeInstanceOf(cls);
  expect(err.code).toBe(code);
  return err;
}

/** Six short documents over three kinds, for filter and MMR tests. */
export const fruit: () => Document[] = () => [
  new Document({ pageContent: "red apples and green pears in a basket", metadata: { kind: "fruit", color: "red", n: 1 } }),
  new Document({ pageContent: "yellow bananas ripen on the kitchen counter", metadata: { kind: "fruit", color: "yellow", n: 2 } }),
  new Document({ pageContent: "the galaxy telescope saw a distant comet", metadata: { kind: "space", color: "black", n: 3 } }),
  new Document({ pageContent: "planets orbit the star in the solar system", metadata: { kind: "space", color: "black", n: 4 } }),
  new Document({ pageContent: "jazz piano chords and a slow drum rhythm", metadata: { kind: "music", color: "blue", n: 5 } }),
  new Document({ pageContent: "the violin melody rose over the orchestra", metadata: { kind: "music", color: "gold", n: 6 } }),
];

export const ids = (docs: { id?: string | undefined }[]): (string | undefined)[] => docs.map((d) => d.id);

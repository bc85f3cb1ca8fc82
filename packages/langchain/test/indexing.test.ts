/**
 * LangChain's indexing API (`index()` from @langchain/core/indexing) on a LeannVectorStore.
 * @langchain/core 1.4 ships no in-memory RecordManager, so a small one is written here,
 * with the semantics of Python's InMemoryRecordManager.
 */
import { Document } from "@langchain/core/documents";
import { index, RecordManager, type ListKeyOptions, type UpdateOptions } from "@langchain/core/indexing";
import { describe, expect, it } from "vitest";
import { LeannVectorStore } from "../src/index.js";
import { hashEmbedder, ids } from "./helpers.js";

class InMemoryRecordManager extends RecordManager {
  override lc_namespace = ["leann", "test", "record_manager"];
  private records = new Map<string, { updatedAt: number; groupId: string | null }>();
  private clock = 0;

  async createSchema(): Promise<void> {}

  /** A strictly increasing logical clock: two runs within one millisecond stay ordered. */
  async getTime(): Promise<number> {
    return ++this.clock;
  }

  async update(keys: string[], options: UpdateOptions = {}): Promise<void> {
    const now = await this.getTime();
    if (options.timeAtLeast !== undefined && now < options.timeAtLeast) throw new Error("time went backwards");
    keys.forEach((key, i) => this.records.set(key, { updatedAt: now, groupId: options.groupIds?.[i] ?? null }));
  }

  async exists(keys: string[]): Promise<boolean[]> {
    return keys.map((k) => this.records.has(k));
  }

  async listKeys(options: ListKeyOptions = {}): Promise<string[]> {
    const keys = [...this.records]
      .filter(([, r]) => options.before === undefined || r.updatedAt < options.before)
      .filter(([, r]) => options.after === undefined || r.updatedAt > options.after)
      .filter(([, r]) => options.groupIds === undefined || options.groupIds.includes(r.groupId))
      .map(([k]) => k);
    return options.limit === undefined ? keys : keys.slice(0, options.limit);
  }

  async deleteKeys(keys: string[]): Promise<void> {
    for (const k of keys) this.records.delete(k);
  }

  get size(): number {
    return this.records.size;
  }
}

const page = (text: string, source: string) => new Document({ pageContent: text, metadata: { source } });

const docs = [
  page("the comet crossed the orbit of saturn", "space.md"),
  page("a telescope on the mountain saw a nebula", "space.md"),
  page("simmer the tomato sauce with garlic and basil", "cooking.md"),
  page("bake the dough in a hot oven", "cooking.md"),
  page("the striker scored a penalty in the final match", "football.md"),
];

async function everything(store: LeannVectorStore): Promise<Document[]> {
  return store.similaritySearch("comet telescope tomato oven striker storm", 100);
}

describe("LeannVectorStore with LangChain's indexing API", () => {
  it("adds nothing when the same documents are indexed twice", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    const recordManager = new InMemoryRecordManager();
    const first = await index({ docsSource: docs, recordManager, vectorStore: store, options: { cleanup: "full" } });
    expect(first).toEqual({ numAdded: 5, numDeleted: 0, numUpdated: 0, numSkipped: 0 });
    const second = await index({ docsSource: docs, recordManager, vectorStore: store, options: { cleanup: "full" } });
    expect(second).toEqual({ numAdded: 0, numDeleted: 0, numUpdated: 0, numSkipped: 5 });
    const stored = await everything(store);
    expect(stored).toHaveLength(5);
    // The store's ids are the record manager's keys.
    expect((await recordManager.exists(stored.map((d) => d.id!))).every(Boolean)).toBe(true);
  });

  it("deletes what is gone with cleanup: full", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    const recordManager = new InMemoryRecordManager();
    await index({ docsSource: docs, recordManager, vectorStore: store, options: { cleanup: "full" } });
    const kept = [docs[0]!, docs[2]!, page("a thunderstorm with hail", "weather.md")];
    const result = await index({ docsSource: kept, recordManager, vectorStore: store, options: { cleanup: "full" } });
    expect(result).toEqual({ numAdded: 1, numDeleted: 3, numUpdated: 0, numSkipped: 2 });
    const stored = await everything(store);
    expect(stored.map((d) => d.pageContent).sort()).toEqual(kept.map((d) => d.pageContent).sort());
    expect(recordManager.size).toBe(3);
  });

  it("replaces a changed source's old chunks with cleanup: incremental", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    const recordManager = new InMemoryRecordManager();
    const options = { cleanup: "incremental" as const, sourceIdKey: "source" };
    await index({ docsSource: docs, recordManager, vectorStore: store, options });
    const edited = [page("bake the dough in a very hot oven for longer", "cooking.md")];
    const result = await index({ docsSource: edited, recordManager, vectorStore: store, options });
    expect(result).toEqual({ numAdded: 1, numDeleted: 2, numUpdated: 0, numSkipped: 0 });
    const stored = await everything(store);
    expect(stored).toHaveLength(4);
    expect(stored.filter((d) => d.metadata.source === "cooking.md").map((d) => d.pageContent)).toEqual([edited[0]!.pageContent]);
  });

  it("re-adds under the same ids with forceUpdate (upsert, no duplicates)", async () => {
    const store = new LeannVectorStore(hashEmbedder());
    const recordManager = new InMemoryRecordManager();
    await index({ docsSource: docs, recordManager, vectorStore: store });
    const before = ids(await everything(store)).sort();
    const result = await index({ docsSource: docs, recordManager, vectorStore: store, options: { forceUpdate: true } });
    expect(result).toEqual({ numAdded: 0, numDeleted: 0, numUpdated: 5, numSkipped: 0 });
    expect(ids(await everything(store)).sort()).toEqual(before);
  });
});

/**
 * End to end: the same RAG chain (retriever, prompt, chat model) over MemoryVectorStore
 * and over LeannVectorStore, on the same embeddings. LEANN's search is approximate, so
 * the top-k documents must agree within the recall target, not exactly.
 */
import type { DocumentInterface } from "@langchain/core/documents";
import type { EmbeddingsInterface } from "@langchain/core/embeddings";
import { StringOutputParser } from "@langchain/core/output_parsers";
import { ChatPromptTemplate } from "@langchain/core/prompts";
import { RunnablePassthrough, RunnableSequence } from "@langchain/core/runnables";
import { FakeChatModel } from "@langchain/core/utils/testing";
import type { VectorStore } from "@langchain/core/vectorstores";
import { MemoryVectorStore } from "@langchain/classic/vectorstores/memory";
import { describe, expect, it } from "vitest";
import { LeannVectorStore } from "../src/index.js";
import { hashEmbedder, queries, sentences } from "./helpers.js";

const K = 4;
const RECALL_TARGET = 0.9;

const prompt = ChatPromptTemplate.fromMessages([
  ["system", "Answer from the context only.\n\nContext:\n{context}"],
  ["human", "{question}"],
]);

const formatDocs = (docs: DocumentInterface[]) => docs.map((d) => d.pageContent).join("\n");

/** The chain a user already has; only the store differs. Returns the documents and the answer. */
function ragChain(store: VectorStore) {
  const retriever = store.asRetriever(K);
  const answer = RunnableSequence.from([
    (x: { docs: DocumentInterface[]; question: string }) => ({ context: formatDocs(x.docs), question: x.question }),
    prompt,
    new FakeChatModel({}),
    new StringOutputParser(),
  ]);
  return RunnableSequence.from([{ docs: retriever, question: new RunnablePassthrough() }, RunnablePassthrough.assign({ answer })]);
}

describe("a RAG chain on LeannVectorStore", () => {
  it("retrieves the same top-k documents as MemoryVectorStore within the recall target", async () => {
    const docs = sentences(400);
    const embeddings: EmbeddingsInterface = hashEmbedder();
    const memory = await MemoryVectorStore.fromDocuments(docs, embeddings);
    const leann = await LeannVectorStore.fromDocuments(docs, embeddings);
    const memoryChain = ragChain(memory);
    const leannChain = ragChain(leann);

    let found = 0;
    const qs = queries(60);
    for (const question of qs) {
      const want = await memoryChain.invoke(question);
      const got = await leannChain.invoke(question);
      expect(got.docs).toHaveLength(K);
      // The fake chat model echoes its prompt: the retrieved texts reached the model.
      for (const d of got.docs) expect(got.answer).toContain(d.pageContent);
      expect(got.answer).toContain(question);
      const truth = new Set(want.docs.map((d: DocumentInterface) => d.pageContent));
      found += got.docs.filter((d: DocumentInterface) => truth.has(d.pageContent)).length;
    }
    const recall = found / (qs.length * K);
    expect(recall).toBeGreaterThanOrEqual(RECALL_TARGET);
  });

  it("keeps the recall target after the documents arrive in several adds", async () => {
    const docs = sentences(300, 11);
    const embeddings = hashEmbedder();
    const memory = await MemoryVectorStore.fromDocuments(docs, embeddings);
    const leann = new LeannVectorStore(embeddings);
    for (let i = 0; i < docs.length; i += 100) await leann.addDocuments(docs.slice(i, i + 100));
    let found = 0;
    const qs = queries(40, 5);
    for (const q of qs) {
      const truth = new Set((await memory.similaritySearch(q, K)).map((d) => d.pageContent));
      found += (await leann.similaritySearch(q, K)).filter((d) => truth.has(d.pageContent)).length;
    }
    expect(found / (qs.length * K)).toBeGreaterThanOrEqual(RECALL_TARGET);
  });
});

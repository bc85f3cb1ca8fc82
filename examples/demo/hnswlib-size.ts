/**
 * What LangChain's `HNSWLib.save(dir)` (`@langchain/community/vectorstores/hnswlib`) would
 * write for the same passages and vectors: COMPUTED from the file formats, not measured,
 * so the demo needs no native hnswlib-node build. `bench/` measures the real thing
 * (`peers-smoke.ts`, `langchainHnswlib` run); there, at 678 passages of 384 dimensions,
 * hnswlib-node wrote 1,685 bytes a passage, what `hnswlibIndexBytes` gives (1,684.5).
 *
 * `save` writes three files:
 *  - `hnswlib.index`: hnswlib's `saveIndex`. A 96-byte header (6 size_t, 2 int32, 3 size_t,
 *    a double, a size_t); then level 0 for every element: its link list,
 *    (2M + 1) x 4 bytes (a count and up to 2M neighbour ids), its vector, dims x 4 bytes,
 *    and its 8-byte label; then for every element a 4-byte length and its upper-level
 *    links, level x (M + 1) x 4 bytes, where an element's level is geometric with
 *    P(level >= l) = M^-l, so (M + 1) x 4 / (M - 1) bytes an element on average.
 *    LangChain always uses hnswlib-node's defaults, M = 16 (efConstruction 200).
 *  - `docstore.json`: `JSON.stringify([...docstore.entries()])`, i.e. `[["0", {pageContent,
 *    metadata}], ...]`: computed exactly, by serialising the same documents.
 *  - `args.json`: `{"space":"cosine","numDimensions":D}`.
 */

/** hnswlib-node's default M, which LangChain's HNSWLib cannot change. */
export const LANGCHAIN_HNSW_M = 16;
const HEADER_BYTES = 6 * 8 + 2 * 4 + 3 * 8 + 8 + 8;

/** Expected bytes of hnswlib's index file for `n` vectors of `dims` float32 (upper levels: their expectation). */
export function hnswlibIndexBytes(n: number, dims: number, M = LANGCHAIN_HNSW_M): number {
  const level0 = (2 * M + 1) * 4 + dims * 4 + 8;
  const upper = 4 + ((M + 1) * 4) / (M - 1);
  return Math.round(HEADER_BYTES + n * (level0 + upper));
}

export interface HnswlibSave {
  indexFile: number;
  docstoreJson: number;
  argsJson: number;
  total: number;
}

/** The three files of `HNSWLib.save` for these documents (in insertion order) and dimensions. */
export function langchainHnswlibSave(docs: { pageContent: string; metadata: Record<string, unknown> }[], dims: number): HnswlibSave {
  const docstore = JSON.stringify(docs.map((d, i) => [String(i), { pageContent: d.pageContent, metadata: d.metadata }]));
  const indexFile = hnswlibIndexBytes(docs.length, dims);
  const docstoreJson = Buffer.byteLength(docstore);
  const argsJson = Buffer.byteLength(JSON.stringify({ space: "cosine", numDimensions: dims }));
  return { indexFile, docstoreJson, argsJson, total: indexFile + docstoreJson + argsJson };
}

/**
 * The core tests' helpers, now from the shared kit (@leann/testing) under the names
 * these tests already use.
 */
export {
  bruteForceTopK as exactTopK,
  clusteredVectors as clustered,
  fioriVectors,
  recall,
  rows,
  TableEmbedder,
  tempDir,
} from "@leann/testing";

/**
 * @leann/testing: the shared test kit of the LEANN packages (private, never published).
 * Tests import fakes, seeded data and references from here instead of copying them.
 * See README.md for what each part is for.
 */
export { deferred, leannErrorOf, rejectionOf, type Deferred } from "./async.js";
export { fioriVectors, IDENTIFIER_CORPUS, SMALL_CORPUS, smallCorpusParagraphs, TOPIC_NAMES, topicPassages, topicQueries, topicWords, type TestPassage } from "./corpus.js";
export {
  FailingEmbedder,
  GatedEmbedder,
  HashEmbedder,
  PlannedFailure,
  TableEmbedder,
  type FakeEmbedder,
  type GatedCall,
  type HashEmbedderOptions,
} from "./embedders.js";
export { tempDir, tempDirs } from "./files.js";
export { bagOfWordsVector, fnv1a, textSeededVector, words, type BagOfWordsOptions } from "./hashing.js";
export { clusteredVectors, createRng, gaussian, pick, randomInt, randomUnitVectors, rows, type Rng } from "./random.js";
export { bruteForceTopK, recall } from "./reference.js";

import { CorruptIndexError, LeannError } from "../errors.js";
import { decodeIndexFile, encodeIndexFile, indexFileSize, type IndexHeader, type SectionData, type SectionShape } from "../format/index-file.js";
import type { PassageFileIdentity } from "../store/passage-file.js";
import { neighbors, type CompressedGraph } from "../graph/csr.js";
import { LiveGraph } from "../graph/live-graph.js";
import { KeywordIndex } from "../keyword/keyword-index.js";
import { readGiven } from "../build/budget.js";
import { DEFAULTS } from "../options.js";
import { codeSize, type PqCodebook } from "../quantize/pq.js";
import type { Core, IndexParams } from "../state.js";
import { codebookFromInt8, codebookToInt8 } from "../quantize/codebook-int8.js";
import { rotationFromInt8, rotationToInt8 } from "../quantize/rotation-int8.js";
import { decodeHalf, encodeHalf } from "../util/f16.js";

const GENERATOR = "@leann/core 0.1.0";
/** The keyword index's section (keyword/codec.ts describes its bytes). */
export const KEYWORD_SECTION = "keyword";
/** A rotation rounded to int8 rows (quantize/rotation-int8.ts): its bytes, and its rows' float32 scales. */
const ROTATION_INT8 = "pq.rotation8";
const ROTATION_SCALES = "pq.rotation8.scales";

/**
 * Ordinary out-degree assumed for files that do not record the realised one (written
 * before it was recorded); the pruned degree the byte budget gives on typical models.
 */
const UNRECORDED_DEGREE = 8;

/**
 * The index file's chunks for `core` with `graph` (the compressed form of its graph) and
 * the keyword index's encoding (none: the file has no "keyword" section).
 */
export function encodeCore(core: Core, count: number, graph: CompressedGraph, passages?: PassageFileIdentity, keyword?: Uint8Array | null): Uint8Array[] {
  const { header, sections } = coreFile(core, count, graph, passages, keyword);
  return encodeIndexFile(header, sections);
}

const NO_GRAPH: CompressedGraph = { offsets: new Uint32Array(0), data: new Uint8Array(0) };

/**
 * The size `encodeCore` would write (to within a few bytes), without encoding anything
 * large: the graph is given by the bytes of its two sections (LiveGraph.savedBytes).
 */
export function coreFileSize(core: Core, count: number, graph: { offsets: number; data: number }, keyword?: { byteLength: number } | null): number {
  // A save records the passage file's identity; count it at its longest form.
  const { header, sections } = coreFile(core, count, NO_GRAPH, { uid: "0".repeat(32), crc32: 0xffffffff });
  // Same keys in the same order (the keyword section is the last), the graph's and the keyword index's by their
  // sizes alone.
  const shapes: Record<string, SectionData | SectionShape> = { ...sections, "graph.offsets": { type: "u32", byteLength: graph.offsets }, "graph.data": { type: "u8", byteLength: graph.data } };
  if (keyword) shapes[KEYWORD_SECTION] = { type: "u8", byteLength: keyword.byteLength };
  return indexFileSize(header, shapes);
}

/** The header and sections of the index file for `core`: one layout for saving and for sizing. */
function coreFile(
  core: Core,
  count: number,
  graph: CompressedGraph,
  passages?: PassageFileIdentity,
  keyword?: Uint8Array | null,
): { header: Omit<IndexHeader, "sections" | "format" | "version">; sections: Record<string, SectionData> } {
  const c = core;
  const sections: Record<string, SectionData> = {
    "graph.offsets": graph.offsets,
    "graph.data": graph.data,
    seeds: c.seeds,
    "pq.bounds": c.pq.bounds,
    "pq.codes": c.codes,
  };
  if (c.pq.rotation) {
    // Codes of a rotated space under another name: a reader that knows no rotation finds
    // no "pq.centroids" and rejects the file, instead of ranking with unrotated queries.
    // A rotation rounded to int8 rows is stored so; one from an older file keeps its half floats.
    const int8 = c.pq.rotationScales ? rotationToInt8(c.pq.rotation, c.pq.rotationScales, c.pq.dims) : null;
    if (int8) {
      sections[ROTATION_INT8] = int8;
      sections[ROTATION_SCALES] = c.pq.rotationScales!;
    } else sections["pq.rotation"] = encodeHalf(c.pq.rotation);
  }
  // Centroids rounded to int8 are stored so (under a name older readers do not know); older files' half floats stay.
  const codebook = c.pq.rotation ? "opq.centroids" : "pq.centroids";
  const int8Codebook = codebookToInt8(c.pq);
  if (int8Codebook) {
    sections[`${codebook}8`] = int8Codebook;
    sections[`${codebook}8.scales`] = c.pq.centroidScales!;
  } else sections[codebook] = encodeHalf(c.pq.centroids);
  if (c.hubIds.length > 0) {
    sections["hubs.ids"] = c.hubIds;
    sections["hubs.vectors"] = c.hubVectors;
  }
  if (c.storedVectors) sections.vectors = c.storedVectors;
  if (keyword) sections[KEYWORD_SECTION] = keyword;
  const header: Omit<IndexHeader, "sections" | "format" | "version"> = {
    count,
    dims: c.dims,
    metric: c.metric,
    model: c.model,
    params: c.params,
    pq: { subspaces: c.pq.subspaces, bits: c.pq.bits },
    entry: c.entry,
    createdAt: new Date().toISOString(),
    generator: GENERATOR,
    ...(passages ? { passages } : {}),
  };
  return { header, sections };
}

/**
 * Decodes an index file and validates every structure (lengths, ranges, varints) before use.
 * An index with no passages may record dims 0: it was created empty and has not learnt them.
 * The keyword index is null in a file without one (keywordIndex: false, or older files).
 * @throws CorruptIndexError naming the file and what failed
 */
export function decodeCore(file: string, buf: Uint8Array): { core: Core; keyword: KeywordIndex | null; keywordBytes: Uint8Array | null } {
  const { header: h, sections } = decodeIndexFile(file, buf);
  const fail = (what: string): never => {
    throw new CorruptIndexError(file, `${what}. Restore the index or rebuild it.`);
  };
  const n = h.count;
  if (!Number.isSafeInteger(n) || n < 0) fail(`passage count ${n} is invalid`);
  const unlearnt = n === 0 && h.dims === 0;
  if (!Number.isSafeInteger(h.dims) || (h.dims < 1 && !unlearnt)) fail(`dimensions ${h.dims} are invalid`);
  if (!["cosine", "ip", "l2"].includes(h.metric)) fail(`metric ${JSON.stringify(h.metric)} is unknown`);
  const get = <T extends SectionData>(name: string, type: new (...a: never[]) => T, optional = false): T => {
    const s = sections.get(name);
    if (!s) {
      if (optional) return new (type as unknown as new (n: number) => T)(0);
      fail(`section "${name}" is missing`);
    }
    if (!(s instanceof type)) fail(`section "${name}" has the wrong element type`);
    return s as T;
  };
  const offsets = get("graph.offsets", Uint32Array);
  const data = get("graph.data", Uint8Array);
  if (offsets.length !== n + 1 || offsets[0] !== 0 || offsets[n] !== data.length) fail("graph offsets do not match the node count or the data length");
  let maxDegree = 0;
  for (let v = 0; v < n; v++) {
    if (offsets[v + 1]! < offsets[v]!) fail(`graph offsets decrease at node ${v}`);
    maxDegree = Math.max(maxDegree, offsets[v + 1]! - offsets[v]!);
  }
  const seeds = get("seeds", Uint32Array);
  if ((n > 0 && seeds.length === 0) || seeds.some((s) => s >= n)) fail("seed nodes are missing or out of range");
  const bits = h.pq?.bits, subspaces = h.pq?.subspaces;
  if (bits !== 4 && bits !== 8) fail("PQ parameters are invalid");
  // Unlearnt: `subspaces` holds the pqSubspaces option (0 = automatic) for the first add's build.
  if (!Number.isSafeInteger(subspaces) || subspaces < (unlearnt ? 0 : 1) || (!unlearnt && subspaces > h.dims)) fail("PQ parameters are invalid");
  const bounds = get("pq.bounds", Uint32Array);
  const halfRotation = sections.has("pq.rotation");
  const int8Rotation = sections.has(ROTATION_INT8) || sections.has(ROTATION_SCALES);
  if (halfRotation && int8Rotation) fail("the index holds two PQ rotations");
  const rotated = halfRotation || int8Rotation;
  const codebook = rotated ? "opq.centroids" : "pq.centroids";
  const int8Codebook = sections.has(`${codebook}8`) || sections.has(`${codebook}8.scales`);
  if (int8Codebook && sections.has(codebook)) fail("the index holds two PQ codebooks");
  // An int8 codebook is decoded once the bounds that cut it into subspaces are checked (below).
  const centroids = int8Codebook ? new Float32Array(0) : decodeHalf(get(codebook, Uint16Array));
  const codes = get("pq.codes", Uint8Array);
  const pq: PqCodebook = { dims: h.dims, subspaces, bits, bounds, centroids };
  if (halfRotation) {
    const rotation = decodeHalf(get("pq.rotation", Uint16Array));
    if (unlearnt || rotation.length !== h.dims * h.dims || !rotation.every(Number.isFinite)) fail("PQ rotation does not match the dimensions");
    pq.rotation = rotation;
  } else if (int8Rotation) {
    const scales = get(ROTATION_SCALES, Float32Array);
    const rotation = unlearnt ? null : rotationFromInt8(get(ROTATION_INT8, Uint8Array), scales, h.dims);
    if (!rotation) fail("PQ rotation does not match the dimensions or holds invalid values");
    pq.rotation = rotation;
    pq.rotationScales = scales.slice();
  }
  if (unlearnt) {
    if (bounds.length !== 0 || centroids.length !== 0 || int8Codebook || codes.length !== 0) fail("an index without dimensions holds PQ data");
  } else {
    if (bounds.length !== subspaces + 1 || bounds[0] !== 0 || bounds[subspaces] !== h.dims) fail("PQ subspace bounds are invalid");
    for (let s = 0; s < subspaces; s++) if (bounds[s + 1]! <= bounds[s]!) fail("PQ subspace bounds are not increasing");
    if (int8Codebook) {
      const scales = get(`${codebook}8.scales`, Float32Array);
      pq.centroids = codebookFromInt8(get(`${codebook}8`, Uint8Array), scales, bounds, bits) ?? fail("PQ codebook does not match the dimensions or holds invalid values");
      pq.centroidScales = scales.slice();
    }
    if (pq.centroids.length !== h.dims * (1 << bits)) fail("PQ codebook size does not match the dimensions");
    if (codes.length !== n * codeSize(pq)) fail("PQ code table size does not match the passage count");
  }
  const hubIds = get("hubs.ids", Uint32Array, true);
  const hubVectors = get("hubs.vectors", Float32Array, true);
  if (hubVectors.length !== hubIds.length * h.dims || hubIds.some((x) => x >= n)) fail("hub cache section is inconsistent");
  const vectors = sections.get("vectors");
  if (vectors && (!(vectors instanceof Float32Array) || vectors.length !== n * h.dims)) fail("stored vectors do not match the passage count");
  if (!Number.isSafeInteger(h.entry) || h.entry < 0 || (n > 0 && h.entry >= n)) fail("entry point is out of range");
  const graph = { offsets, data };
  // Decode every list once: ids in range, well-formed varints. Also yields in-degrees.
  const inDegree = new Uint32Array(n);
  const scratch = new Uint32Array(Math.max(1, maxDegree));
  let realMax = 0;
  for (let v = 0; v < n; v++) {
    const c = neighbors(graph, v, scratch);
    if (c < 0) fail(`neighbour list of node ${v} is malformed`);
    realMax = Math.max(realMax, c);
    for (let j = 0; j < c; j++) inDegree[scratch[j]!]!++;
  }
  const core: Core = {
    dims: h.dims,
    metric: h.metric,
    model: typeof h.model === "string" ? h.model : null,
    graph: new LiveGraph(graph, realMax),
    seeds,
    entry: h.entry,
    pq,
    codes,
    inDegree,
    storedVectors: (vectors as Float32Array | undefined) ?? null,
    hubIds,
    hubVectors,
    params: readParams(h.params ?? {}, n),
  };
  const keyword = decodeKeyword(file, sections.get(KEYWORD_SECTION), n);
  // The section as read is the keyword index's saved form until it changes (sizes() and the next save reuse it).
  return { core, keyword, keywordBytes: keyword ? (sections.get(KEYWORD_SECTION) as Uint8Array) : null };
}

/**
 * The keyword section, checked against the passages: a save compacts first, so it covers
 * exactly the nodes 0..count-1, all live.
 */
function decodeKeyword(file: string, section: SectionData | undefined, count: number): KeywordIndex | null {
  if (section === undefined) return null;
  const fail = (what: string, cause?: unknown): never => {
    throw new CorruptIndexError(file, `the keyword index section ${what}. Restore the index, or rebuild it.`, cause === undefined ? undefined : { cause });
  };
  if (!(section instanceof Uint8Array)) fail("has the wrong element type");
  let kw: KeywordIndex;
  try {
    kw = KeywordIndex.fromBytes(section as Uint8Array);
  } catch (err) {
    // A language that needs its stemmer is a settings matter, reported as it is.
    if (LeannError.isInstance(err) && err.code !== "CORRUPT_INDEX") throw err;
    return fail(`is damaged (${(err as Error).message})`, err);
  }
  const p = kw.postings;
  if (p.docCapacity !== count || p.documentCount !== count || p.deletedCount !== 0) {
    fail(`covers ${p.documentCount} live passages of ${p.docCapacity}, but the index holds ${count}`);
  }
  return kw;
}

/** The recorded build parameters, typed; a parameter a file lacks takes the value its build had by default. */
function readParams(raw: Record<string, unknown>, count: number): IndexParams {
  const num = (key: keyof IndexParams, fallback: number): number => {
    const v = raw[key];
    return typeof v === "number" && Number.isFinite(v) ? v : fallback;
  };
  return {
    M: num("M", DEFAULTS.M),
    efConstruction: num("efConstruction", DEFAULTS.efConstruction),
    seed: num("seed", DEFAULTS.seed),
    hubShare: num("hubShare", DEFAULTS.hubShare),
    prunedDegree: num("prunedDegree", UNRECORDED_DEGREE),
    prunedDegreeOption: num("prunedDegreeOption", DEFAULTS.prunedDegree),
    storedHubShare: num("storedHubShare", DEFAULTS.storedHubShare),
    pqSample: num("pqSample", DEFAULTS.pqSample),
    pqIterations: num("pqIterations", DEFAULTS.pqIterations),
    trainedOn: num("trainedOn", count),
    hubs: num("hubs", 0),
    averageDegree: num("averageDegree", 0),
    graphBytesPerPassage: num("graphBytesPerPassage", DEFAULTS.graphBytesPerPassage),
    ...budgetParams(raw),
  };
}

/** What a budget recorded (files written before budgets have none of it). */
function budgetParams(raw: Record<string, unknown>): Partial<IndexParams> {
  const out: Partial<IndexParams> = {};
  if (typeof raw.budget === "number" || typeof raw.budget === "string") out.budget = raw.budget;
  if (typeof raw.layout === "string") out.layout = raw.layout;
  if (readGiven(raw.given)) out.given = raw.given as string;
  const mean = raw.scoreErrorMean, sd = raw.scoreErrorSd;
  // Both or neither: a stop rule from half an estimate would be wrong.
  if (typeof mean === "number" && Number.isFinite(mean) && typeof sd === "number" && Number.isFinite(sd) && sd >= 0) {
    out.scoreErrorMean = mean;
    out.scoreErrorSd = sd;
  }
  return out;
}

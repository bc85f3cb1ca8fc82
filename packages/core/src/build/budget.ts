import type { ResolvedBuildOptions } from "../options.js";
import { codebookBytes } from "../quantize/codebook-int8.js";
import { rotationBytes } from "../quantize/rotation-int8.js";
import type { Core } from "../state.js";

/**
 * From one number, the bytes a passage that the index structures may use (graph, codes,
 * stored hub vectors, and the codebooks and rotation shared by all passages), choose the
 * code layout, graph budget and stored hub share. Measured reasons for the weights are in
 * docs/tuning.md; in short: codes decide how many candidates must be recomputed, so they
 * get what the graph does not need; a learnt rotation and 8-bit codes each rank better
 * per byte, but their fixed costs (dims^2 bytes and 256 x dims half floats) only pay off once
 * spread over enough passages.
 */

/** Named budgets, bytes a passage. */
export const BUDGET_PRESETS = { tiny: 64, balanced: 128, fast: 192 } as const;
export type BudgetPreset = keyof typeof BUDGET_PRESETS;

/**
 * The balanced preset spends at most this many bytes a dimension (so 96 B up to 64 dimensions,
 * 128 B from 86). At 64 dimensions and below,
 * 8-bit codes on every dimension (dims bytes) already rank nearly exactly, and the rest only buys
 * graph links: on mixed-potion-64-100k, 96 -> 128 B moved recall@10 from 0.993 to 0.996 at the
 * same 12.8 recomputations, while 600 short passages of 64-d grew past their float32 vectors.
 */
const BALANCED_BYTES_PER_DIMENSION = 1.5;
/** ... and never less than this (the balanced preset before it grew to 128 B). */
const BALANCED_FLOOR = 96;

/** Bytes a passage of a preset for vectors of `dims` dimensions. */
export function presetBytes(preset: BudgetPreset, dims: number): number {
  const bytes = BUDGET_PRESETS[preset];
  return preset === "balanced" ? Math.min(bytes, Math.max(BALANCED_FLOOR, Math.floor(BALANCED_BYTES_PER_DIMENSION * dims))) : bytes;
}

/**
 * The default budget (balanced, when the caller named none) follows the text: the whole folder must stay within
 * 0.8x the raw text (issue 15), and for short passages the passage file (0.407x on faq-100k, block-compressed)
 * and the keyword section (0.163x) leave about 0.23-0.24x of the text's bytes for the index structures. Measured
 * on faq-100k (100k passages of 229 B, potion 64-d, bench/folder-ratio.ts and hybrid-engine.ts): 96 B gave a
 * folder of 0.983x; 51 B 0.778x with hybrid hit@10 0.386; 55 B (this share) 0.796x with hit@10 0.394, as at
 * 96 B. On 100k real 64-d vectors (bench/budget.ts, check queries) recall@10 was 0.940 at 48 B (26.9
 * recomputations), 0.957 at 51 B (25.3) and 0.960 at 56 B (23.0). A budget the caller gave is never scaled.
 */
const TEXT_SHARE = 0.24;
/**
 * Fewer passages keep the preset: there the codebooks and rotation cost too much a passage for a small budget to
 * buy 8-bit rotated codes, and 4-bit codes of ~24 B lost recall@10 (0.69-0.90 on the test suite's collections of
 * a few hundred to a few thousand short passages), while the bytes saved are small in absolute terms.
 */
const MIN_SCALED_PASSAGES = 10_000;
/** A scaled default never goes below this: 16 B of graph and ~24 B of codes still find neighbours (see docs/tuning.md). */
const MIN_SCALED_BUDGET = 40;

/**
 * The bytes a passage of the default budget for passages of `meanTextBytes` bytes of text (UTF-8) on average:
 * `preset` (the balanced preset's bytes for the vectors' width, presetBytes), or TEXT_SHARE of the text when that
 * is smaller (never below MIN_SCALED_BUDGET).
 * Deterministic in its argument; an unknown mean (no passages yet) keeps the preset.
 */
export function scaledDefaultBudget(meanTextBytes: number | undefined, preset: number = BUDGET_PRESETS.balanced): number {
  if (meanTextBytes === undefined || !Number.isFinite(meanTextBytes) || meanTextBytes <= 0) return preset;
  return Math.min(preset, Math.max(MIN_SCALED_BUDGET, Math.floor(TEXT_SHARE * meanTextBytes)));
}

/** Mean UTF-8 bytes of the passages' text, or undefined for none. */
export function meanTextBytes(texts: readonly string[]): number | undefined {
  if (texts.length === 0) return undefined;
  let sum = 0;
  for (const t of texts) sum += Buffer.byteLength(t, "utf8");
  return sum / texts.length;
}

/** What a budget chose, recorded in the index's parameters (`params.layout`). */
export interface Layout {
  /** The budget asked for, bytes a passage, and its preset name if it was one. */
  budget: number;
  preset: BudgetPreset | null;
  graphBytesPerPassage: number;
  pqBits: 4 | 8;
  pqSubspaces: number;
  rotate: boolean;
  storedHubShare: number;
  /** Mean text bytes a passage the default budget was scaled down for, or null when it was not scaled. */
  scaledForTextBytes: number | null;
  /** Expected bytes a passage of what was chosen (graph at its budget). */
  expectedBytes: number;
  /** Why, in one line. */
  reason: string;
}

/** Bits of an expert's layout that names subspaces only (as before budgets existed). */
const DEFAULT_BITS = 4;
/** Graph bytes a passage: the pruning's budget at defaults; a small budget pinches it first. */
const GRAPH_BYTES = 20;
const TINY_GRAPH_BYTES = 16;
/**
 * ... but a pinched graph keeps its links as the collection grows: neighbour ids take log2(n) bits, so from this
 * many passages its bytes grow with log2(n), up to GRAPH_BYTES (100k passages: 20 B). At 55 B on faq-100k (100k passages, 64-d), a
 * 16 B graph left 9% of the true top 10 where the walk never met them (recall@10 0.907 on the tuning questions);
 * 20 B (and 4 code bytes fewer) 2.4% (0.970). At 10k passages 16 B loses 0.5% that way.
 */
const TINY_GRAPH_PASSAGES = 10_000;

/** The pinched graph's bytes a passage for n passages (see TINY_GRAPH_PASSAGES). */
function tinyGraphBytes(n: number): number {
  return Math.round(TINY_GRAPH_BYTES * Math.max(1, Math.log2(n) / Math.log2(TINY_GRAPH_PASSAGES)));
}
/** Past what the codes can use, more graph helps the walk meet the right candidates, up to this. */
const MAX_GRAPH_BYTES = 40;
/** Measured gains in ranking per code byte (fiori MiniLM 384-d, candidates needed for recall@10 0.95). */
const ROTATION_GAIN = 1.8;
const EIGHT_BIT_GAIN = 1.5;
/**
 * Fixed costs may take at most this share of the budget. At a quarter, 10k passages of 512-d
 * could not carry a rotation with 8-bit codes under `fast` (78 B of 192 with the rotation in half floats, 53 B
 * in int8 rows): 145 unrotated 8-bit
 * subspaces ranked the true top 10 into the first 12 for 0.940 of them, 94 rotated ones for
 * 0.965-0.980 (sotu-use-512, brute-force code order).
 */
const FIXED_SHARE = 0.5;
/** Fewer code bytes than this rank too poorly to be worth a layout. */
const MIN_CODE_BYTES = 4;
/** Stored hub vectors only when the budget left over pays for this share at least. */
const MIN_HUB_SHARE = 0.005;
const MAX_HUB_SHARE = 0.05;

/** Options the caller gave; `budget` only when named or given as a number (absent: the default, which may scale). */
export type Given = Partial<Pick<ResolvedBuildOptions, "pqBits" | "pqSubspaces" | "graphBytesPerPassage" | "storedHubShare" | "pqRotation" | "budget">>;

/**
 * Bytes a passage of the codebooks and rotation as the file stores them (int8 with a float32 scale a subspace or row,
 * or half floats: codebook-int8.ts, rotation-int8.ts), shared by n passages.
 */
function fixedBytes(bits: 4 | 8, rotate: boolean, dims: number, n: number, subspaces: number): number {
  return (codebookBytes(bits, dims, subspaces) + (rotate ? rotationBytes(dims) : 0)) / Math.max(1, n);
}

/**
 * The fixed bytes a passage and the subspaces the rest of `bytes - graph` buys. The codebook's size depends on the
 * subspaces (their scales; half floats once 8-bit subspaces get one dimension wide), so the int8 form is tried first
 * and the half-float one when the subspaces it buys are too narrow for it.
 */
function fitCodes(bits: 4 | 8, rotate: boolean, dims: number, n: number, room: number, givenSubspaces: number | undefined): { fixed: number; subspaces: number } {
  let fixed = 0, subspaces = 0;
  for (const guess of [Math.floor(dims / 2), dims]) {
    fixed = fixedBytes(bits, rotate, dims, n, givenSubspaces || guess);
    const codeRoom = Math.floor(room - fixed);
    subspaces = Math.max(1, Math.min(dims, givenSubspaces || (bits === 4 ? 2 * codeRoom : codeRoom)));
    if (fixedBytes(bits, rotate, dims, n, subspaces) <= fixed) break;
  }
  // When the int8 guess bought more than dims / 2 subspaces, the half-float codebook's cost may buy fewer than
  // dims / 2 itself, which the int8 codebook would still have paid for: keep whichever is larger and fits.
  const widest = Math.floor(dims / 2);
  if (!givenSubspaces && widest > subspaces) {
    const f = fixedBytes(bits, rotate, dims, n, widest);
    if (f + (bits === 4 ? Math.ceil(widest / 2) : widest) <= room) return { fixed: f, subspaces: widest };
  }
  return { fixed: fixedBytes(bits, rotate, dims, n, subspaces), subspaces };
}

/**
 * The layout for `budget` (bytes or preset) over n passages of `dims` dimensions; options
 * the caller gave (`given`) are kept as they are and the rest is fitted around them. When the
 * budget is the default (balanced, not in `given`), the passages' mean text bytes are known and
 * there are MIN_SCALED_PASSAGES passages or more, the budget shrinks to `scaledDefaultBudget` of
 * them, so short passages keep the folder small.
 */
export function chooseLayout(budget: number | BudgetPreset, n: number, dims: number, given: Given, textBytes?: number): Layout {
  const preset = typeof budget === "string" ? budget : null;
  const named = typeof budget === "string" ? presetBytes(budget, dims) : budget;
  const isDefault = given.budget === undefined && budget === "balanced";
  const shorter = isDefault && scaledDefaultBudget(textBytes, named) < named;
  const bytes = shorter && n >= MIN_SCALED_PASSAGES ? scaledDefaultBudget(textBytes, named) : named;
  const scaledFor = bytes < named && textBytes !== undefined ? Number(textBytes.toFixed(1)) : null;
  let graph = given.graphBytesPerPassage ?? (bytes <= BUDGET_PRESETS.tiny ? Math.min(GRAPH_BYTES, tinyGraphBytes(n)) : GRAPH_BYTES);
  const layoutGiven = given.pqBits !== undefined || given.pqSubspaces !== undefined;
  // An expert's code layout stays exactly as asked: no rotation unless asked for too.
  const rotations = given.pqRotation !== undefined ? [given.pqRotation] : layoutGiven ? [false] : [false, true];
  const bitsChoices: (4 | 8)[] = layoutGiven ? [given.pqBits ?? DEFAULT_BITS] : [4, 8];
  const hubBytesEach = 4 * dims;
  let best: { bits: 4 | 8; rotate: boolean; subspaces: number; quality: number; codeBytes: number } | null = null;
  for (const bits of bitsChoices) {
    for (const rotate of rotations) {
      const { fixed, subspaces } = fitCodes(bits, rotate, dims, n, bytes - graph, given.pqSubspaces);
      if (!layoutGiven && given.pqRotation === undefined && fixed > FIXED_SHARE * bytes && (bits === 8 || rotate)) continue;
      const codeBytes = bits === 4 ? Math.ceil(subspaces / 2) : subspaces;
      if (!layoutGiven && codeBytes < MIN_CODE_BYTES && best) continue;
      const quality = codeBytes * (bits === 8 ? EIGHT_BIT_GAIN : 1) * (rotate ? ROTATION_GAIN : 1) - fixed * 1e-3;
      if (!best || quality > best.quality) best = { bits, rotate, subspaces, quality, codeBytes };
    }
  }
  const chosen = best!;
  const fixed = fixedBytes(chosen.bits, chosen.rotate, dims, n, chosen.subspaces);
  let left = bytes - graph - fixed - chosen.codeBytes;
  // Codes capped by the dimensions leave bytes over: some buy graph links, the rest hub vectors.
  // An expert's layout gets neither: the index is the one those options always built.
  if (layoutGiven) left = 0;
  if (given.graphBytesPerPassage === undefined && left > 0) {
    const more = Math.floor(Math.min(left, MAX_GRAPH_BYTES - graph));
    if (more > 0) {
      graph += more;
      left -= more;
    }
  }
  let hubShare = given.storedHubShare ?? 0;
  // Hub vectors cost 4 x dims bytes each: only a budget meant to buy speed pays for them.
  if (given.storedHubShare === undefined && left > 0 && bytes >= BUDGET_PRESETS.fast) {
    const share = Math.min(MAX_HUB_SHARE, left / hubBytesEach);
    if (share >= MIN_HUB_SHARE) hubShare = Number(share.toFixed(4));
  }
  const expectedBytes = graph + fixed + chosen.codeBytes + hubShare * hubBytesEach;
  const kind = `${chosen.bits}-bit PQ, ${chosen.subspaces} subspaces (${chosen.codeBytes} B)${chosen.rotate ? " after a learnt rotation" : ""}`;
  const why = layoutGiven
    ? "code layout as given"
    : chosen.rotate || chosen.bits === 8
      ? `its fixed cost (${fixed.toFixed(1)} B a passage over ${n} passages) is within half the budget, and it ranks best per byte`
      : `a rotation or 8-bit codebooks would cost more than half the budget over ${n} passages`;
  const asked = scaledFor !== null
    ? `${preset} budget ${named} B a passage scaled to ${bytes} B (${TEXT_SHARE * 100}% of the passages' mean ${Math.round(scaledFor)} B of text, so the folder stays within 0.8x the text; name a budget to keep it)`
    : `${preset ?? "custom"} budget ${bytes} B a passage${shorter ? ` (not scaled to the passages' short text under ${MIN_SCALED_PASSAGES} passages)` : ""}`;
  return {
    budget: bytes,
    preset,
    scaledForTextBytes: scaledFor,
    graphBytesPerPassage: graph,
    pqBits: chosen.bits,
    pqSubspaces: chosen.subspaces,
    rotate: chosen.rotate,
    storedHubShare: hubShare,
    expectedBytes: Number(expectedBytes.toFixed(1)),
    reason: `${asked}: ${kind}, graph ${graph} B${hubShare > 0 ? `, ${(hubShare * 100).toFixed(1)}% hub vectors stored` : ""}; ${why}.`,
  };
}

/** Layout options an index records to rebuild as it was built (params.given), validated. */
export function readGiven(json: unknown): Given | undefined {
  if (typeof json !== "string") return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== "object") return undefined;
  const r = raw as Record<string, unknown>;
  const out: { -readonly [K in keyof Given]: Given[K] } = {};
  if (r.pqBits === 4 || r.pqBits === 8) out.pqBits = r.pqBits;
  if (typeof r.pqSubspaces === "number" && Number.isSafeInteger(r.pqSubspaces) && r.pqSubspaces > 0) out.pqSubspaces = r.pqSubspaces;
  if (typeof r.graphBytesPerPassage === "number" && r.graphBytesPerPassage > 0) out.graphBytesPerPassage = r.graphBytesPerPassage;
  if (typeof r.storedHubShare === "number" && r.storedHubShare >= 0 && r.storedHubShare <= 1) out.storedHubShare = r.storedHubShare;
  if (typeof r.pqRotation === "boolean") out.pqRotation = r.pqRotation;
  if (r.budget === "tiny" || r.budget === "balanced" || r.budget === "fast") out.budget = r.budget;
  else if (typeof r.budget === "number" && r.budget >= 8 && r.budget <= 65_536) out.budget = r.budget;
  return out;
}

/**
 * The layout options a rebuild (LeannIndex.add while the index is small) passes to the
 * build: the budget and the options the caller gave, so the layout is chosen again for
 * the new size; an index from before budgets keeps its realised layout, as it always did.
 * The default budget is recorded as "balanced" but is absent from `given`: it is left out,
 * so the rebuild chooses (and scales) the default again for the new passages. Files from
 * before that distinction named no other preset or number unless the caller did.
 */
export function rebuildLayoutOptions(c: Pick<Core, "pq" | "params">): Record<string, unknown> {
  const p = c.params;
  if (p.budget === undefined) return { graphBytesPerPassage: p.graphBytesPerPassage, pqSubspaces: c.pq.subspaces, pqBits: c.pq.bits, storedHubShare: p.storedHubShare };
  const given = readGiven(p.given) ?? {};
  const budget = given.budget ?? (p.budget === "balanced" ? undefined : p.budget);
  return { ...(budget !== undefined ? { budget } : {}), ...given };
}

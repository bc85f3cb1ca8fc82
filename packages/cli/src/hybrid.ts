/**
 * Hybrid search on the command line: `--alpha`, whether an index has a keyword index, and what each side of a
 * search contributed, for the text report and `--json`.
 */
import { DEFAULTS, type LeannIndex, type SearchResult, type SearchStats } from "@leann/core";
import { CliError, EXIT, usage } from "./exit-codes.js";

/**
 * The value of `--alpha`: a number from 0 to 1.
 * @throws CliError (usage) otherwise
 */
export function parseAlpha(raw: string): number {
  const s = raw.trim();
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : Number.NaN;
  if (n >= 0 && n <= 1) return n;
  throw usage(
    `--alpha must be a number from 0 to 1, received ${JSON.stringify(raw)}.`,
    `It is the dense share of the fused score: 1 = meaning only (dense), 0 = exact words only (keyword), default ${DEFAULTS.alpha}. See docs/tuning.md.`,
  );
}

/**
 * Refuses `--alpha` below 1 on an index without a keyword index, worded for the command line.
 * @throws CliError (usage) then
 */
export async function checkAlpha(index: LeannIndex, name: string, alpha: number | undefined): Promise<void> {
  if (alpha === undefined || alpha === 1 || index.hasKeywordIndex) return;
  throw new CliError(
    EXIT.USAGE,
    "NO_KEYWORD_INDEX",
    `--alpha ${alpha} searches exact words too, but index "${name}" has no keyword index (built with --no-keyword-index, or by an older leann).`,
    `Search it with --alpha 1 (meaning only), or rebuild it with a keyword index: leann build ${name} --force PATH...`,
  );
}

/** What the keyword side and the fusion did, for `--json` (null for a dense-only search). */
export function hybridJson(s: SearchStats) {
  return {
    alpha: s.alpha,
    keyword: s.keyword ? { termsMatched: s.keyword.termsMatched, matched: s.keyword.matched, candidates: s.keyword.candidates, ms: round(s.keyword.ms) } : null,
    fused: s.fused ?? null,
  };
}

/**
 * One line on how the hits came to be: which sides ran and what each brought. `asked` is the --alpha given
 * (undefined: the default), so a dense-only search of an index without keywords says why.
 */
export function hybridLine(r: SearchResult, asked: number | undefined): string {
  const s = r.stats;
  if (s.alpha === 1) {
    return asked === 1 ? "Dense only (--alpha 1)." : "Dense only: this index has no keyword index (rebuild it without --no-keyword-index to match exact words too).";
  }
  const kw = s.keyword;
  const words = kw ? `${kw.termsMatched} query ${kw.termsMatched === 1 ? "word" : "words"} found in ${kw.matched} passages` : "";
  if (s.alpha === 0) return `Keyword only (--alpha 0): ${words}; no embeddings computed.`;
  const f = s.fused;
  const from = f ? `; hits from both sides ${f.both}, dense only ${f.fromDense}, keyword only ${f.fromKeyword}` : "";
  return `Hybrid (alpha ${s.alpha}${asked === undefined ? ", the default" : ""}): ${words}${from}.`;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

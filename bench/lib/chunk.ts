/**
 * A small recursive character splitter that chunks text the way LangChain users do with
 * `RecursiveCharacterTextSplitter` (chunkSize 1000, chunkOverlap 100 by default), without the dependency.
 *
 * Algorithm (same as LangChain's `_splitText` + `mergeSplits`): pick the first separator level present in
 * the text, split on it, greedily merge consecutive pieces into chunks of at most `chunkSize` characters,
 * carrying the last pieces of a chunk (up to `chunkOverlap` characters) into the next one; a piece that is
 * itself longer than `chunkSize` is split again with the next, finer level.
 *
 * Levels: paragraphs (blank line), lines, sentences (after . ! ? and closing quotes, punctuation kept with its
 * sentence), words (whitespace), characters. Lengths are JavaScript string lengths (UTF-16 code units).
 */

export interface SplitLevel {
  /** Short name, recorded in dataset metadata. */
  readonly name: string;
  /** Splits text into pieces; a level "applies" when it yields more than one piece. */
  readonly split: (text: string) => string[];
  /** Joins pieces of this level back together when merging. */
  readonly joiner: string;
}

export interface ChunkOptions {
  chunkSize?: number;
  chunkOverlap?: number;
  levels?: readonly SplitLevel[];
}

export const PARAGRAPHS: SplitLevel = { name: "paragraph (\\n\\s*\\n)", split: (t) => t.split(/\n[ \t]*\n/), joiner: "\n\n" };
export const LINES: SplitLevel = { name: "line (\\n)", split: (t) => t.split("\n"), joiner: "\n" };
export const SENTENCES: SplitLevel = {
  name: "sentence (after [.!?] + optional closing quote/bracket, then whitespace)",
  split: (t) => t.split(/(?<=[.!?][\"'\u2019\u201d)\]]*)\s+/),
  joiner: " ",
};
export const WORDS: SplitLevel = { name: "word (whitespace)", split: (t) => t.split(/\s+/), joiner: " " };
export const CHARACTERS: SplitLevel = { name: "character", split: (t) => Array.from(t), joiner: "" };

export const DEFAULT_LEVELS: readonly SplitLevel[] = [PARAGRAPHS, LINES, SENTENCES, WORDS, CHARACTERS];
export const DEFAULT_CHUNK_SIZE = 1000;
export const DEFAULT_CHUNK_OVERLAP = 100;

/** A description of the splitter settings, for dataset metadata. */
export function describeChunking(opts: ChunkOptions = {}): Record<string, unknown> {
  return {
    splitter: "bench/lib/chunk.ts (RecursiveCharacterTextSplitter-like)",
    chunkSize: opts.chunkSize ?? DEFAULT_CHUNK_SIZE,
    chunkOverlap: opts.chunkOverlap ?? DEFAULT_CHUNK_OVERLAP,
    lengthFunction: "string length (UTF-16 code units)",
    levels: (opts.levels ?? DEFAULT_LEVELS).map((l) => l.name),
  };
}

function nonEmpty(pieces: string[]): string[] {
  return pieces.filter((p) => p.trim() !== "");
}

/** Merges small pieces into chunks of at most chunkSize characters with up to chunkOverlap characters carried over. */
function mergeSplits(splits: string[], joiner: string, chunkSize: number, chunkOverlap: number): string[] {
  const out: string[] = [];
  const current: string[] = [];
  let total = 0;
  const sep = joiner.length;
  const emit = (): void => {
    const text = current.join(joiner).trim();
    if (text !== "") out.push(text);
  };
  for (const piece of splits) {
    const len = piece.length;
    if (total + len + (current.length > 0 ? sep : 0) > chunkSize && current.length > 0) {
      emit();
      // Drop pieces from the front until what is left fits the overlap and leaves room for the next piece.
      while (total > chunkOverlap || (total > 0 && total + len + (current.length > 0 ? sep : 0) > chunkSize)) {
        total -= current[0]!.length + (current.length > 1 ? sep : 0);
        current.shift();
      }
    }
    current.push(piece);
    total += len + (current.length > 1 ? sep : 0);
  }
  emit();
  return out;
}

function splitRecursive(text: string, levels: readonly SplitLevel[], chunkSize: number, chunkOverlap: number): string[] {
  let levelIndex = levels.length - 1;
  let pieces: string[] = [text];
  for (let i = 0; i < levels.length; i++) {
    const p = nonEmpty(levels[i]!.split(text));
    if (p.length > 1 || i === levels.length - 1) {
      levelIndex = i;
      pieces = p;
      break;
    }
  }
  const level = levels[levelIndex]!;
  const finer = levels.slice(levelIndex + 1);
  const out: string[] = [];
  let good: string[] = [];
  for (const piece of pieces) {
    if (piece.length <= chunkSize) {
      good.push(piece);
      continue;
    }
    if (good.length > 0) {
      out.push(...mergeSplits(good, level.joiner, chunkSize, chunkOverlap));
      good = [];
    }
    if (finer.length === 0) out.push(piece);
    else out.push(...splitRecursive(piece, finer, chunkSize, chunkOverlap));
  }
  if (good.length > 0) out.push(...mergeSplits(good, level.joiner, chunkSize, chunkOverlap));
  return out;
}

/** Splits one text into chunks of at most `chunkSize` characters (default 1000) with ~`chunkOverlap` (100) overlap. */
export function chunkText(text: string, opts: ChunkOptions = {}): string[] {
  const chunkSize = opts.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const chunkOverlap = opts.chunkOverlap ?? DEFAULT_CHUNK_OVERLAP;
  if (chunkOverlap >= chunkSize) throw new Error(`chunkOverlap (${chunkOverlap}) must be smaller than chunkSize (${chunkSize})`);
  const normalized = text.replace(/\r\n?/g, "\n").trim();
  if (normalized === "") return [];
  return splitRecursive(normalized, opts.levels ?? DEFAULT_LEVELS, chunkSize, chunkOverlap);
}

/** The first sentence of a text (sentences are added until the result has at least minChars), capped at maxChars on a word boundary. */
export function firstSentence(text: string, minChars = 40, maxChars = 300): string {
  const sentences = nonEmpty(SENTENCES.split(text.trim()));
  let out = "";
  for (const s of sentences) {
    out = out === "" ? s : `${out} ${s}`;
    if (out.length >= minChars) break;
  }
  if (out.length > maxChars) {
    const cut = out.lastIndexOf(" ", maxChars);
    out = out.slice(0, cut > minChars ? cut : maxChars);
  }
  return out;
}

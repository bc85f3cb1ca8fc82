/**
 * Loads a Hugging Face `tokenizer.json` with `@huggingface/tokenizers` and
 * derives what the embedders need once, so the per-text path is one `encode`
 * call: the special tokens the post-processor puts around a single sequence,
 * a flag per special id, and the padding id.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { ModelLoadError, ModelNotFoundError } from "./errors.js";

export interface LoadedTokenizer {
  readonly tokenizer: Tokenizer;
  /** One more than the largest id the tokenizer can produce. */
  readonly vocabSize: number;
  /** 1 for ids of special tokens ([CLS], [PAD], [UNK], ...), 0 otherwise. */
  readonly special: Uint8Array;
  /** Ids the post-processor puts before and after a single sequence (e.g. [CLS] and [SEP]). */
  readonly prefix: readonly number[];
  readonly suffix: readonly number[];
  readonly padId: number;
  /** The `model_max_length` of tokenizer_config.json or the `truncation.max_length` of tokenizer.json, when given. */
  readonly maxLength: number | undefined;
  /** Token ids of `text` without special tokens. */
  encode(text: string): number[];
}

async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ModelLoadError(`cannot read ${path} (${what}): ${(err as Error).message}`, { cause: err, file: path });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelLoadError(
      `${path} (${what}) is not valid JSON: ${(err as Error).message}. The file is corrupt or incomplete: delete it and download the model again.`,
      { cause: err, file: path },
    );
  }
}

/** Reads an optional JSON file of a model folder; undefined when absent. */
export async function readOptionalJson(dir: string, name: string): Promise<Record<string, unknown> | undefined> {
  const v = await readJsonFile(join(dir, name), name);
  if (v === undefined) return undefined;
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ModelLoadError(`${join(dir, name)} should hold a JSON object, found ${Array.isArray(v) ? "an array" : typeof v}.`, {
      file: join(dir, name),
    });
  }
  return v as Record<string, unknown>;
}

/** Finds `inner` inside `outer`; -1 when absent. */
function indexOfRun(outer: readonly number[], inner: readonly number[]): number {
  outer: for (let i = 0; i + inner.length <= outer.length; i++) {
    for (let j = 0; j < inner.length; j++) if (outer[i + j] !== inner[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Loads `tokenizer.json` (and `tokenizer_config.json` when present) from a model folder.
 * @throws {ModelNotFoundError} when the folder has no tokenizer.json.
 * @throws {ModelLoadError} when the file is not a tokenizer the library can read.
 */
export async function loadTokenizer(dir: string): Promise<LoadedTokenizer> {
  const path = join(dir, "tokenizer.json");
  const json = await readJsonFile(path, "tokenizer");
  if (json === undefined) {
    throw new ModelNotFoundError(
      `${dir} has no tokenizer.json. A model folder needs the Hugging Face fast-tokenizer file; ` +
        `export it with \`AutoTokenizer.from_pretrained(...).save_pretrained(dir)\` or download the model again.`,
    );
  }
  const config = (await readOptionalJson(dir, "tokenizer_config.json")) ?? {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json as object, config);
  } catch (err) {
    throw new ModelLoadError(
      `${path} cannot be loaded as a tokenizer: ${(err as Error).message}. Expected a Hugging Face tokenizer.json (WordPiece, BPE or Unigram).`,
      { cause: err, file: path },
    );
  }

  let vocabSize = tokenizer.model?.vocab.length ?? 0;
  const added = tokenizer.get_added_tokens_decoder();
  for (const id of added.keys()) vocabSize = Math.max(vocabSize, id + 1);
  if (vocabSize === 0) throw new ModelLoadError(`${path} has an empty vocabulary.`, { file: path });
  const special = new Uint8Array(vocabSize);
  for (const [id, tok] of added) if (tok.special) special[id] = 1;
  const unk = tokenizer.model?.unk_token_id;
  if (unk !== undefined && unk >= 0 && unk < vocabSize) special[unk] = 1;

  // The post-processor's layout for one sequence, found by encoding a probe both ways.
  const probe = "hello world";
  let prefix: number[] = [];
  let suffix: number[] = [];
  try {
    const inner = tokenizer.encode(probe, { add_special_tokens: false }).ids;
    const full = tokenizer.encode(probe, { add_special_tokens: true }).ids;
    const at = indexOfRun(full, inner);
    if (at < 0) throw new Error(`the encoding with special tokens (${full.join(",")}) does not contain the plain one (${inner.join(",")})`);
    prefix = full.slice(0, at);
    suffix = full.slice(at + inner.length);
  } catch (err) {
    throw new ModelLoadError(`${path}: cannot work out the tokenizer's special tokens: ${(err as Error).message}.`, { cause: err, file: path });
  }

  const j = json as { padding?: { pad_id?: unknown } | null; truncation?: { max_length?: unknown } | null };
  let padId = typeof j.padding?.pad_id === "number" ? j.padding.pad_id : undefined;
  if (padId === undefined) {
    const padToken = typeof config["pad_token"] === "string" ? config["pad_token"] : "[PAD]";
    padId = tokenizer.token_to_id(padToken) ?? tokenizer.token_to_id("<pad>") ?? 0;
  }
  const cfgMax = config["model_max_length"];
  let maxLength: number | undefined =
    typeof cfgMax === "number" && Number.isSafeInteger(cfgMax) && cfgMax > 0 && cfgMax < 1_000_000 ? cfgMax : undefined;
  const truncMax = j.truncation?.max_length;
  if (typeof truncMax === "number" && truncMax > 0) maxLength = Math.min(maxLength ?? truncMax, truncMax);

  const plain = (text: string): number[] => tokenizer.encode(text, { add_special_tokens: false }).ids;
  return {
    tokenizer,
    vocabSize,
    special,
    prefix,
    suffix,
    padId,
    maxLength,
    encode: splitsOnWhitespace(json, config) ? wordCachedEncoder(plain) : plain,
  };
}

/** Words kept by the per-tokenizer cache; cleared when full. Natural text is Zipfian, so hit rates stay high. */
const WORD_CACHE_LIMIT = 100_000;

const SAFE_NORMALIZERS = new Set(["BertNormalizer", "Lowercase", "NFD", "NFKD", "NFC", "NFKC", "StripAccents", "Strip"]);
const SAFE_PRE_TOKENIZERS = new Set(["BertPreTokenizer", "Whitespace", "WhitespaceSplit", "Punctuation", "Digits"]);

function allOf(node: unknown, key: "normalizers" | "pretokenizers", safe: Set<string>): boolean {
  if (node === null || node === undefined) return true;
  const n = node as { type?: unknown; [k: string]: unknown };
  if (n.type === "Sequence") return Array.isArray(n[key]) && (n[key] as unknown[]).every((c) => allOf(c, key, safe));
  return typeof n.type === "string" && safe.has(n.type);
}

/**
 * True when the tokenizer encodes "a b" as encode("a") + encode("b") for ASCII
 * spaces, tabs and newlines: character-wise normalizers, pre-tokenizers that split
 * on whitespace, WordPiece, and no added token that strips or contains whitespace.
 * BERT-family tokenizers (and Model2Vec's) are of this kind; byte-level BPE and
 * SentencePiece (which fold the space into the next token) are not.
 */
function splitsOnWhitespace(json: unknown, config: Record<string, unknown>): boolean {
  const j = json as { normalizer?: unknown; pre_tokenizer?: unknown; model?: { type?: unknown }; added_tokens?: unknown };
  if (j.model?.type !== "WordPiece") return false;
  if (config["remove_space"] || config["do_lowercase_and_remove_accent"]) return false;
  if (!allOf(j.normalizer, "normalizers", SAFE_NORMALIZERS) || !allOf(j.pre_tokenizer, "pretokenizers", SAFE_PRE_TOKENIZERS)) return false;
  const added = Array.isArray(j.added_tokens) ? (j.added_tokens as Array<{ content?: unknown; lstrip?: unknown; rstrip?: unknown }>) : [];
  return added.every((t) => !t.lstrip && !t.rstrip && typeof t.content === "string" && !/[ \t\n\r]/.test(t.content));
}

/**
 * Encodes text word by word through a cache. Splitting only on the four ASCII
 * whitespace characters that every allowed normalizer keeps as whitespace makes
 * the result identical to encoding the whole text (tested against the library on
 * mixed-script text), at a fraction of the cost once words repeat.
 */
function wordCachedEncoder(plain: (text: string) => number[]): (text: string) => number[] {
  const cache = new Map<string, readonly number[]>();
  return (text) => {
    const out: number[] = [];
    let start = -1;
    const n = text.length;
    for (let i = 0; i <= n; i++) {
      const c = i < n ? text.charCodeAt(i) : 32;
      if (c === 32 || c === 9 || c === 10 || c === 13) {
        if (start >= 0) {
          const word = text.slice(start, i);
          let ids = cache.get(word);
          if (ids === undefined) {
            ids = plain(word);
            if (cache.size >= WORD_CACHE_LIMIT) cache.clear();
            cache.set(word, ids);
          }
          for (let k = 0; k < ids.length; k++) out.push(ids[k]!);
          start = -1;
        }
      } else if (start < 0) start = i;
    }
    return out;
  };
}

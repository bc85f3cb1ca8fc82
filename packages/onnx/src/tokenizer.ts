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

  return {
    tokenizer,
    vocabSize,
    special,
    prefix,
    suffix,
    padId,
    maxLength,
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
  };
}

/**
 * The errors this package adds to `@leann/core`'s hierarchy. Each one carries a
 * stable `code` and a message that says what went wrong, what was expected and
 * how to fix it. Errors of the core (`InvalidInputError`, `InvalidOptionsError`,
 * `EmbedderError`) are used as they are.
 */
import { InvalidInputError, LeannError } from "@leann/core";

/** No model at the given folder, nor in the cache, and the hub could not provide it. */
export class ModelNotFoundError extends LeannError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("MODEL_NOT_FOUND", message, options);
  }
}

/** A model's files exist but cannot be used: corrupt, truncated, or of an unsupported layout. */
export class ModelLoadError extends LeannError {
  /** The file at fault, when one is. */
  readonly file: string | undefined;
  constructor(message: string, options?: { cause?: unknown; file?: string }) {
    super("MODEL_LOAD_FAILED", message, options);
    this.file = options?.file;
  }
}

/** The optional peer that runs ONNX encoders. */
export const ONNXRUNTIME_PACKAGE = "onnxruntime-node";

/**
 * An ONNX encoder was asked for and `onnxruntime-node`, an optional peer dependency of
 * this package, is not installed (static models, the default included, never need it).
 */
export class OnnxRuntimeMissingError extends ModelLoadError {
  /** The command that installs it. */
  readonly install: string;
  constructor(detail: string, options?: { cause?: unknown }) {
    const install = `npm install ${ONNXRUNTIME_PACKAGE}`;
    super(
      `the model is an ONNX encoder, which runs on ${ONNXRUNTIME_PACKAGE}, and it cannot be loaded (${detail}). ` +
        `Install it beside @leann/onnx with \`${install}\` (or pnpm add / yarn add; its CPU binaries ship in the package, ` +
        `so set onnxruntime-node-install=skip in .npmrc when offline), or use a static model such as the default.`,
      options,
    );
    this.install = install;
  }
}

/** The tokenizer produces ids the model has no row or embedding for. */
export class TokenizerMismatchError extends ModelLoadError {}

/** A file could not be fetched from the hub, or what arrived failed its checksum. */
export class DownloadError extends LeannError {
  readonly url: string;
  /** HTTP status, when the hub answered. */
  readonly status: number | undefined;
  constructor(url: string, message: string, options?: { cause?: unknown; status?: number }) {
    super("DOWNLOAD_FAILED", message, options);
    this.url = url;
    this.status = options?.status;
  }
}

/** A text has more tokens than the model reads, and `truncation` is `"error"`. */
export class TextTooLongError extends InvalidInputError {
  readonly index: number;
  readonly tokens: number;
  readonly maxLength: number;
  constructor(index: number, tokens: number, maxLength: number) {
    super(
      `text ${index} has ${tokens} tokens; the model reads at most ${maxLength}. ` +
        `Split long passages into chunks before embedding, or pass truncation: "truncate" (or "warn") to cut them.`,
    );
    this.index = index;
    this.tokens = tokens;
    this.maxLength = maxLength;
  }
}

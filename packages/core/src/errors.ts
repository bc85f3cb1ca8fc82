/**
 * One error hierarchy for the whole library. Every error carries a stable `code`
 * (for programs) and a message that says what went wrong, what was expected,
 * what was received and how to fix it (for people).
 *
 * Errors are branded with a global symbol so `LeannError.isInstance(e)` works
 * even when two copies of the package are installed side by side.
 */

export type LeannErrorCode =
  | "INVALID_OPTIONS"
  | "INVALID_INPUT"
  | "EMPTY_INDEX"
  | "DIMENSION_MISMATCH"
  | "MODEL_MISMATCH"
  | "CORRUPT_INDEX"
  | "INDEX_NOT_FOUND"
  | "EMBEDDER_FAILED"
  | "DUPLICATE_ID"
  | "NOT_FOUND"
  | "LOCKED"
  | "UNSUPPORTED"
  | "MODEL_NOT_FOUND"
  | "MODEL_LOAD_FAILED"
  | "DOWNLOAD_FAILED"
  | "CONNECTION_FAILED"
  | "CLOSED"
  | "STORAGE"
  | "CONCURRENT_WRITE"
  | "ABORTED";

const BRAND = Symbol.for("leann.error");

export class LeannError extends Error {
  readonly code: LeannErrorCode;
  readonly [BRAND] = true;

  constructor(code: LeannErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }

  /** True for any LeannError, from this copy of the package or another. */
  static isInstance(value: unknown): value is LeannError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** Options or arguments that do not satisfy the documented schema. */
export class InvalidOptionsError extends LeannError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_OPTIONS", message, options);
  }
}

/** Passages, vectors, queries or ids that cannot be indexed or searched as given. */
export class InvalidInputError extends LeannError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_INPUT", message, options);
  }
}

/** The same id given twice in one call. */
export class DuplicateIdError extends LeannError {
  constructor(message: string) {
    super("DUPLICATE_ID", message);
  }
}

/** A vector whose length differs from the index's dimensions. */
export class DimensionMismatchError extends LeannError {
  readonly expected: number;
  readonly received: number;
  constructor(expected: number, received: number, where: string) {
    super(
      "DIMENSION_MISMATCH",
      `${where}: expected vectors of ${expected} dimensions, received ${received}. ` +
        `Use the same embedding model the index was built with (or rebuild the index with the new model).`,
    );
    this.expected = expected;
    this.received = received;
  }
}

/** The embedder's identity differs from the one recorded when the index was built. */
export class ModelMismatchError extends LeannError {
  constructor(message: string) {
    super("MODEL_MISMATCH", message);
  }
}

/** A file of the index is missing, truncated, altered or not an index file at all. */
export class CorruptIndexError extends LeannError {
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super("CORRUPT_INDEX", `${file}: ${message}`, options);
    this.file = file;
  }
}

/** No index exists at the given location. */
export class IndexNotFoundError extends LeannError {
  constructor(message: string) {
    super("INDEX_NOT_FOUND", message);
  }
}

/** The embedder threw, timed out or returned something unusable. */
export class EmbedderError extends LeannError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("EMBEDDER_FAILED", message, options);
  }
}

/** A feature or mode this store does not offer. */
export class UnsupportedError extends LeannError {
  constructor(message: string) {
    super("UNSUPPORTED", message);
  }
}

/** The index was closed with close(). */
export class ClosedError extends LeannError {
  constructor(message: string) {
    super("CLOSED", message);
  }
}

/** Another writer holds the index directory (or another process holds a lock file of it). */
export class LockedError extends LeannError {
  /** The process that holds the lock, when its lock file says. */
  readonly holder: { pid: number; host: string; since: string } | undefined;
  constructor(message: string, holder?: { pid: number; host: string; since: string }) {
    super("LOCKED", message);
    this.holder = holder;
  }
}

const STORAGE_HINTS: Record<string, string> = {
  ENOSPC: "the disk is full; free space and try again",
  EDQUOT: "the disk quota is exhausted; free space and try again",
  EROFS: "the file system is read-only; save to a writable directory",
  EACCES: "permission denied; check the directory's owner and mode",
  EPERM: "the operation is not permitted; check the directory's owner and mode",
  EMFILE: "too many open files; close other indexes or raise the limit (ulimit -n)",
  ENFILE: "too many open files on the system; try again later",
  EIO: "the device reported an I/O error; check the disk",
  ENOTDIR: "a path component is not a directory",
  EISDIR: "the path is a directory, expected a file",
  ENAMETOOLONG: "the path is too long",
};

/**
 * The file system refused an operation (full disk, read-only, permissions, I/O error).
 * Keeps the Node error as `cause`, its errno code as `errno` and the path. The index on disk
 * is left as it was before the operation (the last committed generation).
 */
export class StorageError extends LeannError {
  readonly path: string;
  readonly errno: string | undefined;
  constructor(path: string, operation: string, cause: unknown) {
    const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
    const hint = (errno && STORAGE_HINTS[errno]) ?? (cause as Error | undefined)?.message ?? String(cause);
    super("STORAGE", `Could not ${operation} ${path}${errno ? ` (${errno})` : ""}: ${hint}. The index on disk still holds its last saved state.`, { cause });
    this.path = path;
    this.errno = errno;
  }
}

/**
 * An embedder call did not answer within the time limit (option `embedTimeoutMs`). An
 * EmbedderError with its code (EMBEDDER_FAILED), so code that handles embedder failures
 * handles this one; the class, `call` and `timeoutMs` tell it apart.
 */
export class EmbedderTimeoutError extends EmbedderError {
  /** The call that timed out, e.g. "LocalEmbeddings.embedDocuments". */
  readonly call: string;
  readonly timeoutMs: number;
  constructor(call: string, timeoutMs: number) {
    super(
      `${call} did not answer within ${timeoutMs} ms (option embedTimeoutMs). The model may be hung, overloaded or unreachable; ` +
        `check it, or raise embedTimeoutMs (0 turns the limit off) if it is just slow.`,
    );
    this.call = call;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A save would overwrite changes another writer saved to the same directory after this
 * index was loaded from it (or last saved to it).
 */
export class ConcurrentWriteError extends LeannError {
  readonly dir: string;
  constructor(dir: string, message: string) {
    super("CONCURRENT_WRITE", message);
    this.dir = dir;
  }
}

/**
 * The caller's AbortSignal (option `signal`) aborted the operation. It stopped at a safe
 * point: nothing was written and no index was changed. `phase` names the step it stopped
 * in (a build's "embed", "graph", "prune" or "quantize"); `cause` is the signal's reason.
 */
export class AbortedError extends LeannError {
  readonly phase: string;
  constructor(operation: string, phase: string, reason?: unknown) {
    super("ABORTED", `${operation} was aborted by its signal in the ${phase} step; nothing was written. Run it again to redo the work.`, { cause: reason });
    this.phase = phase;
  }
}

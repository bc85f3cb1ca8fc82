/**
 * Exit codes scripts can rely on. They are part of the public contract: a code's
 * meaning never changes; new failure kinds get new codes.
 */
import { LeannError } from "@leann/core";

export const EXIT = {
  /** Success. */
  OK: 0,
  /** Bad command line: unknown command or flag, missing argument, invalid value. */
  USAGE: 1,
  /** Something named does not exist: the index, an input path, the passages to delete. */
  NOT_FOUND: 2,
  /** The index or the operation failed: corrupt files, a model that does not match the index, an embedder error. */
  FAILED: 3,
  /** The embedding model cannot be found or loaded (no folder, not cached, hub unreachable and no fallback). */
  MODEL: 4,
  /** The LLM server (Ollama) does not answer or refuses the request. */
  UNAVAILABLE: 5,
  /** The target is in a state that forbids the operation: the index already exists, or another process holds its lock. */
  CONFLICT: 6,
  /** Interrupted (Ctrl-C); an interrupted build resumes when run again. */
  INTERRUPTED: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports itself: a stable code for `--json`, an exit code, and an optional hint line. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly code: string;
  readonly hint: string | undefined;
  constructor(exitCode: ExitCode, code: string, message: string, hint?: string) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
    this.code = code;
    this.hint = hint;
  }
}

export const usage = (message: string, hint?: string) => new CliError(EXIT.USAGE, "USAGE", message, hint);

/** What an error means for the exit status, and the code reported in `--json`. */
export function classify(err: unknown): { exitCode: ExitCode; code: string; message: string; hint: string | undefined } {
  if (err instanceof CliError) return { exitCode: err.exitCode, code: err.code, message: err.message, hint: err.hint };
  if (LeannError.isInstance(err)) {
    const byCode: Partial<Record<string, ExitCode>> = {
      INVALID_OPTIONS: EXIT.USAGE,
      INDEX_NOT_FOUND: EXIT.NOT_FOUND,
      NOT_FOUND: EXIT.NOT_FOUND,
      MODEL_NOT_FOUND: EXIT.MODEL,
      MODEL_LOAD_FAILED: EXIT.MODEL,
      DOWNLOAD_FAILED: EXIT.MODEL,
      CONNECTION_FAILED: EXIT.UNAVAILABLE,
      LOCKED: EXIT.CONFLICT,
      // Another writer saved the index since it was loaded: a conflict, like the lock.
      CONCURRENT_WRITE: EXIT.CONFLICT,
      // The caller's signal stopped the work (Ctrl-C): the interrupted command's status.
      ABORTED: EXIT.INTERRUPTED,
    };
    return { exitCode: byCode[err.code] ?? EXIT.FAILED, code: err.code, message: err.message, hint: undefined };
  }
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code === "ENOENT") return { exitCode: EXIT.NOT_FOUND, code: "NOT_FOUND", message: e.message, hint: undefined };
  if (e?.code === "EACCES" || e?.code === "EPERM") return { exitCode: EXIT.FAILED, code: "PERMISSION_DENIED", message: e.message, hint: undefined };
  return { exitCode: EXIT.FAILED, code: "INTERNAL", message: e?.stack ?? String(err), hint: "This looks like a bug in leann; please report it with the command you ran." };
}

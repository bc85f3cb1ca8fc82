/** What every command gets: the streams, the environment, and the common flags. */
import { relative, sep } from "node:path";
import { Progress, type TextSink } from "./progress.js";

export interface CliIO {
  stdout: TextSink;
  stderr: TextSink;
  /** Questions for `leann ask` without a question argument. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborts long work (an interrupted build keeps its checkpoint). */
  signal?: AbortSignal;
}

export interface Ctx {
  io: CliIO;
  home: string;
  json: boolean;
  quiet: boolean;
  /** A line of the human report, on stdout (nothing in --json mode). */
  out(line?: string): void;
  /** A line of commentary, on stderr (nothing with --quiet). */
  note(line: string): void;
  /** The one JSON document of a --json command, on stdout. */
  emit(value: unknown): void;
  /** A progress bar on stderr: drawn only on a terminal and without --quiet. */
  progress(unit?: string): Progress;
  /** A path as shown to the user: relative to the working directory when inside it. */
  show(path: string): string;
}

export function makeCtx(io: CliIO, home: string, json: boolean, quiet: boolean): Ctx {
  return {
    io,
    home,
    json,
    quiet,
    out: (line = "") => {
      if (!json) io.stdout.write(line + "\n");
    },
    note: (line) => {
      if (!quiet) io.stderr.write(line + "\n");
    },
    emit: (value) => {
      io.stdout.write(JSON.stringify(value, null, 2) + "\n");
    },
    progress: (unit = "") => new Progress(io.stderr, !quiet && io.stderr.isTTY === true, unit),
    show: (path) => {
      const rel = relative(io.cwd, path);
      return rel && !rel.startsWith("..") && !rel.startsWith(sep) ? rel : path;
    },
  };
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(n: number): string {
  let v = n, u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${UNITS[u]}`;
}

export const num = (n: number) => n.toLocaleString("en-US");

export function table(rows: string[][], align: ("l" | "r")[] = []): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length)));
  return rows.map((r) => r.map((cell, c) => (align[c] === "r" ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join("  ").trimEnd());
}

/**
 * The `leann` executable's link to its process: standard streams that a closed pipe
 * cannot crash, and Ctrl-C as an AbortSignal.
 *
 * `leann search ... | head -1` closes the pipe while leann still writes: Node then emits
 * EPIPE as an 'error' event, which kills the process with a stack trace when nobody
 * listens. Here a stream that failed is marked closed and later writes to it are
 * dropped: the command ends its work normally and exits with its own code.
 */
import type { CliIO } from "./context.js";
import type { TextSink } from "./progress.js";

type GuardedSink = TextSink & { readonly closed: boolean };
/** One guard per stream, however often main() runs in a process: one 'error' listener each. */
const guards = new WeakMap<NodeJS.WriteStream, GuardedSink>();

/** A sink over a process stream that drops writes once the stream has failed (EPIPE, EIO). */
export function guardedSink(stream: NodeJS.WriteStream): GuardedSink {
  const known = guards.get(stream);
  if (known) return known;
  let closed = false;
  stream.on("error", () => {
    closed = true;
  });
  const sink: GuardedSink = {
    write(chunk: string) {
      if (closed || stream.destroyed) return true;
      return stream.write(chunk);
    },
    get isTTY() {
      return stream.isTTY === true;
    },
    get columns() {
      return stream.columns;
    },
    get closed() {
      return closed;
    },
  };
  guards.set(stream, sink);
  return sink;
}

/**
 * The process's streams, environment and an interrupt signal: the first SIGINT aborts
 * the signal (the command stops at its next safe point), a second one exits at once.
 */
export function processIO(): { io: CliIO; interrupt: AbortController } {
  const interrupt = new AbortController();
  const stderr = guardedSink(process.stderr);
  process.on("SIGINT", () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
    stderr.write("\nleann: stopping at the next safe point (Ctrl-C again to quit now)...\n");
  });
  return {
    io: { stdout: guardedSink(process.stdout), stderr, stdin: process.stdin, env: process.env, cwd: process.cwd(), signal: interrupt.signal },
    interrupt,
  };
}

#!/usr/bin/env node
/**
 * The `leann` executable. Ctrl-C asks the running command to stop at its next safe point
 * (an interrupted build keeps its checkpoint and resumes); a second Ctrl-C exits at once.
 * Output to a closed pipe is dropped quietly (see process-io.ts).
 */
import { main } from "./cli.js";
import { processIO } from "./process-io.js";

const { io, interrupt } = processIO();

void main(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
  // Work abandoned at the interrupt (an embedding batch in flight) must not hold the exit.
  if (interrupt.signal.aborted) process.exit(code);
});

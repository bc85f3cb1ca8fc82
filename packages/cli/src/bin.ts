#!/usr/bin/env node
/**
 * The `leann` executable. Ctrl-C asks the running command to stop at its next safe point
 * (an interrupted build keeps its checkpoint and resumes); a second Ctrl-C exits at once.
 */
import { main } from "./cli.js";

const controller = new AbortController();
process.on("SIGINT", () => {
  if (controller.signal.aborted) process.exit(130);
  controller.abort();
  process.stderr.write("\nleann: stopping at the next safe point (Ctrl-C again to quit now)...\n");
});

void main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
}).then((code) => {
  process.exitCode = code;
});

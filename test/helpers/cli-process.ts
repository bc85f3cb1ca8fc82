/**
 * The `leann` executable run from source as a real child process, for the tests that need
 * one (signals, locks between processes, closed pipes). Children a failed test leaves
 * running are killed after each test: none may outlive the suite.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const BIN = join(ROOT, "packages/cli/src/bin.ts");
/** A preload that slows the model and can hold a phase until a file appears (test-only). */
export const SLOW_MODEL = join(ROOT, "test/fixtures/test-only-slow-model.ts");

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export type CliChild = ChildProcess & { exit: Promise<Exit>; output: () => { stdout: string; stderr: string } };

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  children.clear();
});

/** Spawns `leann ARGS` (cwd: the repository, so `tsx` resolves; give absolute paths in `args`). */
export function spawnCli(args: string[], opts: { env: Record<string, string>; preload?: boolean; uid?: number }): CliChild {
  const nodeArgs = ["--conditions=leann-source", "--import", "tsx", ...(opts.preload ? ["--import", SLOW_MODEL] : []), BIN, ...args];
  const child = spawn(process.execPath, nodeArgs, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  });
  children.add(child);
  let stdout = "", stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<Exit>((res) => child.on("close", (code, signal) => res({ code, signal, stdout, stderr })));
  return Object.assign(child, { exit, output: () => ({ stdout, stderr }) });
}

/** Resolves when the child's stderr has printed a line matching `pattern` (rejects if it exits first). */
export function stderrLine(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((res, rej) => {
    let text = "";
    const onData = (d: Buffer) => {
      text += d.toString();
      if (pattern.test(text)) {
        child.stderr!.off("data", onData);
        res();
      }
    };
    child.stderr!.on("data", onData);
    child.once("close", () => rej(new Error(`exited before printing ${pattern}: ${text}`)));
  });
}

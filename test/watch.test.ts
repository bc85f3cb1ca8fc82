/**
 * `leann watch` end to end: the CLI runs from source in a child process on a real small
 * index (potion-base-2M, shipped in packages/onnx/models); files appear, change, move and vanish, and
 * the test waits on the lines the watcher prints (never on the clock) before searching.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileURLToPath, pathToFileURL } from "node:url";
import { main } from "../packages/cli/src/index.js";
import { EMBEDDED_MODEL_DIR } from "../packages/onnx/src/embedded.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The shipped default model (potion-base-2M inside @leann/onnx), as a folder: the repository alone is enough. */
const MODEL = EMBEDDED_MODEL_DIR;

let dir: string;
let docs: string;
let env: Record<string, string>;

const sink = () => ({ text: "", write(s: string) { this.text += s; return true; } });

async function leann(args: string[]) {
  const out = sink(), err = sink();
  const code = await main(args, { stdout: out, stderr: err, env, cwd: dir });
  return { code, stdout: out.text, stderr: err.text };
}

async function searchSources(query: string, k = 50): Promise<string[]> {
  const r = await leann(["search", "notes", query, "--k", String(k), "--json"]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout).hits as { source: string }[]).map((h) => h.source);
}

/** The watcher's stdout, line by line, with a promise for the next line matching a pattern. */
class Lines {
  private readonly seen: string[] = [];
  private buffer = "";
  private readonly waiters: { re: RegExp; from: number; resolve: (line: string) => void }[] = [];

  constructor(child: ChildProcess) {
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf("\n")) >= 0) {
        this.seen.push(this.buffer.slice(0, nl));
        this.buffer = this.buffer.slice(nl + 1);
      }
      this.check();
    });
  }

  get count(): number {
    return this.seen.length;
  }

  /** The first line from index `from` on that matches. */
  next(re: RegExp, from = this.count): Promise<string> {
    return new Promise((resolve) => {
      this.waiters.push({ re, from, resolve });
      this.check();
    });
  }

  private check(): void {
    for (const w of [...this.waiters]) {
      const line = this.seen.slice(w.from).find((l) => w.re.test(l));
      if (line !== undefined) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  }
}

interface Watcher {
  child: ChildProcess;
  lines: Lines;
  exited: Promise<number | null>;
}

/** Starts `leann watch notes` from source and resolves once it prints that it is watching. */
async function startWatcher(): Promise<Watcher> {
  const child = spawn(process.execPath, ["--conditions=leann-source", "--import", pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href, join(ROOT, "packages/cli/src/bin.ts"), "watch", "notes", "--debounce", "150"], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => void (stderr += c.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const lines = new Lines(child);
  await Promise.race([lines.next(/Watching "notes"/, 0), exited.then((c) => Promise.reject(new Error(`watch exited early (${c}): ${stderr}`)))]);
  return { child, lines, exited };
}

let child: ChildProcess;
let lines: Lines;
let exited: Promise<number | null>;
const spawned: ChildProcess[] = [];

beforeAll(async () => {
  if (!existsSync(join(MODEL, "tokenizer.json"))) throw new Error(`The watch tests need the model folder ${MODEL} (shipped in packages/onnx/models; these tests must not be skipped).`);
  dir = mkdtempSync(join(tmpdir(), "leann-watch-"));
  docs = join(dir, "docs");
  mkdirSync(join(docs, "sub"), { recursive: true });
  writeFileSync(join(docs, "billing.txt"), "The billing database moves from MySQL to PostgreSQL in the spring.\n");
  writeFileSync(join(docs, "sub", "keys.md"), "# Keys\n\nRotate the API keys every ninety days.\n");
  env = { LEANN_HOME: join(dir, "home"), HOME: dir, HF_HUB_OFFLINE: "1", LEANN_MODEL: MODEL };
  const built = await leann(["build", "notes", docs, "--quiet"]);
  if (built.code !== 0) throw new Error(`fixture build failed (${built.code}): ${built.stderr}`);

  ({ child, lines, exited } = await startWatcher());
  spawned.push(child);
}, 120_000);

afterAll(async () => {
  for (const c of spawned) if (c.exitCode === null) c.kill("SIGKILL");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("leann watch", () => {
  it("makes a new file searchable when it appears", async () => {
    const synced = lines.next(/synced "notes": \+1 file new/);
    writeFileSync(join(docs, "sub", "espresso.md"), "Descale the espresso machine boiler every month with citric acid.\n");
    await synced;
    const top = await searchSources("how do I descale the espresso machine?", 1);
    expect(top).toEqual([join(docs, "sub", "espresso.md")]);
  }, 60_000);

  it("re-indexes a changed file and follows a rename", async () => {
    const changed = lines.next(/~1 file changed/);
    writeFileSync(join(docs, "billing.txt"), "The billing database moves to CockroachDB next winter, after the audit.\n");
    await changed;
    expect(await searchSources("which database will billing use?", 1)).toEqual([join(docs, "billing.txt")]);

    const renamed = lines.next(/\+1 file new.*-1 file removed/);
    renameSync(join(docs, "billing.txt"), join(docs, "billing-plan.txt"));
    await renamed;
    const sources = await searchSources("billing database CockroachDB");
    expect(sources).toContain(join(docs, "billing-plan.txt"));
    expect(sources).not.toContain(join(docs, "billing.txt"));
  }, 60_000);

  it("drops a file's passages when the file is deleted", async () => {
    const removed = lines.next(/-1 file removed/);
    rmSync(join(docs, "sub", "keys.md"));
    await removed;
    const sources = await searchSources("rotate the API keys");
    expect(sources).not.toContain(join(docs, "sub", "keys.md"));
    const info = JSON.parse((await leann(["info", "notes", "--json"])).stdout);
    expect(info.files).toBe(2);
  }, 60_000);

  it("refuses a second watcher on the same index", async () => {
    const second = await leann(["watch", "notes", "--json"]);
    expect(second.code).toBe(6);
    expect(JSON.parse(second.stdout).error.code).toBe("LOCKED");
  });

  it("stops cleanly on Ctrl-C and releases the index", async () => {
    const stopped = lines.next(/Stopped watching "notes" after \d+ syncs?/);
    child.kill("SIGINT");
    await stopped;
    expect(await exited).toBe(0);
    expect(existsSync(join(dir, "home", "notes", "watch.lock"))).toBe(false);
  }, 60_000);

  it("catches up on start, taking over the lock of a watcher that was killed", async () => {
    const killed = await startWatcher();
    spawned.push(killed.child);
    killed.child.kill("SIGKILL");
    await killed.exited;
    expect(existsSync(join(dir, "home", "notes", "watch.lock"))).toBe(true);
    writeFileSync(join(docs, "offline.md"), "Written while no watcher ran: the tide tables for the harbour.\n");
    const next = await startWatcher();
    spawned.push(next.child);
    // The catch-up sync is printed before the watcher says it is watching.
    expect(await next.lines.next(/synced "notes": \+1 file new/, 0)).toBeTruthy();
    expect(await searchSources("tide tables for the harbour", 1)).toEqual([join(docs, "offline.md")]);
    next.child.kill("SIGINT");
    expect(await next.exited).toBe(0);
  }, 120_000);
});

/**
 * The notebook's steps, run as the plain script (always, in CI too), a check that
 * notebook.ipynb holds exactly the cells of that script, and the notebook itself executed
 * by Jupyter's nbconvert with the tslab kernel where both are installed (see README.md for
 * why CI does not install them).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cellsOf, generate } from "./make-notebook.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const CHUNKS = 150;

interface Summary {
  model: string;
  dimensions: number;
  passages: number;
  hits: number;
  recomputed: number;
  storage: { what: string; bytes: number }[];
  memory: string[];
  leann: string[];
  same: number;
}

function checkSummary(outDir: string): Summary {
  const s = JSON.parse(readFileSync(join(outDir, "results.json"), "utf8")) as Summary;
  expect(s.model).toBe("minishlab/potion-base-2M"); // the default, shipped inside @leann/onnx
  expect(s.passages).toBe(CHUNKS);
  expect(s.hits).toBe(3);
  expect(s.recomputed).toBeGreaterThan(0);
  const bytes = Object.fromEntries(s.storage.map((r) => [r.what, r.bytes]));
  expect(bytes["LEANN index (graph + PQ)"]).toBeLessThan(bytes["float32 embeddings"]!);
  expect(bytes["LEANN on disk (with text)"]).toBeLessThan(bytes["HNSWLib.save (computed)"]!);
  // The chain on LeannVectorStore retrieves what it retrieves on MemoryVectorStore.
  expect(s.memory).toHaveLength(3);
  expect(s.same).toBeGreaterThanOrEqual(2);
  const svg = readFileSync(join(outDir, "storage.svg"), "utf8");
  expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(svg.match(/<rect x=/g)).toHaveLength(s.storage.length);
  expect(svg).toContain("HNSWLib.save (computed)");
  return s;
}

let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), "leann-notebook-"));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

const env = (dir: string) => ({ ...process.env, LEANN_MODEL_DIR: undefined, NOTEBOOK_OUT: dir, NOTEBOOK_CHUNKS: String(CHUNKS) });

describe("examples/notebook", () => {
  it("runs the notebook's steps as a plain script: builds, searches, tabulates and plots storage, swaps the store into a chain", () => {
    const dir = join(out, "script");
    const r = spawnSync(process.execPath, ["--conditions=leann-source", "--import", "tsx", "notebook.ts"], { cwd: HERE, env: env(dir), encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${CHUNKS} passages from`);
    expect(r.stdout).toContain("HNSWLib.save (computed)");
    expect(r.stdout).toContain(`chart: ${join(dir, "storage.svg")}`);
    checkSummary(dir);
  });

  it("keeps notebook.ipynb generated from notebook.ts (same cells, same order)", () => {
    const committed = readFileSync(join(HERE, "notebook.ipynb"), "utf8");
    expect(committed, "notebook.ipynb is stale: run `pnpm --filter leann-example-notebook notebook`").toBe(generate());
    const cells = cellsOf(readFileSync(join(HERE, "notebook.ts"), "utf8"));
    expect(cells.filter((c) => c.type === "markdown").length).toBeGreaterThanOrEqual(6);
    expect(JSON.parse(committed).metadata.kernelspec.name).toBe("tslab");
  });

  // Jupyter (Debian: python3-nbconvert python3-nbclient python3-jupyter-client) and a
  // tslab kernel (npm: tslab, then `tslab install`) are not part of the project's install.
  const jupyter = findJupyterWithTslab();
  it.skipIf(!jupyter)(`executes notebook.ipynb with nbconvert and the tslab kernel${jupyter ? "" : " (skipped: no Jupyter with a tslab kernel on this machine)"}`, () => {
    // The kernel imports the built packages (as a user's notebook does): build them when missing.
    if (["core", "onnx", "langchain"].some((pkg) => !existsSync(join(ROOT, "packages", pkg, "dist", "index.cjs")))) {
      const pnpm = process.env.npm_execpath?.includes("pnpm") ? [process.execPath, process.env.npm_execpath] : ["npx", "--yes", "pnpm@10"];
      const b = spawnSync(pnpm[0]!, [...pnpm.slice(1), "build"], { cwd: ROOT, encoding: "utf8", timeout: 170_000 });
      expect(b.status, `pnpm build failed:\n${b.stdout}\n${b.stderr}`).toBe(0);
    }
    const dir = join(out, "notebook");
    const executed = join(out, "executed.ipynb");
    const r = spawnSync(jupyter!, ["-m", "nbconvert", "--to", "notebook", "--execute", "notebook.ipynb", "--output", executed, "--ExecutePreprocessor.timeout=120"], {
      cwd: HERE,
      env: env(dir),
      encoding: "utf8",
      timeout: 150_000,
    });
    expect(r.status, r.stderr).toBe(0);
    checkSummary(dir);
    const nb = JSON.parse(readFileSync(executed, "utf8")) as { cells: { cell_type: string; outputs?: { output_type: string; data?: Record<string, unknown> }[] }[] };
    const outputs = nb.cells.flatMap((c) => c.outputs ?? []);
    expect(outputs.some((o) => o.output_type === "error")).toBe(false);
    // The plot is shown inline (tslab's display.html).
    expect(outputs.some((o) => o.output_type === "display_data" && String(o.data?.["text/html"] ?? "").includes("<svg"))).toBe(true);
  }, 360_000);
});

/** A Python that runs nbconvert and knows a "tslab" kernel, or undefined. */
function findJupyterWithTslab(): string | undefined {
  const probe = "import nbconvert, nbclient; from jupyter_client.kernelspec import KernelSpecManager; assert 'tslab' in KernelSpecManager().find_kernel_specs()";
  for (const python of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(python, ["-c", probe], { encoding: "utf8", timeout: 20_000 });
    if (r.status === 0) return python;
  }
  return undefined;
}

/**
 * Generates notebook.ipynb from notebook.ts, so the notebook and the script CI runs are
 * the same steps: `// %%` starts a code cell, `// %% [markdown]` a Markdown cell whose
 * `// ` comment lines become its text. The kernel is tslab (TypeScript).
 *
 *   pnpm --filter leann-example-notebook notebook
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));

export interface Cell {
  type: "code" | "markdown";
  source: string;
}

export function cellsOf(script: string): Cell[] {
  const cells: Cell[] = [];
  let cur: { type: Cell["type"]; lines: string[] } | undefined;
  const flush = () => {
    if (!cur) return;
    const lines = cur.lines.map((l) => (cur!.type === "markdown" ? l.replace(/^\/\/ ?/, "") : l));
    while (lines.length && !lines[0]!.trim()) lines.shift();
    while (lines.length && !lines.at(-1)!.trim()) lines.pop();
    if (lines.length) cells.push({ type: cur.type, source: lines.join("\n") });
  };
  for (const line of script.split("\n")) {
    const marker = /^\/\/ %%(.*)$/.exec(line);
    if (marker) {
      flush();
      cur = { type: marker[1]!.trim() === "[markdown]" ? "markdown" : "code", lines: [] };
    } else (cur ??= { type: "code", lines: [] }).lines.push(line);
  }
  flush();
  return cells;
}

/** nbformat 4.5 JSON, with stable cell ids and no outputs. */
export function notebookJson(cells: Cell[]): string {
  const split = (s: string) => s.split("\n").map((l, i, all) => (i < all.length - 1 ? `${l}\n` : l));
  const nb = {
    cells: cells.map((c, i) =>
      c.type === "markdown"
        ? { cell_type: "markdown", id: `cell-${i}`, metadata: {}, source: split(c.source) }
        : { cell_type: "code", execution_count: null, id: `cell-${i}`, metadata: {}, outputs: [], source: split(c.source) },
    ),
    metadata: {
      kernelspec: { display_name: "TypeScript", language: "typescript", name: "tslab" },
      language_info: { codemirror_mode: { mode: "typescript", name: "javascript", typescript: true }, file_extension: ".ts", mimetype: "text/typescript", name: "typescript" },
    },
    nbformat: 4,
    nbformat_minor: 5,
  };
  return JSON.stringify(nb, null, 1) + "\n";
}

export function generate(): string {
  return notebookJson(cellsOf(readFileSync(join(HERE, "notebook.ts"), "utf8")));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(join(HERE, "notebook.ipynb"), generate());
  console.log(`wrote ${join(HERE, "notebook.ipynb")}`);
}

/**
 * A small code base where one file defines an identifier and the others talk about what it does in other
 * words: the setting where a search for the identifier must find the definition (hybrid search, issue 15).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The identifier, the file that defines it (relative to the folder) and a question a user would type. */
export const IDENTIFIER = "reorderForLocality";
export const DEFINING_FILE = join("src", "layout.ts");
export const IDENTIFIER_QUESTION = `where is ${IDENTIFIER} defined`;

const FILES: Record<string, string> = {
  [DEFINING_FILE]: `import { breadthFirstOrder, invert, type Graph } from "./graph.js";

export function ${IDENTIFIER}(graph: Graph): Uint32Array {
  return invert(breadthFirstOrder(graph, graph.entry));
}
`,
  [join("src", "graph.ts")]: `/** Where the proximity graph is defined: each node keeps its nearest neighbours, and the order
 * of the nodes in memory decides how close together neighbours are stored. */
export interface Graph { entry: number; neighbours: Uint32Array[] }
export function breadthFirstOrder(graph: Graph, from: number): Uint32Array { return new Uint32Array(graph.neighbours.length).map((_, i) => (i + from) % graph.neighbours.length); }
export function invert(order: Uint32Array): Uint32Array { const out = new Uint32Array(order.length); order.forEach((n, i) => (out[n] = i)); return out; }
`,
  [join("src", "search.ts")]: `/** The search walks the graph from its entry node with a beam of the best candidates found so far.
 * Nodes stored near their neighbours in memory are read faster: locality defines the speed of a walk. */
export const BEAM = 64;
`,
  "design.md": `# Design notes

Memory locality matters. The search reads neighbour lists one after another, so where each node is
stored, and whether its neighbours sit close to it, is defined once when the index is built and
decides how fast every query runs. Renumbering nodes in visiting order keeps neighbours together.
`,
  "notes.txt": `Meeting notes. We agreed to define the locality of the graph layout before the release, and to
measure where the time of a query goes: reading neighbour lists, scoring, or sorting candidates.
`,
};

/** Writes the files under `dir` (created as needed). */
export function writeIdentifierFiles(dir: string): void {
  for (const [path, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/**
 * What the index holds against what leann.json says it holds. The two are written one
 * after the other (index first, then leann.json), so a command that fails or is killed
 * between the writes leaves them disagreeing; `leann add` compares them and repairs the
 * difference instead of trusting leann.json. Pure: ids in, verdict out.
 */
import { chunkId, type FileEntry } from "./home.js";

export interface Disagreement {
  /** Indexed passage ids by file path (ids are `${path}#${chunk}`). */
  readonly idsByFile: ReadonlyMap<string, readonly string[]>;
  /** Files leann.json lists whose passages in the index are not exactly its chunks. */
  readonly mismatched: string[];
  /** Files with passages in the index that leann.json does not list. */
  readonly unrecorded: string[];
}

/** The file a CLI passage id belongs to, or undefined for an id of another shape. */
export function fileOfChunkId(id: string): string | undefined {
  const hash = id.lastIndexOf("#");
  return hash > 0 && /^\d+$/.test(id.slice(hash + 1)) ? id.slice(0, hash) : undefined;
}

/** Compares leann.json's `files` with the ids the index holds. */
export function compareWithIndex(files: Readonly<Record<string, FileEntry>>, ids: Iterable<string>): Disagreement {
  const idsByFile = new Map<string, string[]>();
  for (const id of ids) {
    const f = fileOfChunkId(id);
    if (f === undefined) continue;
    let list = idsByFile.get(f);
    if (!list) idsByFile.set(f, (list = []));
    list.push(id);
  }
  const mismatched: string[] = [];
  for (const [path, entry] of Object.entries(files)) {
    const held = idsByFile.get(path) ?? [];
    const dropped = new Set(entry.dropped ?? []);
    const want = new Set(Array.from({ length: entry.chunks }, (_, i) => i).filter((i) => !dropped.has(i)).map((i) => chunkId(path, i)));
    if (held.length !== want.size || held.some((id) => !want.has(id))) mismatched.push(path);
  }
  const unrecorded = [...idsByFile.keys()].filter((p) => !Object.hasOwn(files, p));
  return { idsByFile, mismatched, unrecorded };
}

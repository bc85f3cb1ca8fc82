import { access, stat } from "node:fs/promises";
import { join } from "node:path";

export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** The first of `names` that exists inside `dir`. */
export async function firstExisting(dir: string, names: readonly string[]): Promise<string | undefined> {
  for (const n of names) if (await exists(join(dir, n))) return n;
  return undefined;
}

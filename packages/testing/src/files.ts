/** Scratch directories for tests that save and load indexes. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh empty directory under the OS temp dir. The caller removes it (see `tempDirs`). */
export function tempDir(prefix = "leann-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A factory of temp dirs that remembers them, for one `afterAll(dirs.cleanup)`:
 * tests that fail half-way still leave nothing behind.
 */
export function tempDirs(prefix = "leann-test-"): { make(): string; cleanup(): void } {
  const made: string[] = [];
  return {
    make() {
      const d = tempDir(prefix);
      made.push(d);
      return d;
    },
    cleanup() {
      for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

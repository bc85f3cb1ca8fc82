/**
 * The model that ships inside this package: potion-base-2M with int8 weights, in
 * `models/potion-base-2M-int8/` beside `src/` and `dist/`. The default model loads
 * from here, so a first run needs no hub, no download and no cache.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Folder name of the shipped copy under the package's `models/`. */
export const EMBEDDED_MODEL_FOLDER = "potion-base-2M-int8";

/**
 * Absolute path of the shipped model folder. `src/*.ts` (tests, `leann-source`) and
 * `dist/index.{js,cjs}` both sit one folder below the package root, so one relative
 * path serves every entry. The CJS build gets `import.meta.url` from tsup's shims.
 */
export const EMBEDDED_MODEL_DIR = join(dirname(dirname(fileURLToPath(import.meta.url))), "models", EMBEDDED_MODEL_FOLDER);

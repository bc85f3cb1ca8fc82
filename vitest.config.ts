import { fileURLToPath } from "node:url";
import { configDefaults, defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/**
 * The suites too slow for the fast tier: end-to-end runs (the CLI as a process, the demo,
 * the examples that build hundreds of passages, the notebook), the crash and fuzz loops,
 * and the big builds (recall on thousands of vectors, worker threads). `pnpm test` runs
 * everything; `pnpm test:fast` (`vitest run --project fast`) runs the rest.
 *
 * The fast project also runs its files without per-file isolation (modules loaded once
 * per worker): importing LangChain, LlamaIndex and onnxruntime again for every file cost
 * more than the tests themselves. A test that leaks global state (a patched global, a
 * `vi.mock`) belongs in its own isolated project or must restore what it changed.
 */
const SLOW = [
  "test/**/*.test.ts",
  "examples/notebook/**/*.test.ts",
  "examples/llamaindex-query/**/*.test.ts",
  "examples/langchain-swap-in/**/*.test.ts",
  // Sets LlamaIndex's global Settings as an app does: isolated so no other file sees them.
  "examples/ollama-chat-llamaindex/**/*.test.ts",
  "packages/core/test/crash.test.ts",
  "packages/core/test/fuzz.test.ts",
  "packages/core/test/search.test.ts",
];
const ALL = ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts"];

// Tests run against the TypeScript sources (no build step needed); the packages' own
// exports point at dist/ for users.
export default defineConfig({
  resolve: {
    alias: {
      "@leann/core": src("core"),
      "@leann/onnx": src("onnx"),
      "@leann/langchain": src("langchain"),
      "@leann/llamaindex": src("llamaindex"),
      "@leann/ollama": src("ollama"),
      "@leann/testing": src("testing"),
      "@leann/openai": src("openai"),
    },
  },
  test: {
    projects: [
      { extends: true, test: { name: "fast", include: ALL, exclude: [...configDefaults.exclude, ...SLOW], isolate: false } },
      { extends: true, test: { name: "slow", include: SLOW } },
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});

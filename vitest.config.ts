import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

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
      "@leann/openai": src("openai"),
    },
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});

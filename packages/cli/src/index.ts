/**
 * @leann/cli: the `leann` command, and its parts for programs: `main(argv, io)` runs a
 * command line in-process; the chunker and file collector are reusable on their own.
 */
export { main, VERSION, type CliIO } from "./cli.js";
export { EXIT, CliError, type ExitCode } from "./exit-codes.js";
export { chunkText, estimateTokens, DEFAULT_CHUNK_TOKENS, DEFAULT_OVERLAP_TOKENS, type Chunk, type ChunkOptions } from "./chunk.js";
export { collectFiles, readSource, TEXT_EXTENSIONS, MAX_FILE_BYTES, type CollectOptions, type Collected, type SourceFile } from "./sources.js";
export { indexHome, type IndexMeta, type FileEntry } from "./home.js";
export { DEFAULT_LLM, DEFAULT_OLLAMA_HOST } from "./commands/ask.js";

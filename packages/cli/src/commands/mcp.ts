/** `leann mcp`: the Model Context Protocol server over stdio (see mcp/server.ts for the tools). */
import { Writable, type Readable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { makeCtx, type Ctx } from "../context.js";
import { usage } from "../exit-codes.js";
import { createLeannMcp } from "../mcp/server.js";
import type { TextSink } from "../progress.js";

/**
 * The transport needs a Writable (it waits for 'drain'); the CLI's io may hand a plain
 * sink (a guard that drops writes once the pipe is closed, or a test's buffer).
 */
function writableOf(sink: TextSink): Writable {
  if (sink instanceof Writable) return sink;
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      sink.write(chunk.toString());
      done();
    },
  });
}

/**
 * Serves MCP on the process's stdin/stdout until the client closes stdin or Ctrl-C.
 * @throws CliError (usage) when there is no stdin to read requests from
 */
export async function mcp(ctx: Ctx, version: string): Promise<void> {
  const { stdin, stdout, stderr } = ctx.io;
  if (!stdin) throw usage("leann mcp needs a standard input to read MCP requests from.", "Start it from an MCP client, e.g. `claude mcp add leann -- leann mcp`.");
  // stdout carries the protocol: everything the commands would print goes to stderr.
  const toolCtx = makeCtx({ ...ctx.io, stdout: stderr }, ctx.home, true, true);
  const { server, close } = createLeannMcp(toolCtx, version);
  const transport = new StdioServerTransport(stdin as Readable, writableOf(stdout));
  const ended = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
    stdin.once("end", resolve);
    stdin.once("close", resolve);
    ctx.io.signal?.addEventListener("abort", () => resolve(), { once: true });
  });
  await server.connect(transport);
  ctx.note(`leann mcp: serving the indexes in ${ctx.home} over stdio (tools: search, list_indexes, index_info).`);
  await ended;
  await server.close();
  await close();
}

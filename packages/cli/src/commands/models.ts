/** `leann models`: every embedding model this leann can use, and the forms of --model it takes. */
import { table, type Ctx } from "../context.js";
import { listModels } from "../embedder.js";

export async function models(ctx: Ctx): Promise<void> {
  const providers = await listModels(ctx.io.env);
  if (ctx.json) {
    ctx.emit({ providers: providers.map((p) => ({ prefix: p.prefix || null, summary: p.summary, models: p.models })) });
    return;
  }
  for (const p of providers) {
    ctx.out(`${p.prefix ? `${p.prefix}:NAME models` : "Local models"}, ${p.summary}:`);
    for (const line of table(p.models.map((m) => [`  ${m.spec}`, m.state, m.note]))) ctx.out(line);
    ctx.out();
  }
  ctx.out("Pass one as --model SPEC to build (or set LEANN_MODEL), with --base-url URL for a served model;");
  ctx.out("search, ask, add, delete, watch and mcp use the index's own model (and a served model's recorded endpoint).");
}

// Mutates saved indexes many times: `npx tsx packages/core/scripts/fuzz.ts [cases] [seed] [--long]`
// (--long: passages long enough for a trained dictionary in the passage file).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fuzzIndex } from "../test/fixtures/fuzz-harness.js";

const cases = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 1);
const t = performance.now();
const report = await fuzzIndex(cases, seed, mkdtempSync(join(tmpdir(), "leann-fuzz-")), {}, process.argv.includes("--long"));
console.log(JSON.stringify({ ...report, failures: report.failures.slice(0, 20), seconds: Number(((performance.now() - t) / 1000).toFixed(1)) }, null, 2));
process.exitCode = report.failures.length ? 1 : 0;

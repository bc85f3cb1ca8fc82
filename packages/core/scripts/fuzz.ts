// Mutates saved indexes many times: `npx tsx packages/core/scripts/fuzz.ts [cases] [seed] [section] [--long]`.
// With a section name (e.g. "keyword"), mutates only that section and re-encodes the file with valid checksums;
// --long: passages long enough for a trained dictionary in the passage file.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fuzzIndex, fuzzSection } from "../test/fixtures/fuzz-harness.js";

const cases = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 1);
const section = process.argv[4];
const t = performance.now();
const work = mkdtempSync(join(tmpdir(), "leann-fuzz-"));
const report = section && section !== "--long" ? await fuzzSection(section, cases, seed, work) : await fuzzIndex(cases, seed, work, {}, process.argv.includes("--long"));
console.log(JSON.stringify({ ...report, failures: report.failures.slice(0, 20), seconds: Number(((performance.now() - t) / 1000).toFixed(1)) }, null, 2));
process.exitCode = report.failures.length ? 1 : 0;

// The hostile-input suite of issue 14, with counts per class and outcome:
//   npx tsx packages/core/scripts/hostile.ts
// Exit code 1 when any case ends other than "ok".
import { CASES } from "../test/hostile/cases.js";
import { formatReport, runHostile } from "../test/hostile/runner.js";

const t = performance.now();
const report = await runHostile(CASES);
console.log(formatReport(report));
console.log(`\n${report.results.length} cases in ${((performance.now() - t) / 1000).toFixed(1)} s`);
process.exitCode = report.results.every((r) => r.outcome === "ok") ? 0 : 1;

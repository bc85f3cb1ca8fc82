// Runs the named hostile cases in order, printing "start <name>" and "result <json>" for
// each, so that the runner can tell a hang or a crash from an answer.
import { join } from "node:path";
import { CASES } from "./cases.js";
import { runCase } from "./runner.js";

const [root, ...names] = process.argv.slice(2);
for (const [i, name] of names.entries()) {
  const c = CASES.find((x) => x.name === name);
  if (!c) throw new Error(`unknown hostile case ${JSON.stringify(name)}`);
  console.log(`start ${name}`);
  const result = await runCase(c, join(root!, `case-${process.pid}-${i}`));
  console.log(`result ${JSON.stringify(result)}`);
}

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LeannError } from "../../src/index.js";
import type { HostileCase } from "./cases.js";

/** How a hostile case ended. "ok" is the only right one. */
export type Outcome = "ok" | "crash" | "hang" | "over-bound allocation" | "untyped error" | "wrong answer" | "data lost";
export const OUTCOMES: Outcome[] = ["ok", "crash", "hang", "over-bound allocation", "untyped error", "wrong answer", "data lost"];

export interface CaseResult {
  name: string;
  cls: string;
  outcome: Outcome;
  detail?: string;
  growthMb?: number;
}

export interface HostileReport {
  results: CaseResult[];
  /** Cases per outcome. */
  counts: Record<Outcome, number>;
  /** Cases per defect class and outcome. */
  byClass: Record<string, Partial<Record<Outcome, number>>>;
}

const DEFAULT_BOUND_MB = 64;

/** Runs one case in this process; growth of the peak resident set is the allocation measured. */
export async function runCase(c: HostileCase, work: string): Promise<CaseResult> {
  mkdirSync(work, { recursive: true });
  const base = { name: c.name, cls: c.cls };
  const peakBefore = process.resourceUsage().maxRSS, rssBefore = process.memoryUsage().rss;
  let outcome: Outcome = "ok", detail: string | undefined;
  try {
    const result = await c.run(work);
    if (c.rejects) (outcome = "wrong answer"), (detail = "accepted without an error");
    else {
      detail = c.check?.(result);
      if (detail) outcome = "wrong answer";
    }
  } catch (err) {
    if (!LeannError.isInstance(err)) (outcome = "untyped error"), (detail = `${(err as Error)?.name}: ${(err as Error)?.message}`);
    else if (!c.rejects?.includes(err.code)) (outcome = "wrong answer"), (detail = `${err.code}: ${err.message}`);
  }
  // Growth beyond both the resident set at the start and the earlier peak.
  const growthMb = Math.max(0, process.resourceUsage().maxRSS * 1024 - Math.max(peakBefore * 1024, rssBefore)) / 1048576;
  if (outcome === "ok" && growthMb > (c.boundMb ?? DEFAULT_BOUND_MB)) (outcome = "over-bound allocation"), (detail = `grew ${growthMb.toFixed(0)} MiB, bound ${c.boundMb ?? DEFAULT_BOUND_MB}`);
  if (outcome === "ok" && c.intact) {
    try {
      detail = await c.intact(work);
    } catch (err) {
      detail = `${(err as Error)?.name}: ${(err as Error)?.message}`;
    }
    if (detail) outcome = "data lost";
  }
  return { ...base, outcome, growthMb: Math.round(growthMb), ...(detail ? { detail } : {}) };
}

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

/**
 * Runs the cases in a child process, one after the other. A case that does not finish
 * within `timeoutMs` is a hang and one that takes the process down is a crash: the child
 * is replaced and goes on with the next case.
 */
export async function runHostile(cases: HostileCase[], timeoutMs = 60_000): Promise<HostileReport> {
  const results: CaseResult[] = [];
  const root = mkdtempSync(join(tmpdir(), "leann-hostile-"));
  let next = 0;
  while (next < cases.length) {
    const names = cases.slice(next).map((c) => c.name);
    await new Promise<void>((resolve) => {
      const p = spawn(process.execPath, ["--import", "tsx", CHILD, root, ...names], { stdio: ["ignore", "pipe", "pipe"] });
      let buf = "", err = "", started: string | undefined, timer: NodeJS.Timeout | undefined, hung = false;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => ((hung = true), p.kill("SIGKILL")), timeoutMs);
      };
      p.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split("\n");
        buf = lines.pop()!;
        for (const l of lines) {
          if (l.startsWith("start ")) (started = l.slice(6)), arm();
          else if (l.startsWith("result ")) {
            results.push(JSON.parse(l.slice(7)) as CaseResult);
            started = undefined;
            next++;
          }
        }
      });
      p.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
      p.on("exit", (code, signal) => {
        clearTimeout(timer);
        if (started !== undefined) {
          const c = cases[next]!;
          results.push({ name: c.name, cls: c.cls, outcome: hung ? "hang" : "crash", detail: hung ? `no answer within ${timeoutMs} ms` : `exit ${code ?? signal}: ${err.trim().split("\n").slice(-3).join(" / ")}` });
          next++;
        } else if (code !== 0 && next < cases.length) {
          // The child failed before starting a case: count the rest as crashes rather than loop.
          for (const c of cases.slice(next)) results.push({ name: c.name, cls: c.cls, outcome: "crash", detail: `runner exit ${code ?? signal}: ${err.trim().slice(-300)}` });
          next = cases.length;
        }
        resolve();
      });
    });
  }
  rmSync(root, { recursive: true, force: true });
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const byClass: HostileReport["byClass"] = {};
  for (const r of results) {
    counts[r.outcome]++;
    const row = (byClass[r.cls] ??= {});
    row[r.outcome] = (row[r.outcome] ?? 0) + 1;
  }
  return { results, counts, byClass };
}

/** The report as a table: one row per defect class, one column per outcome. */
export function formatReport(report: HostileReport): string {
  const head = ["class", ...OUTCOMES];
  const rows = Object.entries(report.byClass).map(([cls, row]) => [cls, ...OUTCOMES.map((o) => String(row[o] ?? 0))]);
  rows.push(["total", ...OUTCOMES.map((o) => String(report.counts[o]))]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const failures = report.results.filter((r) => r.outcome !== "ok").map((r) => `  ${r.outcome}: ${r.cls} / ${r.name}: ${r.detail ?? ""}`);
  return [line(head), ...rows.map(line), ...(failures.length ? ["", ...failures] : [])].join("\n");
}

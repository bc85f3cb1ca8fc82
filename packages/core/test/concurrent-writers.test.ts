import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ConcurrentWriteError, LeannIndex, withWriterLock } from "../src/index.js";
import { HashEmbedder } from "./fixtures/hash-embedder.js";
import { tempDir } from "./helpers.js";

const child = fileURLToPath(new URL("./fixtures/writer-child.ts", import.meta.url));
type Report = { state: string; conflicts?: number; code?: string | null; message?: string };

/** A writer process and its reports, in order; `next(state)` waits for the next report in that state. */
function writer(dir: string, id: string, mode = "") {
  const p: ChildProcess = spawn(process.execPath, ["--import", "tsx", child, dir, id, mode], { stdio: ["ignore", "ignore", "pipe", "ipc"] });
  let err = "";
  p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const reports: Report[] = [];
  const waiting: { state: string; resolve: (r: Report) => void; reject: (e: Error) => void }[] = [];
  p.on("message", (m: Report) => {
    reports.push(m);
    for (const w of waiting.splice(0)) {
      if (m.state === w.state) w.resolve(m);
      else if (m.state === "failed") w.reject(new Error(`writer ${id} failed: ${m.code} ${m.message}`));
      else waiting.push(w);
    }
  });
  p.on("exit", (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`writer ${id} exited (${code}) before "${w.state}": ${err}`));
  });
  return {
    next: (state: string) => new Promise<Report>((resolve, reject) => {
      const seen = reports.find((r) => r.state === state || r.state === "failed");
      if (seen) return seen.state === state ? resolve(seen) : reject(new Error(`writer ${id} failed: ${seen.code} ${seen.message}`));
      waiting.push({ state, resolve, reject });
    }),
    tell: (what: string) => p.send(what),
    exited: new Promise<number | null>((resolve) => p.on("exit", resolve)),
  };
}

async function seed(): Promise<string> {
  const dir = tempDir("leann-writers-");
  const index = await LeannIndex.build(Array.from({ length: 30 }, (_, k) => ({ id: `n${k}`, text: `passage n${k}` })), { embedder: new HashEmbedder() });
  await index.save(dir);
  return dir;
}

describe("concurrent writers", () => {
  it("loses no passage when two processes each load, add and save the same folder", async () => {
    const dir = await seed();
    const a = writer(dir, "from-a"), b = writer(dir, "from-b");
    // Both have loaded the same generation and added their passage before either saves.
    await Promise.all([a.next("ready"), b.next("ready")]);
    a.tell("save");
    expect(await a.next("saved")).toMatchObject({ conflicts: 0 });
    b.tell("save");
    // B's first save finds A's generation: it is refused, B reloads, adds again and saves.
    expect(await b.next("saved")).toMatchObject({ conflicts: 1 });
    await Promise.all([a.exited, b.exited]);
    const index = await LeannIndex.load(dir, { embedder: new HashEmbedder(), probe: false });
    expect(index.size).toBe(32);
    expect(index.has("from-a") && index.has("from-b")).toBe(true);
    await index.close();
  }, 60_000);

  it("keeps a second writer out for the whole command when the first loads with { lock: true }", async () => {
    const dir = await seed();
    const a = writer(dir, "from-a", "lock");
    await a.next("ready");
    // A holds the lock from its load: B cannot even load with the lock.
    const b = writer(dir, "from-b", "lock");
    await expect(b.next("ready")).rejects.toThrow(/failed: LOCKED/);
    a.tell("save");
    await a.next("saved");
    await Promise.all([a.exited, b.exited]);
    expect(existsSync(join(dir, "LOCK"))).toBe(false);
    const index = await LeannIndex.load(dir, { embedder: new HashEmbedder(), probe: false });
    expect(index.size).toBe(31);
    await index.close();
  }, 60_000);

  it("refuses, with a typed error and nothing written, a save over a generation saved since this index was loaded", async () => {
    const dir = await seed();
    const embedder = new HashEmbedder();
    const first = await LeannIndex.load(dir, { embedder, probe: false });
    const second = await LeannIndex.load(dir, { embedder, probe: false });
    await first.add([{ id: "one", text: "one" }]);
    await first.save(dir);
    await second.add([{ id: "two", text: "two" }]);
    const refused = second.save(dir);
    await expect(refused).rejects.toBeInstanceOf(ConcurrentWriteError);
    await expect(refused).rejects.toMatchObject({ code: "CONCURRENT_WRITE", dir });
    await expect(refused).rejects.toThrow(/Load the index again/);
    const now = await LeannIndex.load(dir, { embedder, probe: false });
    expect([now.has("one"), now.has("two")]).toEqual([true, false]);
    // Saving elsewhere (a copy) is not a conflict; the saver keeps its own generation after that.
    await second.save(tempDir());
    await first.add([{ id: "three", text: "three" }]);
    await first.save(dir);
    await Promise.all([first.close(), second.close(), now.close()]);
  });

  it("releases the lock of a locked load that fails, and creates no folder for a missing one", async () => {
    const dir = await seed();
    const other = { model: "another-model", embedDocuments: async (t: string[]) => t.map(() => new Array(16).fill(0.25)) };
    await expect(LeannIndex.load(dir, { embedder: other, probe: false, lock: true })).rejects.toMatchObject({ code: "MODEL_MISMATCH" });
    expect(existsSync(join(dir, "LOCK"))).toBe(false);
    const missing = join(dir, "missing");
    await expect(LeannIndex.load(missing, { embedder: new HashEmbedder(), lock: true })).rejects.toMatchObject({ code: "INDEX_NOT_FOUND" });
    expect(existsSync(missing)).toBe(false);
  });

  it("shares the lock with the saves inside withWriterLock and releases it after a throw", async () => {
    const dir = await seed();
    const embedder = new HashEmbedder();
    await withWriterLock(dir, async () => {
      expect(existsSync(join(dir, "LOCK"))).toBe(true);
      const index = await LeannIndex.load(dir, { embedder, probe: false, lock: true });
      await index.add([{ id: "inside", text: "inside" }]);
      await index.save(dir);
      await index.close();
      // The outer holder still has it.
      expect(existsSync(join(dir, "LOCK"))).toBe(true);
    });
    expect(existsSync(join(dir, "LOCK"))).toBe(false);
    await expect(withWriterLock(dir, () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(existsSync(join(dir, "LOCK"))).toBe(false);
    const index = await LeannIndex.load(dir, { embedder, probe: false });
    expect(index.has("inside")).toBe(true);
    await index.close();
  });
});

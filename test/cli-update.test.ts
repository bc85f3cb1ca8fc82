/** End-to-end tests of the `leann` command (helpers: helpers/cli-workspace.ts). `leann add` and `leann delete`: incremental updates of an index. */
import { mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { leann, makeWorkspace } from "./helpers/cli-workspace.js";

// ---- add / delete ------------------------------------------------------------------------

describe("leann add and delete", () => {
  it("adds new files and re-indexes changed ones incrementally; unchanged files are not re-read", async () => {
    const ws2 = makeWorkspace();
    try {
      expect((await leann(ws2, ["build", "kb", "docs"])).code).toBe(0);
      const before = (await leann(ws2, ["info", "kb", "--json"])).json();
      writeFileSync(join(ws2.docs, "faq.md"), "# FAQ\n\nThe office parrot is named Captain Beaky and likes sunflower seeds.\n");
      writeFileSync(join(ws2.docs, "notes.txt"), "Meeting notes, April.\nWe postponed the database migration to the autumn because of the audit.\n");
      utimesSync(join(ws2.docs, "notes.txt"), new Date(), new Date(Date.now() + 5000));
      const r = await leann(ws2, ["add", "kb", "--json"]);
      expect(r.code).toBe(0);
      const report = r.json();
      expect(report.added.files).toBe(1);
      expect(report.updated.files).toBe(1);
      expect(report.unchanged).toBe(3);
      expect(report.embedded).toBe(report.added.passages + report.updated.passages);
      expect(report.passages).toBe(before.passages + report.added.passages); // notes.txt: one chunk before and after

      const parrot = (await leann(ws2, ["search", "kb", "what is the parrot called", "--k", "1", "--json"])).json();
      expect(parrot.hits[0].text).toContain("Captain Beaky");
      const notes = (await leann(ws2, ["search", "kb", "database migration", "--filter", "source~notes", "--json"])).json();
      expect(notes.hits).toHaveLength(1);
      expect(notes.hits[0].text).toContain("autumn"); // the old March chunk is gone

      const again = await leann(ws2, ["add", "kb"]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("Nothing to add: 5 files unchanged");
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("add with explicit paths records them, --prune drops vanished files, and a missing path exits 2", async () => {
    const ws2 = makeWorkspace();
    try {
      expect((await leann(ws2, ["build", "kb", "docs/guide.md"])).code).toBe(0);
      mkdirSync(join(ws2.dir, "more"));
      writeFileSync(join(ws2.dir, "more", "a.txt"), "Alpha file about lighthouses on rocky coasts.\n");
      writeFileSync(join(ws2.dir, "more", "b.txt"), "Beta file about volcanoes and lava.\n");
      const added = await leann(ws2, ["add", "kb", "more", "--json"]);
      expect(added.json().added.files).toBe(2);
      rmSync(join(ws2.dir, "more", "b.txt"));
      const kept = await leann(ws2, ["add", "kb", "--json"]);
      expect(kept.code).toBe(0);
      expect(kept.json().vanished).toEqual({ files: 1, kept: true, paths: [join(ws2.dir, "more", "b.txt")] });
      expect(kept.stderr).toMatch(/1 indexed file no longer exists; its passages are kept:\n\s+more\/b\.txt\n\s+Drop them with `leann add kb --prune`/);
      const keptText = await leann(ws2, ["add", "kb"]);
      expect(keptText.stdout).toContain("1 vanished kept (--prune drops them)");
      const pruned = await leann(ws2, ["add", "kb", "--prune", "--json"]);
      expect(pruned.code).toBe(0);
      expect(pruned.json().removed.files).toBe(1);
      expect(pruned.json().vanished.files).toBe(0);
      const info = (await leann(ws2, ["info", "kb", "--json"])).json();
      expect(info.files).toBe(2);
      const missing = await leann(ws2, ["add", "kb", "nowhere", "--json"]);
      expect(missing.code).toBe(2);
      expect(missing.json().error.code).toBe("PATH_NOT_FOUND");
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });

  it("deletes a file's passages and passages by id; unknown paths and ids exit 2; emptying exits 1", async () => {
    const ws2 = makeWorkspace();
    try {
      expect((await leann(ws2, ["build", "kb", "docs"])).code).toBe(0);
      const before = (await leann(ws2, ["info", "kb", "--json"])).json();
      const r = await leann(ws2, ["delete", "kb", "docs/manual.pdf", "--json"]);
      expect(r.code).toBe(0);
      expect(r.json()).toMatchObject({ files: 1, deleted: 2, wholeFiles: [join(ws2.docs, "manual.pdf")], partialFiles: [] });
      const text = await leann(ws2, ["delete", "kb", "docs/notes.txt"]);
      expect(text.stdout).toMatch(/^Deleted 1 passages from 1 file \(1 whole\) in "kb"; \d+ passages left\.\n$/);
      const pdf = (await leann(ws2, ["search", "kb", "warranty", "--filter", "ext==pdf", "--json"])).json();
      expect(pdf.hits).toEqual([]);

      const hit = (await leann(ws2, ["search", "kb", "health check endpoint", "--k", "1", "--filter", "source~server.ts", "--json"])).json().hits[0];
      const byId = await leann(ws2, ["delete", "kb", "--id", hit.id, "--json"]);
      expect(byId.code).toBe(0);
      // server.ts is one chunk: deleting it by id empties the file, which is reported and dropped.
      expect(byId.json()).toMatchObject({ deleted: 1, files: 1, wholeFiles: [join(ws2.docs, "src", "server.ts")], partialFiles: [] });
      expect((await leann(ws2, ["info", "kb", "--json"])).json().files).toBe(1);
      const after = (await leann(ws2, ["info", "kb", "--json"])).json();
      expect(after.passages).toBe(before.passages - 4);

      const unknown = await leann(ws2, ["delete", "kb", "docs/nothing.md", "--id", "nope#0", "--json"]);
      expect(unknown.code).toBe(2);
      expect(unknown.json().error.code).toBe("NOT_IN_INDEX");
      expect(unknown.json().error.message).toContain('id "nope#0"');
      const everything = await leann(ws2, ["delete", "kb", "docs", "--json"]);
      expect(everything.code).toBe(1);
      expect(everything.stderr).toContain("leann remove kb");
      const nothing = await leann(ws2, ["delete", "kb"]);
      expect(nothing.code).toBe(1);
    } finally {
      rmSync(ws2.dir, { recursive: true, force: true });
    }
  });
});

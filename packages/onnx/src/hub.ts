/**
 * Fetches a model's files from a Hugging Face hub into the local cache.
 *
 * - Files live at `{hub}/{repo}/resolve/{revision}/{path}`; the file list comes
 *   from `{hub}/api/models/{repo}/revision/{revision}`, or, on mirrors without
 *   that API, from HEAD requests on the files a model may have.
 * - Each file is written to `{name}.part`; an interrupted transfer resumes with a
 *   Range request (in the same call, after a retry, or in a later process).
 * - The hub's checksums are checked where it gives them: LFS files carry their
 *   sha256 in `X-Linked-Etag`, plain git files their git blob sha1 in `ETag`.
 * - A verified file is renamed into place, and the folder is marked complete only
 *   after every file is there, so a cache folder is either whole or ignored.
 *
 * `fetch` is looked up on every call (never captured at import), so test doubles
 * that patch the global, like msw, see every request.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DownloadError, ModelNotFoundError } from "./errors.js";
import { exists } from "./fs-util.js";

export interface HubSettings {
  readonly hubUrl: string;
  readonly revision: string;
  readonly cacheDir: string;
  readonly token: string | undefined;
  /** Attempts per file after the first (network errors, 5xx, cut transfers). */
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly fetch: (() => typeof globalThis.fetch) | undefined;
  readonly onProgress: ((event: DownloadProgress) => void) | undefined;
}

export interface DownloadProgress {
  readonly file: string;
  readonly received: number;
  /** Total bytes when the hub said; undefined otherwise. */
  readonly total: number | undefined;
}

export interface CachedFile {
  readonly path: string;
  readonly size: number;
  /** "sha256:…" or "git-sha1:…" when the hub gave a checksum that was verified. */
  readonly checksum: string | undefined;
}

/** Written last into a cache folder: its presence means every file below is complete and verified. */
export const COMPLETE_MARKER = ".leann-model.json";

export interface CacheMarker {
  readonly repo: string;
  readonly revision: string;
  readonly commit: string | undefined;
  readonly files: readonly CachedFile[];
  readonly downloadedAt: string;
}

/**
 * Limit for the small metadata requests (file list, HEAD). Where packets to the hub are
 * dropped rather than refused, this bounds how long the first load waits before it
 * reports the hub unreachable.
 */
const METADATA_TIMEOUT_MS = 15_000;

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

export function isRepoId(s: string): boolean {
  return REPO_ID.test(s) && !s.includes("..");
}

/** `{cacheDir}/{owner}--{name}/{revision}`; revisions are percent-encoded so branch names like refs/pr/1 stay one folder. */
export function cacheFolder(cacheDir: string, repo: string, revision: string): string {
  return join(cacheDir, repo.replace("/", "--"), encodeURIComponent(revision));
}

/** The cache folder of `repo` when a complete download is there. */
export async function findCached(cacheDir: string, repo: string, revision: string): Promise<string | undefined> {
  const dir = cacheFolder(cacheDir, repo, revision);
  try {
    const marker = JSON.parse(await readFile(join(dir, COMPLETE_MARKER), "utf8")) as CacheMarker;
    for (const f of marker.files) if (!(await exists(join(dir, f.path)))) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** A complete download in the cache. */
export interface CachedModel {
  readonly repo: string;
  readonly revision: string;
  readonly dir: string;
}

/**
 * The complete downloads under `cacheDir` (folders whose marker is there and whose files all
 * exist), sorted by repo. A missing or unreadable cache is an empty list: nothing is cached.
 */
export async function listCached(cacheDir: string): Promise<CachedModel[]> {
  const out: CachedModel[] = [];
  let repos: string[];
  try {
    repos = await readdir(cacheDir);
  } catch {
    return out;
  }
  for (const r of repos.sort()) {
    let revisions: string[];
    try {
      revisions = await readdir(join(cacheDir, r));
    } catch {
      continue;
    }
    for (const rev of revisions.sort()) {
      const dir = join(cacheDir, r, rev);
      try {
        const marker = JSON.parse(await readFile(join(dir, COMPLETE_MARKER), "utf8")) as CacheMarker;
        if ((await findCached(cacheDir, marker.repo, marker.revision)) === dir) out.push({ repo: marker.repo, revision: marker.revision, dir });
      } catch {
        // not a finished download
      }
    }
  }
  return out;
}

/** Where one file's listing came from, and what the hub said about it. */
interface Remote {
  readonly url: string;
  readonly size: number | undefined;
  readonly checksum: { algo: "sha256" | "git-sha1"; hex: string } | undefined;
  readonly commit: string | undefined;
}

export class HubClient {
  constructor(
    readonly repo: string,
    private readonly s: HubSettings,
  ) {}

  private get fetch(): typeof globalThis.fetch {
    return this.s.fetch ? this.s.fetch() : globalThis.fetch;
  }

  private headers(extra?: Record<string, string>): Record<string, string> {
    return { ...(this.s.token ? { authorization: `Bearer ${this.s.token}` } : {}), ...extra };
  }

  fileUrl(path: string, revision = this.s.revision): string {
    const base = this.s.hubUrl.replace(/\/+$/, "");
    return `${base}/${this.repo}/resolve/${encodeURIComponent(revision)}/${path.split("/").map(encodeURIComponent).join("/")}`;
  }

  private async request(url: string, init: RequestInit, what: string): Promise<Response> {
    try {
      return await this.fetch(url, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail =
        (err as Error).name === "TimeoutError" ? `no answer within ${METADATA_TIMEOUT_MS / 1000} s` : (cause?.code ?? cause?.message ?? (err as Error).message);
      throw new DownloadError(
        url,
        `cannot reach the model hub for ${what} (${detail}). Check the network, point hubUrl (or HF_ENDPOINT) at a reachable mirror, ` +
          `or copy the model folder to this machine and pass its path as model.`,
        { cause: err },
      );
    }
  }

  /**
   * Lists the repository's files through the hub API.
   * @returns the paths and the commit, or undefined when the hub has no such API (a plain mirror).
   * @throws {DownloadError} when the hub is unreachable.
   * @throws {ModelNotFoundError} when the hub says the repository or revision does not exist.
   */
  async list(): Promise<{ files: Set<string>; commit: string | undefined } | undefined> {
    const base = this.s.hubUrl.replace(/\/+$/, "");
    const url = `${base}/api/models/${this.repo}/revision/${encodeURIComponent(this.s.revision)}`;
    const res = await this.request(url, { headers: this.headers(), signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) }, `the file list of ${this.repo}`);
    if (!res.ok) {
      discard(res);
      return undefined; // probe the files instead: mirrors often lack the API, and a missing repo shows there too
    }
    let body: { sha?: unknown; siblings?: Array<{ rfilename?: unknown }> };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      return undefined;
    }
    if (!Array.isArray(body.siblings)) return undefined;
    const files = new Set<string>();
    for (const s of body.siblings) if (typeof s.rfilename === "string") files.add(s.rfilename);
    return { files, commit: typeof body.sha === "string" ? body.sha : undefined };
  }

  /**
   * HEAD of one file, without following the redirect that LFS files answer with
   * (the checksum headers are on that first answer).
   * @returns undefined when the hub has no such file.
   */
  async head(path: string): Promise<Remote | undefined> {
    const url = this.fileUrl(path);
    const res = await this.request(
      url,
      { method: "HEAD", redirect: "manual", headers: this.headers(), signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) },
      path,
    );
    discard(res);
    if (res.status === 404) return undefined;
    if (res.status === 401 || res.status === 403) {
      throw new DownloadError(
        url,
        `the hub refused ${this.repo}/${path} (HTTP ${res.status}). The repository is private, gated or does not exist: check the id, ` +
          `accept its terms on the hub and pass a token (the token option or HF_TOKEN).`,
        { status: res.status },
      );
    }
    if (!(res.ok || (res.status >= 300 && res.status < 400))) {
      throw new DownloadError(url, `the hub answered HTTP ${res.status} for ${this.repo}/${path}; try again later or use another hubUrl.`, {
        status: res.status,
      });
    }
    const h = res.headers;
    const etag = (h.get("x-linked-etag") ?? h.get("etag") ?? "").replace(/^W\//, "").replace(/"/g, "").toLowerCase();
    const checksum = /^[0-9a-f]{64}$/.test(etag)
      ? ({ algo: "sha256", hex: etag } as const)
      : /^[0-9a-f]{40}$/.test(etag)
        ? ({ algo: "git-sha1", hex: etag } as const)
        : undefined;
    const sizeHeader = h.get("x-linked-size") ?? (res.ok && !h.get("content-encoding") ? h.get("content-length") : null);
    const size = sizeHeader !== null && /^\d+$/.test(sizeHeader) ? Number(sizeHeader) : undefined;
    return { url, size, checksum, commit: h.get("x-repo-commit") ?? undefined };
  }

  /**
   * Downloads one file into `dir`, resuming a `.part` left by an earlier attempt.
   * @throws {DownloadError} when the transfer keeps failing or the bytes fail the hub's checksum.
   */
  async download(path: string, remote: Remote, dir: string): Promise<CachedFile> {
    const dest = join(dir, path);
    const part = `${dest}.part`;
    await mkdir(dirname(dest), { recursive: true });
    const kept = await this.alreadyThere(dest, path, remote);
    if (kept) return kept;
    let lastErr: unknown;
    let restarted = false;
    for (let attempt = 0; attempt <= this.s.retries; attempt++) {
      if (attempt > 0 && this.s.retryDelayMs > 0) await sleep(this.s.retryDelayMs * attempt);
      try {
        const resumedFrom = await this.transfer(path, remote, part);
        const size = (await stat(part)).size;
        if (remote.size !== undefined && size !== remote.size) {
          throw new DownloadError(remote.url, `${path}: received ${size} bytes, the hub announced ${remote.size}.`);
        }
        let checksum: string | undefined;
        if (remote.checksum) {
          const got = await hashFile(part, remote.checksum.algo, size);
          if (got !== remote.checksum.hex) {
            await rm(part, { force: true });
            // A resumed file may have been spliced from two versions: one clean retry before giving up.
            if (resumedFrom > 0 && !restarted) {
              restarted = true;
              attempt--;
              continue;
            }
            throw fatal(new DownloadError(
              remote.url,
              `${path} failed its checksum: the hub says ${remote.checksum.algo} ${remote.checksum.hex}, the download has ${got}. ` +
                `The partial file was deleted; try again, and if it persists, the mirror (hubUrl) serves altered files.`,
            ));
          }
          checksum = `${remote.checksum.algo}:${got}`;
        }
        await rename(part, dest);
        return { path, size, checksum };
      } catch (err) {
        if (fatalErrors.has(err as object)) throw err;
        if (err instanceof DownloadError && err.status !== undefined && err.status < 500) throw err;
        lastErr = err;
      }
    }
    if (lastErr instanceof DownloadError) throw lastErr;
    throw new DownloadError(
      remote.url,
      `downloading ${this.repo}/${path} failed after ${this.s.retries + 1} attempts: ${(lastErr as Error)?.message ?? lastErr}. ` +
        `The partial file is kept and the next attempt resumes it.`,
      { cause: lastErr },
    );
  }

  /** A file left by an earlier download of this folder, when it still matches what the hub announces. */
  private async alreadyThere(dest: string, path: string, remote: Remote): Promise<CachedFile | undefined> {
    let size: number;
    try {
      size = (await stat(dest)).size;
    } catch {
      return undefined;
    }
    if (remote.size !== undefined && size !== remote.size) return undefined;
    if (!remote.checksum) return remote.size !== undefined ? { path, size, checksum: undefined } : undefined;
    const got = await hashFile(dest, remote.checksum.algo, size);
    return got === remote.checksum.hex ? { path, size, checksum: `${remote.checksum.algo}:${got}` } : undefined;
  }

  /** One GET into `part`, appending from its current size. Returns the offset it resumed from. */
  private async transfer(path: string, remote: Remote, part: string): Promise<number> {
    let start = 0;
    try {
      start = (await stat(part)).size;
    } catch {
      /* no part yet */
    }
    if (remote.size !== undefined && start > remote.size) {
      await rm(part, { force: true });
      start = 0;
    }
    if (remote.size !== undefined && start === remote.size) return start;
    const headers = this.headers(start > 0 ? { range: `bytes=${start}-` } : undefined);
    const res = await this.request(remote.url, { headers }, path);
    if (res.status === 416) {
      // Our part is at or past the end as the server sees it: start over.
      discard(res);
      await rm(part, { force: true });
      throw new Error(`the hub refused to resume ${path} at byte ${start}`);
    }
    if (!res.ok) {
      discard(res);
      throw new DownloadError(remote.url, `the hub answered HTTP ${res.status} for ${this.repo}/${path}.`, { status: res.status });
    }
    if (!res.body) throw new Error(`the hub sent no body for ${path}`);
    const append = start > 0 && res.status === 206;
    if (!append) start = 0;
    // Each chunk is on disk before the next is read, so a cut transfer keeps every byte it received.
    let received = start;
    const fh = await open(part, append ? "a" : "w");
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        await fh.write(chunk);
        received += chunk.byteLength;
        this.s.onProgress?.({ file: path, received, total: remote.size });
      }
    } finally {
      await fh.close();
    }
    return append ? start : 0;
  }
}

async function hashFile(path: string, algo: "sha256" | "git-sha1", size: number): Promise<string> {
  const h = createHash(algo === "sha256" ? "sha256" : "sha1");
  if (algo === "git-sha1") h.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Drops a body we will not read. Not awaited: a cancel may settle only when the peer closes. */
function discard(res: Response): void {
  res.body?.cancel().catch(() => {});
}

/** Errors that retrying cannot fix. */
const fatalErrors = new WeakSet<object>();
function fatal<E extends object>(err: E): E {
  fatalErrors.add(err);
  return err;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Files a model repository may hold that this package reads, besides the weights. */
const SMALL_FILES = [
  "config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "sentence_bert_config.json",
  "modules.json",
];

export interface ModelFileChoice {
  readonly kind: "static" | "transformer";
  readonly weights: string;
}

/**
 * Downloads what a model needs into its cache folder and marks it complete.
 * `choose` picks the model kind and weight file from the repository's file list and
 * its config.json (downloaded first).
 * @returns the cache folder.
 * @throws {ModelNotFoundError} when the hub has no such model (or no usable files in it).
 * @throws {DownloadError} when the hub is unreachable or a file fails.
 */
export async function downloadModel(
  repo: string,
  s: HubSettings,
  choose: (available: ReadonlySet<string>, config: Record<string, unknown> | undefined) => ModelFileChoice | string,
  candidates: readonly string[],
): Promise<string> {
  const client = new HubClient(repo, s);
  const dir = cacheFolder(s.cacheDir, repo, s.revision);
  await mkdir(dir, { recursive: true });
  const listed = await client.list();

  // Without the API, probe the candidates one HEAD at a time.
  const remotes = new Map<string, Remote>();
  let available: Set<string>;
  if (listed) {
    available = listed.files;
  } else {
    available = new Set();
    for (const path of new Set([...SMALL_FILES, ...candidates])) {
      const r = await client.head(path);
      if (r) {
        available.add(path);
        remotes.set(path, r);
      }
    }
  }
  if (!available.has("tokenizer.json")) {
    throw new ModelNotFoundError(
      `the hub at ${s.hubUrl} has no tokenizer.json for ${repo} at revision ${s.revision}` +
        `${available.size ? ` (files: ${[...available].slice(0, 12).join(", ")})` : " (the repository was not found)"}. ` +
        `Check the model id; private or gated models need a token (the token option or HF_TOKEN).`,
    );
  }

  const files: CachedFile[] = [];
  let commit = listed?.commit;
  const fetchOne = async (path: string): Promise<void> => {
    const remote = remotes.get(path) ?? (await client.head(path));
    if (!remote) {
      throw new ModelNotFoundError(`the hub lists ${repo}/${path} but does not serve it (HTTP 404); try again later or pick another revision.`);
    }
    commit ??= remote.commit;
    files.push(await client.download(path, remote, dir));
  };

  let config: Record<string, unknown> | undefined;
  if (available.has("config.json")) {
    await fetchOne("config.json");
    try {
      config = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    } catch {
      config = undefined; // the loader reports a corrupt config.json with its path
    }
  }
  const choice = choose(available, config);
  if (typeof choice === "string") throw new ModelNotFoundError(choice);

  const wanted = new Set<string>(["tokenizer.json", choice.weights]);
  if (choice.kind === "transformer") {
    for (const f of SMALL_FILES) if (available.has(f)) wanted.add(f);
    for (const ext of ["_data", ".data"]) if (available.has(choice.weights + ext)) wanted.add(choice.weights + ext);
  }
  wanted.delete("config.json");
  for (const path of wanted) await fetchOne(path);
  if (choice.kind === "transformer") {
    const poolingFiles = available.has("modules.json") ? await poolingConfigPaths(join(dir, "modules.json")) : ["1_Pooling/config.json"];
    for (const path of poolingFiles) {
      if (listed && !available.has(path)) continue;
      const r = remotes.get(path) ?? (await client.head(path));
      if (r) files.push(await client.download(path, r, dir));
    }
  }

  const marker: CacheMarker = { repo, revision: s.revision, commit, files, downloadedAt: new Date().toISOString() };
  const tmp = join(dir, `${COMPLETE_MARKER}.part`);
  await writeFile(tmp, JSON.stringify(marker, null, 2));
  await rename(tmp, join(dir, COMPLETE_MARKER));
  return dir;
}

async function poolingConfigPaths(modulesPath: string): Promise<string[]> {
  try {
    const modules = JSON.parse(await readFile(modulesPath, "utf8")) as Array<{ type?: unknown; path?: unknown }>;
    return modules
      .filter((m) => typeof m.type === "string" && m.type.endsWith("Pooling") && typeof m.path === "string")
      .map((m) => `${m.path as string}/config.json`);
  } catch {
    return [];
  }
}

/**
 * A Hugging Face hub double for msw 2: the file-list API, `resolve/` URLs that
 * answer HEAD with the hub's checksum headers (LFS files redirect to a CDN host
 * with `X-Linked-Etag` = sha256; git files carry their blob sha1 in `ETag`), and
 * Range requests. Hooks let a test cut a transfer or alter bytes.
 */
import { createHash } from "node:crypto";
import { http, HttpResponse, type HttpHandler } from "msw";

export const HUB = "https://hub.test";
export const CDN = "https://cdn.hub.test";
export const COMMIT = "0123456789abcdef0123456789abcdef01234567";

export interface MockFile {
  bytes: Uint8Array;
  /** Stored in LFS (served through the CDN, sha256 etag). */
  lfs: boolean;
}

export interface Served {
  method: string;
  url: string;
  range: string | null;
  authorization: string | null;
  /** Bytes sent in the body (GET only). */
  sent: number;
}

export interface MockHubOptions {
  repo: string;
  files: Record<string, MockFile>;
  /** Serve /api/models/... (default true); a plain mirror has no API. */
  api?: boolean;
  /** Cut the body of the first GET of `path` after `afterBytes` bytes. */
  cut?: { path: string; afterBytes: number; times?: number };
  /** Serve these bytes for `path` instead of the real ones (checksums stay those of the real file). */
  tamper?: { path: string; bytes: Uint8Array };
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const gitSha1 = (b: Uint8Array) => createHash("sha1").update(`blob ${b.length}\0`).update(b).digest("hex");

export function mockHub(o: MockHubOptions): { handlers: HttpHandler[]; served: Served[] } {
  const served: Served[] = [];
  let cutsLeft = o.cut?.times ?? 1;
  const record = (req: Request, sent = 0) => {
    const s: Served = {
      method: req.method,
      url: req.url,
      range: req.headers.get("range"),
      authorization: req.headers.get("authorization"),
      sent,
    };
    served.push(s);
    return s;
  };
  const lookup = (url: string): { path: string; file: MockFile } | "wrong-repo" | undefined => {
    const u = new URL(url);
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(u.pathname);
    if (!m) return undefined;
    if (m[1] !== o.repo) return "wrong-repo";
    const path = m[3]!.split("/").map(decodeURIComponent).join("/");
    const file = o.files[path];
    return file ? { path, file } : undefined;
  };
  const byHash = new Map(Object.entries(o.files).map(([path, f]) => [sha256(f.bytes), path]));

  const body = (req: Request, path: string, entry: Served): Response => {
    const real = o.files[path]!.bytes;
    const bytes = o.tamper?.path === path ? o.tamper.bytes : real;
    const range = req.headers.get("range");
    let start = 0;
    if (range) {
      const m = /^bytes=(\d+)-$/.exec(range);
      if (!m) return new HttpResponse(null, { status: 400 });
      start = Number(m[1]);
      if (start >= bytes.length) return new HttpResponse(null, { status: 416, headers: { "content-range": `bytes */${bytes.length}` } });
    }
    const slice = bytes.subarray(start);
    const headers: Record<string, string> = { "content-length": String(slice.length), "accept-ranges": "bytes" };
    if (range) headers["content-range"] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
    const status = range ? 206 : 200;
    if (o.cut?.path === path && cutsLeft > 0) {
      cutsLeft--;
      const keep = Math.min(o.cut.afterBytes, slice.length);
      entry.sent = keep;
      // The error comes on the pull after the kept bytes were taken: erroring earlier would drop them from the queue.
      let pulls = 0;
      const stream = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            if (pulls++ === 0) controller.enqueue(slice.slice(0, keep));
            else controller.error(new Error("connection reset by peer"));
          },
        },
        { highWaterMark: 0 },
      );
      return new HttpResponse(stream, { status, headers });
    }
    entry.sent = slice.length;
    return new HttpResponse(slice.slice(), { status, headers });
  };

  const handlers: HttpHandler[] = [
    http.get(`${HUB}/api/models/:owner/:name/revision/:rev`, ({ request, params }) => {
      record(request);
      if (o.api === false) return new HttpResponse("Not Found", { status: 404 });
      if (`${params["owner"]}/${params["name"]}` !== o.repo) return HttpResponse.json({ error: "Repository not found" }, { status: 401 });
      return HttpResponse.json({
        id: o.repo,
        sha: COMMIT,
        siblings: [".gitattributes", "README.md", ...Object.keys(o.files)].map((rfilename) => ({ rfilename })),
      });
    }),
    http.head(`${HUB}/*`, ({ request }) => {
      record(request);
      const hit = lookup(request.url);
      if (hit === "wrong-repo") return new HttpResponse(null, { status: 401 });
      if (!hit) return new HttpResponse(null, { status: 404 });
      const { path, file } = hit;
      if (file.lfs) {
        return new HttpResponse(null, {
          status: 302,
          headers: {
            location: `${CDN}/blobs/${sha256(file.bytes)}`,
            "x-linked-etag": `"${sha256(file.bytes)}"`,
            "x-linked-size": String(file.bytes.length),
            "x-repo-commit": COMMIT,
            etag: `"${gitSha1(new TextEncoder().encode(`pointer ${path}`))}"`,
          },
        });
      }
      return new HttpResponse(null, {
        status: 200,
        headers: { etag: `"${gitSha1(file.bytes)}"`, "content-length": String(file.bytes.length), "x-repo-commit": COMMIT },
      });
    }),
    http.get(`${HUB}/*`, ({ request }) => {
      const entry = record(request);
      const hit = lookup(request.url);
      if (hit === "wrong-repo") return new HttpResponse(null, { status: 401 });
      if (!hit) return new HttpResponse(null, { status: 404 });
      if (hit.file.lfs) return new HttpResponse(null, { status: 302, headers: { location: `${CDN}/blobs/${sha256(hit.file.bytes)}` } });
      return body(request, hit.path, entry);
    }),
    http.get(`${CDN}/blobs/:sha`, ({ request, params }) => {
      const entry = record(request);
      const path = byHash.get(String(params["sha"]));
      if (!path) return new HttpResponse(null, { status: 404 });
      return body(request, path, entry);
    }),
  ];
  return { handlers, served };
}

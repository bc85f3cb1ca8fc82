import { Worker } from "node:worker_threads";

/** What a pool's worker posts back for each message: `ok: false` carries the worker's error text. */
export interface WorkerReply {
  ok: boolean;
  error?: string;
  [key: string]: unknown;
}

/**
 * Per open pool, the replies its workers posted that the main thread has not yet taken (a closed pool's count is
 * dropped: a reply lost to `terminate` must not keep the flag up). Work that the main thread does in the
 * background between turns of the event loop (the keyword index's tokenising) checks it after each small step and
 * yields at once: a reply waiting means a worker waits for its next message, so a slice run on meanwhile costs the
 * whole pool its length (with 8 ms slices a keyword build's graph phase took 0.3-0.7 s longer on 2 cores).
 */
const open = new Set<Int32Array>();

/** True while a reply of an open pool's worker waits for the main thread's event loop. */
export function repliesWaiting(): boolean {
  for (const unread of open) if (Atomics.load(unread, 0) > 0) return true;
  return false;
}

/** Runs first in every worker: each reply is counted before it is posted. */
const COUNT_REPLIES = `{
  const port = require("node:worker_threads").parentPort;
  const unread = new Int32Array(require("node:worker_threads").workerData.unread);
  const post = port.postMessage.bind(port);
  port.postMessage = (m, t) => {
    Atomics.add(unread, 0, 1);
    try { post(m, t); } catch (e) { Atomics.sub(unread, 0, 1); throw e; }
  };
}
`;

/**
 * Worker threads that run one program (`source`, evaluated as CommonJS: the graph build
 * and codebook training send the source text of self-contained functions, so the workers
 * run the very code the main thread would). Each worker gets `data` plus its `index` and
 * the thread count as workerData, and answers every message with one WorkerReply.
 */
export class WorkerPool {
  private readonly workers: Worker[];
  private readonly unread = new Int32Array(new SharedArrayBuffer(4));

  constructor(source: string, count: number, data: Record<string, unknown>) {
    this.workers = Array.from({ length: count }, (_, index) => new Worker(COUNT_REPLIES + source, { eval: true, workerData: { ...data, index, threads: count, unread: this.unread.buffer } }));
    open.add(this.unread);
  }

  /**
   * Sends `msg` to worker `index` and resolves with its reply.
   * @throws Error when the worker fails (its error text, prefixed with `what`)
   */
  request(index: number, msg: Record<string, unknown>, what: string, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const w = this.workers[index]!;
    return new Promise<WorkerReply>((resolve, reject) => {
      const onError = (e: Error) => reject(e);
      w.once("error", onError);
      w.once("message", (r: WorkerReply) => {
        Atomics.sub(this.unread, 0, 1);
        w.off("error", onError);
        if (r.ok) resolve(r);
        else reject(new Error(`${what} worker failed: ${r.error}`));
      });
      w.postMessage(msg, transfer);
    });
  }

  /**
   * Sends `msg` to every worker; resolves with their replies in worker order.
   * @throws Error when a worker fails
   */
  broadcast(msg: Record<string, unknown>, what: string): Promise<WorkerReply[]> {
    return Promise.all(this.workers.map((_, i) => this.request(i, msg, what)));
  }

  async close(): Promise<void> {
    open.delete(this.unread);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Child-process entry for runPeerIsolated: node --import tsx lib/peer-worker.ts '<job json>'.
 * Job: {peer, dataset, k, params, limit?, queryLimit?, outFile}. Writes the PeerResult JSON to outFile.
 */
import { loadDataset } from "./datasets.ts";
import { PEERS, writeResult } from "./peers.ts";

const job = JSON.parse(process.argv[2] ?? "{}") as {
  peer: string;
  dataset: string;
  k: number;
  params?: Record<string, unknown>;
  limit?: number;
  queryLimit?: number;
  outFile: string;
};
const fn = PEERS[job.peer];
if (!fn) throw new Error(`unknown peer ${job.peer}`);
const ds = loadDataset(job.dataset);
const dims = ds.meta.dims;
const n = Math.min(job.limit ?? ds.meta.count, ds.meta.count);
const nq = Math.min(job.queryLimit ?? ds.meta.queryCount, ds.meta.queryCount);
const result = await fn(ds.vectors.subarray(0, n * dims), dims, ds.passages.slice(0, n), ds.queryVectors.subarray(0, nq * dims), job.k, job.params ?? {});
writeResult(job.outFile, result);
process.exit(0);
